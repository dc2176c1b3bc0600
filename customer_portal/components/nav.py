"""The bar a signed-in customer sees: who, Mis facturas, Mi cuenta, Salir."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import post_form


def signed_in_bar(customer_name: rx.Var) -> rx.Component:
    """Salir posts to the server, which ends the session and drops its cookie."""
    return rx.el.nav(
        rx.hstack(
            rx.text(customer_name, weight="medium", size="2"),
            rx.spacer(),
            rx.link("Mis facturas", href=routes.INVOICES, size="2"),
            rx.link("Mi cuenta", href=routes.ACCOUNT, size="2"),
            post_form(
                rx.button("Salir", type="submit", variant="soft", size="1"),
                action=routes.SIGN_OUT_ACTION,
            ),
            spacing="4",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        aria_label="Cuenta",
        padding="0.5em 1.5em",
        background="var(--gray-2)",
        border_bottom="1px solid var(--gray-5)",
    )
