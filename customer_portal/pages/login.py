"""Entrar: email and password, and the way to ¿Has olvidado tu contraseña?"""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import (
    alert,
    code_field,
    email_field,
    field,
    form_card,
    post_form,
)
from customer_portal.components.text import t
from customer_portal.i18n import N_
from customer_portal.pages.kit import Access, portal_page
from customer_portal.state.login import LoginState, SecondFactorState


@portal_page(
    route=routes.LOGIN, title=N_("Entrar"), on_load=LoginState.open_login, access=Access.PUBLIC
)
def login() -> rx.Component:
    """The sign-in form, posted to the server."""
    return rx.fragment(
        form_card(
            post_form(
                rx.vstack(
                    rx.heading(t("Entrar"), as_="h1", size="6"),
                    rx.cond(
                        LoginState.reason != "",
                        rx.callout(LoginState.reason, icon="lock", size="1", width="100%"),
                    ),
                    alert(LoginState.error),
                    alert(LoginState.notice, tone="green"),
                    email_field(),
                    field(
                        t("Contraseña"),
                        "password",
                        type="password",
                        required=True,
                        auto_complete="current-password",
                        max_length=256,
                    ),
                    rx.el.input(type="hidden", name="next", value=LoginState.next_path),
                    rx.button(t("Entrar"), type="submit", size="3", width="100%"),
                    rx.link(
                        t("¿Has olvidado tu contraseña?"), href=routes.FORGOT_PASSWORD, size="2"
                    ),
                    spacing="4",
                    width="100%",
                ),
                action=routes.SIGN_IN_ACTION,
            ),
        ),
    )


@portal_page(
    route=routes.SECOND_FACTOR,
    title=N_("Verificación en dos pasos"),
    on_load=SecondFactorState.open_code,
    access=Access.PUBLIC,
)
def second_factor() -> rx.Component:
    """Entrar, second step: the code of the authenticator app, or a recovery code."""
    return form_card(
        post_form(
            rx.vstack(
                rx.heading(t("Verificación en dos pasos"), as_="h1", size="6"),
                alert(SecondFactorState.error),
                alert(SecondFactorState.notice, tone="green"),
                rx.text(
                    t(
                        "Escriba el código de 6 cifras que muestra su aplicación de autenticación, "
                        "o uno de sus códigos de recuperación."
                    ),
                    size="2",
                ),
                code_field(),
                rx.button(t("Verificar"), type="submit", size="3", width="100%"),
                rx.link(t("Volver a Entrar"), href=routes.LOGIN, size="2"),
                spacing="4",
                width="100%",
            ),
            action=routes.SECOND_FACTOR_ACTION,
        ),
    )
