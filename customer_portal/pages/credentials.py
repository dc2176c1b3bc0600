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
from customer_portal.components.text import t
from customer_portal.i18n import N_
from customer_portal.pages.kit import Access, portal_page
from customer_portal.state.credentials import CredentialsState as S

_ENTER_BUTTON_ID = "password-enter"
# Installed once per form, compiled into the page (the CSP forbids eval).
# A browser ignores Enter while the submit button is disabled; the button
# follows the typing a round trip late, so the server decides instead.
_ENTER_LISTENER = f"""(() => {{
  const form = document.getElementById("password")?.form;
  if (!form || form.dataset.enterSubmits) return;
  form.dataset.enterSubmits = "1";
  form.addEventListener("keydown", (e) => {{
    if (e.key !== "Enter" || e.isComposing || e.target.tagName !== "INPUT") return;
    const button = form.querySelector("button[type=submit]");
    if (button && button.disabled) {{
      e.preventDefault();
      document.getElementById("{_ENTER_BUTTON_ID}")?.click();
    }}
  }});
}})()"""
_SUBMIT = 'document.getElementById("password")?.form?.requestSubmit()'


def enter_submits(state) -> list[rx.Component]:
    """Enter in a password form: sent once every rule passes, else the unmet rules are named.

    For a form holding :func:`new_password_fields` of a
    :class:`~customer_portal.state.password_form.PasswordFormState`.
    """
    return [
        # Only while there is something to say: an alert added with its text is
        # announced, and the form keeps a single empty alert region (its error's).
        rx.cond(state.unmet != "", alert(state.unmet)),
        rx.el.button(
            type="button",
            id=_ENTER_BUTTON_ID,
            hidden=True,
            tab_index=-1,
            on_click=state.submit_on_enter,
            on_mount=rx.run_script(_ENTER_LISTENER),
        ),
        rx.cond(
            state.submit_requested,
            rx.el.span(hidden=True, on_mount=rx.run_script(_SUBMIT)),
        ),
    ]


def _form() -> rx.Component:
    return post_form(
        rx.vstack(
            rx.heading(t("Modificar contraseña"), as_="h1", size="6"),
            rx.text(
                t(
                    "Indique el correo electrónico al que le ha llegado el mail y elija su "
                    "contraseña."
                ),
                size="2",
            ),
            alert(S.error),
            email_field(),
            *new_password_fields(S, password_label=t("Contraseña")),
            *enter_submits(S),
            spacing="4",
            width="100%",
        ),
        action=routes.SET_PASSWORD_ACTION,
    )


def _dead_link() -> rx.Component:
    """A friendly way out of an expired or broken link: ask for a new one here."""
    return rx.vstack(
        rx.heading(t("Este enlace ya no sirve"), as_="h1", size="6"),
        alert(S.link_problem, tone="amber"),
        rx.text(
            t(
                "Los enlaces caducan y solo se pueden usar una vez. Pida uno nuevo con su correo "
                "electrónico:"
            ),
            size="2",
        ),
        alert(S.notice, tone="green"),
        post_form(
            rx.vstack(
                rx.el.input(type="hidden", name="purpose", value=S.purpose),
                email_field(),
                rx.button(t("Enviar un enlace nuevo"), type="submit", size="3", width="100%"),
                width="100%",
            ),
            action=routes.REQUEST_LINK_ACTION,
            width="100%",
        ),
        rx.link(t("Ir a Entrar"), href=routes.LOGIN, size="2"),
        spacing="4",
        width="100%",
    )


@portal_page(
    route=routes.ACTIVATE,
    title=N_("Modificar contraseña"),
    on_load=S.open_activation,
    access=Access.PUBLIC,
)
@portal_page(
    route=routes.RESET_PASSWORD,
    title=N_("Modificar contraseña"),
    on_load=S.open_reset,
    access=Access.PUBLIC,
)
def credentials() -> rx.Component:
    """Modificar contraseña, or a way to get a new link when this one is dead."""
    return rx.fragment(
        form_card(rx.cond(S.link_ok, _form(), _dead_link())),
    )
