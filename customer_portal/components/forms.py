"""Form pieces: labelled fields, announced messages, the password checklist."""

from __future__ import annotations

import json

import reflex as rx
from reflex_components_core.el.elements.forms import Form

from customer_portal.components.text import t
from customer_portal.settings import get_settings


def field_error_id(input_id: str) -> str:
    """The id of the message :func:`field` shows under input ``input_id``."""
    return f"{input_id}-error"


def field(
    label: str | rx.Var,
    input_id: str,
    *,
    size: str = "3",
    error: rx.Var | str | None = None,
    **input_props,
) -> rx.Component:
    """A label tied to its input (for screen readers and a bigger click target).

    An empty required field is refused by the browser with a message in the
    page's language ("Rellene este campo.", set by ``assets/portal.js``),
    whatever the browser's own language.

    Args:
        label: What the customer reads above the input (a ``t()`` text).
        input_id: The input's id and its name in the submitted form.
        size: Radix size; ``"2"`` for the compact filter bars.
        error: A message about this field ("" for none), shown under it in
            red, tied to it by ``aria-describedby``, the input marked
            ``aria-invalid`` while there is one.
        **input_props: Passed to ``rx.input`` (type, required, default_value...).
    """
    message: list[rx.Component] = []
    if error is not None:
        error = rx.Var.create(error).to(str)
        error_id = field_error_id(input_id)
        described = input_props.pop("aria_describedby", None)
        input_props["aria_describedby"] = f"{described} {error_id}" if described else error_id
        input_props["aria_invalid"] = rx.cond(error != "", "true", "false")
        message.append(
            rx.el.p(
                error,
                id=error_id,
                style={"color": "var(--red-11)", "font_size": "0.875em", "margin": "0"},
            )
        )
    return rx.vstack(
        rx.el.label(
            label,
            html_for=input_id,
            style={"font_weight": "500", "font_size": "0.85em" if size == "2" else "1em"},
        ),
        rx.input(id=input_id, name=input_id, width="100%", size=size, **input_props),
        *message,
        spacing="1",
        width="100%",
    )


def email_field() -> rx.Component:
    """The login email, named ``email`` for the form data and autofill."""
    return field(
        t("Correo electrónico"), "email", type="email", required=True, auto_complete="username"
    )


def code_field() -> rx.Component:
    """«Código de verificación»: six digits from the app, or a recovery code (letters too)."""
    return field(
        t("Código de verificación"),
        "codigo",
        required=True,
        auto_complete="one-time-code",
        max_length=16,
        custom_attrs={"autocapitalize": "characters", "spellcheck": "false"},
    )


def alert(message: rx.Var, *, tone: str = "red") -> rx.Component:
    """A message that screen readers announce as soon as it appears."""
    return rx.box(
        rx.cond(
            message != "",
            rx.callout(
                message,
                color_scheme=tone,
                icon="info",
                size="1",
                width="100%",
                high_contrast=True,
            ),
        ),
        role="alert" if tone == "red" else "status",
        aria_live="assertive" if tone == "red" else "polite",
        # assets/portal.js reads it out with the page's heading after a posted form:
        # a message already there when a page loads is not announced by itself.
        custom_attrs={"data-aviso": tone},
        width="100%",
    )


def checklist(rules: rx.Var, asterisk_warning: rx.Var) -> rx.Component:
    """The live list of password rules: each turns green when it passes."""

    def item(rule: rx.Var) -> rx.Component:
        passed = rule.passed
        return rx.el.li(
            rx.hstack(
                rx.cond(
                    passed,
                    rx.icon("circle-check", color="var(--green-10)", size=16, aria_hidden="true"),
                    rx.icon("circle-x", color="var(--gray-9)", size=16, aria_hidden="true"),
                ),
                rx.text(
                    rule.label,
                    size="2",
                    color=rx.cond(passed, "var(--green-11)", "var(--gray-11)"),
                ),
                rx.el.span(
                    rx.cond(passed, t(" (cumplido)"), t(" (pendiente)")),
                    class_name="sr-only",
                    style={"position": "absolute", "left": "-9999px"},
                ),
                spacing="2",
                align="center",
            ),
            data_rule=rule.key,
            data_passed=rx.cond(passed, "true", "false"),
            style={"list_style": "none"},
        )

    return rx.vstack(
        rx.el.ul(
            rx.foreach(rules, item), id="password-rules", style={"padding": "0", "margin": "0"}
        ),
        rx.cond(
            asterisk_warning,
            rx.callout(
                t("Desaconsejamos el uso del símbolo del asterisco (*)."),
                icon="triangle-alert",
                color_scheme="amber",
                size="1",
            ),
        ),
        spacing="2",
        width="100%",
        aria_live="polite",
    )


def _typed_value_of(input_id: str) -> rx.Var:
    """The current text of input ``input_id``, read in the browser when an event fires."""
    return rx.Var(_js_expr=f"(document.getElementById({json.dumps(input_id)})?.value ?? '')")


def new_password_fields(state, *, password_label: str | rx.Var) -> list[rx.Component]:
    """Password, repeat, the live checklist and Actualizar, scored by a PasswordFormState.

    The inputs are plain form fields posted to the server; each keystroke only
    sends both values to ``state.check_rules``, which keeps the rule results.
    """
    return [
        field(
            password_label,
            "password",
            type="password",
            on_change=lambda value: state.check_rules(value, _typed_value_of("repeat")),
            auto_complete="new-password",
            aria_describedby="password-rules",
            max_length=256,
        ),
        field(
            t("Repetir contraseña"),
            "repeat",
            type="password",
            on_change=lambda value: state.check_rules(_typed_value_of("password"), value),
            auto_complete="new-password",
            max_length=256,
        ),
        checklist(state.rules, state.asterisk_warning),
        rx.button(
            t("Actualizar"), type="submit", disabled=~state.can_submit, size="3", width="100%"
        ),
    ]


def busy_button(*children, busy: rx.Var | bool = False, **props) -> rx.Component:
    """A button whose event waits for the server: a spinner and ``aria-busy`` while ``busy``.

    For buttons that call a Reflex event handler (a posted form's button is
    busy by itself, see :func:`post_form`). The handler sets the flag, yields
    so the customer sees it, does the slow part, and clears it::

        self.downloading = True
        yield
        ...
        self.downloading = False

    Args:
        *children: The label.
        busy: A state var, true while the server works.
        **props: Passed to ``rx.button`` (on_click, size, variant...).
    """
    return rx.button(*children, loading=busy, aria_busy=rx.cond(busy, "true", "false"), **props)


#: The attribute that marks a :func:`list_control` for ``assets/portal.js``.
LIST_CONTROL = "data-espera-lista"


def list_control(*children, **props) -> rx.Component:
    """A button that changes a list (a sort, a page, Buscar): busy from the press.

    A spinner and ``aria-busy`` from the moment it is pressed (a submit
    button: once its form is sent) until the server answers, however slow
    the connection: ``assets/portal.js`` marks it, and the list's
    :class:`customer_portal.components.lists.AfterListChange` clears it when
    the state's ``answers`` grows.

    Args:
        *children: The label.
        **props: Passed to ``rx.button`` (on_click, type, size, variant...).
    """
    custom_attrs = {LIST_CONTROL: "true", **props.pop("custom_attrs", {})}
    return rx.button(*children, custom_attrs=custom_attrs, **props)


class NativeForm(Form):
    """A ``<form>`` the browser submits itself: Reflex's own always prevents that."""

    @classmethod
    def create(cls, *children, **props):
        """Create the form without Reflex's submit handler (and its preventDefault)."""
        return super(Form, cls).create(*children, **props)


def post_form(*children: rx.Component, action: str, **props) -> rx.Component:
    """A form the browser posts to the server itself (an account route).

    Native on purpose: it works before the page's scripts have loaded, and a
    password goes in the request body, never in a URL. Under ``make dev`` the
    backend has its own port, so the action names it.

    Its submit button shows it is busy as soon as it is pressed (a spinner,
    ``aria-busy``, no second post) until the answer replaces the page; with
    the connection down it stays busy and the form is sent once the portal
    answers again (``assets/portal.js``, marked by ``data-portal-post``).
    """
    action = get_settings().backend_origin + action
    custom_attrs = {"data-portal-post": "true", **props.pop("custom_attrs", {})}
    return NativeForm.create(
        *children, method="post", action=action, custom_attrs=custom_attrs, **props
    )


def form_card(*children: rx.Component, max_width: str = "440px") -> rx.Component:
    """A narrow centred card holding one form."""
    return rx.card(*children, max_width=max_width, width="100%", margin_x="auto")
