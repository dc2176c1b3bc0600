"""The home page: what the portal is, in the words of the seed manual."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.layout import BRAND_COLOR
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
            f"{branding.portal_name} es un portal web cuyo objetivo es facilitarle el "
            "acceso a una plataforma online a partir de la cual puede descargar sus "
            "facturas.",
            size="4",
        ),
        rx.heading("Qué puede hacer", as_="h2", size="5"),
        rx.unordered_list(
            rx.list_item("Buscar sus facturas y consultar sus datos."),
            rx.list_item(
                "Ver el estado de cada factura: "
                + ", ".join(status.value for status in InvoiceStatus)
                + "."
            ),
            rx.list_item("Descargar sus facturas en PDF, firmadas digitalmente."),
        ),
        rx.hstack(
            # A link that looks like a button: one Tab stop, not a button inside a link.
            rx.button(rx.el.a("Entrar", href=routes.LOGIN), as_child=True, size="3"),
            rx.link("¿Has olvidado tu contraseña?", href=routes.FORGOT_PASSWORD, size="2"),
            spacing="4",
            align="center",
            wrap="wrap",
        ),
        rx.callout(
            "Se recomienda el uso de navegadores como Firefox o Google Chrome.",
            icon="info",
            size="1",
        ),
        spacing="4",
        align="start",
    )
