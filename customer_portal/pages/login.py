"""Entrar: email and password, and the way to ¿Has olvidado tu contraseña?"""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import alert, email_field, field, form_card, post_form
from customer_portal.components.layout import page
from customer_portal.settings import get_settings
from customer_portal.state.login import LoginState


def login() -> rx.Component:
    return page(
        get_settings().branding,
        form_card(
            post_form(
                rx.vstack(
                    rx.heading("Entrar", as_="h1", size="6"),
                    alert(LoginState.error),
                    alert(LoginState.notice, tone="green"),
                    email_field(),
                    field(
                        "Contraseña",
                        "password",
                        type="password",
                        required=True,
                        auto_complete="current-password",
                        max_length=256,
                    ),
                    rx.el.input(type="hidden", name="next", value=LoginState.next_path),
                    rx.button("Entrar", type="submit", size="3", width="100%"),
                    rx.link("¿Has olvidado tu contraseña?", href=routes.FORGOT_PASSWORD, size="2"),
                    spacing="4",
                    width="100%",
                ),
                action=routes.SIGN_IN_ACTION,
            ),
        ),
    )
