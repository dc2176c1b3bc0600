"""Página no encontrada: any unknown address, in Spanish, with the way back."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.text import t
from customer_portal.i18n import N_
from customer_portal.pages.kit import Access, portal_page


@portal_page(route=routes.NOT_FOUND, title=N_("Página no encontrada"), access=Access.PUBLIC)
def not_found() -> rx.Component:
    """What a customer sees at an address the portal does not have."""
    return rx.vstack(
        rx.heading(t("Página no encontrada"), as_="h1", size="6"),
        rx.text(
            t(
                "La dirección que ha abierto no existe en el portal. Puede que el enlace "
                "esté incompleto o que la página haya cambiado de sitio."
            )
        ),
        rx.hstack(
            rx.link(t("Ir al inicio"), href=routes.HOME),
            rx.link(t("Mis facturas"), href=routes.INVOICES),
            spacing="5",
            wrap="wrap",
        ),
        spacing="4",
    )
