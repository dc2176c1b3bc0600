"""The bar a signed-in customer sees: who, Mis facturas, Mi cuenta, Salir."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes


def signed_in_bar(customer_name: rx.Var, on_log_out) -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            rx.text(customer_name, weight="medium", size="2"),
            rx.spacer(),
            rx.link("Mis facturas", href=routes.INVOICES, size="2"),
            rx.link("Mi cuenta", href=routes.ACCOUNT, size="2"),
            rx.button("Salir", on_click=on_log_out, variant="soft", size="1"),
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
