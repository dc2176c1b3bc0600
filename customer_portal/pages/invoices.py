"""Mis facturas: the signed-in customer's landing page."""

from __future__ import annotations

import reflex as rx

from customer_portal.components.layout import page
from customer_portal.components.nav import signed_in_bar
from customer_portal.settings import get_settings
from customer_portal.state.auth import AuthState


def invoices() -> rx.Component:
    return page(
        get_settings().branding,
        rx.vstack(
            rx.heading("Mis facturas", as_="h1", size="6"),
            rx.text("Bienvenido/a, ", rx.text.strong(AuthState.customer_name), "."),
            spacing="3",
        ),
        nav=signed_in_bar(AuthState.customer_name, AuthState.log_out),
    )
