"""Modificar contraseña: where Ver credenciales and restaurar contraseña lead."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import (
    alert,
    email_field,
    field,
    form_card,
    new_password_fields,
)
from customer_portal.components.layout import page
from customer_portal.settings import get_settings
from customer_portal.state.credentials import CredentialsState
from customer_portal.state.login import ForgotPasswordState


def _form() -> rx.Component:
    return rx.vstack(
        rx.heading("Modificar contraseña", as_="h1", size="6"),
        rx.text(
            "Indica el correo electrónico al que te ha llegado el mail y elige tu contraseña.",
            size="2",
        ),
        alert(CredentialsState.error),
        field(
            "Correo electrónico",
            "email",
            type="email",
            value=CredentialsState.email,
            on_change=CredentialsState.set_email,
            auto_complete="username",
        ),
        *new_password_fields(
            CredentialsState, password_label="Contraseña", on_submit=CredentialsState.submit
        ),
        spacing="4",
        width="100%",
    )


def _dead_link() -> rx.Component:
    """A friendly way out of an expired or broken link: ask for a new one here."""
    return rx.vstack(
        rx.heading("Este enlace ya no sirve", as_="h1", size="6"),
        alert(CredentialsState.link_problem, tone="amber"),
        rx.text(
            "Los enlaces caducan y solo se pueden usar una vez. Pide uno nuevo con tu correo "
            "electrónico:",
            size="2",
        ),
        alert(ForgotPasswordState.answer, tone="green"),
        rx.form(
            rx.vstack(
                rx.el.input(type="hidden", name="purpose", value=CredentialsState.purpose),
                email_field(),
                rx.button("Enviar un enlace nuevo", type="submit", size="3", width="100%"),
                width="100%",
            ),
            on_submit=ForgotPasswordState.request_new_link,
            width="100%",
        ),
        rx.link("Ir a Entrar", href=routes.LOGIN, size="2"),
        spacing="4",
        width="100%",
    )


def credentials() -> rx.Component:
    return page(
        get_settings().branding,
        form_card(rx.cond(CredentialsState.link_ok, _form(), _dead_link())),
    )
