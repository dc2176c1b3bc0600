"""The home page: what the portal is, in the words of the seed manual."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.layout import BRAND_COLOR
from customer_portal.components.text import t
from customer_portal.domain.status import InvoiceStatus
from customer_portal.pages.kit import Access, portal_page
from customer_portal.settings import get_settings
from customer_portal.state.login import HomeState


@portal_page(
    route=routes.HOME,
    title=get_settings().branding.portal_name,
    on_load=HomeState.open_home,
    access=Access.PUBLIC,
)
def index() -> rx.Component:
    """What the portal is for, and the way in."""
    branding = get_settings().branding
    return rx.vstack(
        rx.heading(branding.portal_name, as_="h1", size="8", color=BRAND_COLOR),
        rx.text(
            t(
                "{portal} es un portal web cuyo objetivo es facilitarle el acceso a una "
                "plataforma online a partir de la cual puede descargar sus facturas.",
                portal=branding.portal_name,
            ),
            size="4",
        ),
        rx.heading(t("Qué puede hacer"), as_="h2", size="5"),
        rx.unordered_list(
            rx.list_item(t("Buscar sus facturas y consultar sus datos.")),
            rx.list_item(
                t(
                    "Ver el estado de cada factura: {paid}, {partly}, {pending}.",
                    paid=t(InvoiceStatus.PAID.value),
                    partly=t(InvoiceStatus.PARTIALLY_PAID.value),
                    pending=t(InvoiceStatus.PENDING.value),
                )
            ),
            rx.list_item(t("Descargar sus facturas en PDF, firmadas digitalmente.")),
        ),
        rx.hstack(
            # A link that looks like a button: one Tab stop, not a button inside a link.
            rx.button(rx.el.a(t("Entrar"), href=routes.LOGIN), as_child=True, size="3"),
            rx.link(t("¿Has olvidado tu contraseña?"), href=routes.FORGOT_PASSWORD, size="2"),
            spacing="4",
            align="center",
            wrap="wrap",
        ),
        rx.callout(
            t("Se recomienda el uso de navegadores como Firefox o Google Chrome."),
            icon="info",
            size="1",
        ),
        spacing="4",
        align="start",
    )
