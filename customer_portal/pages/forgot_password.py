"""¿Has olvidado tu contraseña?: one answer, whether or not the email exists."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import alert, email_field, form_card, post_form
from customer_portal.components.layout import page
from customer_portal.settings import get_settings
from customer_portal.state.login import ForgotPasswordState


def forgot_password() -> rx.Component:
    return page(
        get_settings().branding,
        form_card(
            post_form(
                rx.vstack(
                    rx.heading("¿Has olvidado tu contraseña?", as_="h1", size="6"),
                    rx.text(
                        "Indica el correo electrónico con el que accedes al portal y te "
                        "enviaremos un correo con el asunto «Restablecer contraseña».",
                        size="2",
                    ),
                    alert(ForgotPasswordState.answer, tone="green"),
                    email_field(),
                    rx.button("Enviar enlace", type="submit", size="3", width="100%"),
                    rx.link("Volver a Entrar", href=routes.LOGIN, size="2"),
                    spacing="4",
                    width="100%",
                ),
                action=routes.REQUEST_LINK_ACTION,
            ),
        ),
    )
