"""Modificar contraseña: where Ver credenciales and restaurar contraseña lead."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import (
    alert,
    email_field,
    form_card,
    new_password_fields,
    post_form,
)
from customer_portal.pages.kit import Access, portal_page
from customer_portal.state.credentials import CredentialsState as S


def _form() -> rx.Component:
    return post_form(
        rx.vstack(
            rx.heading("Modificar contraseña", as_="h1", size="6"),
            rx.text(
                "Indica el correo electrónico al que te ha llegado el mail y elige tu contraseña.",
                size="2",
            ),
            alert(S.error),
            email_field(),
            *new_password_fields(S, password_label="Contraseña"),
            spacing="4",
            width="100%",
        ),
        action=routes.SET_PASSWORD_ACTION,
    )


def _dead_link() -> rx.Component:
    """A friendly way out of an expired or broken link: ask for a new one here."""
    return rx.vstack(
        rx.heading("Este enlace ya no sirve", as_="h1", size="6"),
        alert(S.link_problem, tone="amber"),
        rx.text(
            "Los enlaces caducan y solo se pueden usar una vez. Pide uno nuevo con tu correo "
            "electrónico:",
            size="2",
        ),
        alert(S.notice, tone="green"),
        post_form(
            rx.vstack(
                rx.el.input(type="hidden", name="purpose", value=S.purpose),
                email_field(),
                rx.button("Enviar un enlace nuevo", type="submit", size="3", width="100%"),
                width="100%",
            ),
            action=routes.REQUEST_LINK_ACTION,
            width="100%",
        ),
        rx.link("Ir a Entrar", href=routes.LOGIN, size="2"),
        spacing="4",
        width="100%",
    )


@portal_page(
    route=routes.ACTIVATE,
    title="Modificar contraseña",
    on_load=S.open_activation,
    access=Access.PUBLIC,
)
@portal_page(
    route=routes.RESET_PASSWORD,
    title="Modificar contraseña",
    on_load=S.open_reset,
    access=Access.PUBLIC,
)
def credentials() -> rx.Component:
    """Modificar contraseña, or a way to get a new link when this one is dead."""
    return rx.fragment(
        form_card(rx.cond(S.link_ok, _form(), _dead_link())),
    )
