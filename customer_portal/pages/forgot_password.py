"""¿Has olvidado tu contraseña?: one answer, whether or not the email exists."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import alert, email_field, form_card, post_form
from customer_portal.components.text import t
from customer_portal.i18n import N_
from customer_portal.pages.kit import Access, portal_page
from customer_portal.state.login import ForgotPasswordState


@portal_page(
    route=routes.FORGOT_PASSWORD,
    title=N_("¿Has olvidado tu contraseña?"),
    on_load=ForgotPasswordState.open_form,
    access=Access.PUBLIC,
)
def forgot_password() -> rx.Component:
    """Ask for a Restablecer contraseña email."""
    return rx.fragment(
        form_card(
            post_form(
                rx.vstack(
                    rx.heading(t("¿Has olvidado tu contraseña?"), as_="h1", size="6"),
                    rx.text(
                        t(
                            "Indique el correo electrónico con el que accede al portal y le "
                            "enviaremos un correo con el asunto «Restablecer contraseña»."
                        ),
                        size="2",
                    ),
                    alert(ForgotPasswordState.answer, tone="green"),
                    email_field(),
                    rx.button(t("Enviar enlace"), type="submit", size="3", width="100%"),
                    rx.link(t("Volver a Entrar"), href=routes.LOGIN, size="2"),
                    spacing="4",
                    width="100%",
                ),
                action=routes.REQUEST_LINK_ACTION,
            ),
        ),
    )
