"""Rendering the customer emails from their Jinja2 templates.

Each kind has ``<kind>.html`` and ``<kind>.txt`` in ``templates/`` and a
subject below. Variables are strict: a template that names a variable the
context lacks raises :class:`TemplateProblem` instead of sending "Estimado/a ."

Every email speaks to the customer as *usted*, as the manual's emails do.
Invoice emails take ``invoices``: a list of dicts with ``number``, ``date``,
``amount``, ``due_date``, ``status`` (with ``status_color`` and
``status_background``) and ``link``; one invoice reads as the manual's
sentence, several as a list.

Every email is written in its recipient's language (``language=``): the
templates say their words through Jinja2's i18n extension (``{% trans %}``
and ``_()``, newstyle: placeholders by name, values escaped in HTML), which
asks :mod:`customer_portal.i18n` for the current language's catalog; the
subjects are catalog entries too. Spanish, the source, needs no catalog.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jinja2

from customer_portal import i18n
from customer_portal.domain.password_rules import MIN_LENGTH
from customer_portal.i18n import N_, _
from customer_portal.settings import Branding

TEMPLATES = Path(__file__).with_name("templates")


class EmailKind(StrEnum):
    """Which customer email; the value names its templates and is stored in the outbox."""

    WELCOME = "welcome"  # "Alta en ..." with Ver credenciales
    NEW_INVOICE = "new_invoice"  # "Nueva Factura disponible en ..." with Ver factura
    PASSWORD_RESET = "password_reset"  # "Restablecer contraseña"
    PASSWORD_CHANGED = "password_changed"  # after a change or a reset: "was it you?"
    NEW_SIGN_IN = "new_sign_in"  # a sign-in from a browser the account had not used


#: In Spanish; each is translated when an email is rendered (:func:`subject_for`).
SUBJECTS = {
    EmailKind.WELCOME: N_("Alta en {portal_name}"),
    EmailKind.NEW_INVOICE: N_("Nueva Factura disponible en {portal_name}"),
    EmailKind.PASSWORD_RESET: N_("Restablecer contraseña"),
    EmailKind.PASSWORD_CHANGED: N_("Su contraseña de {portal_name} ha cambiado"),
    EmailKind.NEW_SIGN_IN: N_("Nuevo inicio de sesión en {portal_name}"),
}


class TemplateProblem(Exception):
    """A template cannot be rendered with the context it was given."""


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email (a signed invoice PDF)."""

    filename: str
    data: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class RenderedEmail:
    """An email ready to send: its subject, HTML body and plain-text alternative.

    ``attachments`` go out with it but are never kept in the outbox: the
    signed PDFs are in the store already.
    """

    subject: str
    html: str
    text: str
    attachments: tuple[Attachment, ...] = ()


def full_stop(text: str) -> str:
    """``text`` ending in one full stop: "Muñoz" → "Muñoz.", "Muñoz S.L." stays as it is."""
    text = str(text).rstrip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.filters["full_stop"] = full_stop
    # Looked up at every call: the environment is shared, the language is the email's.
    # (install_gettext_callables is added to the environment by the extension.)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.gettext(message),
        ngettext=lambda singular, plural, n: i18n.ngettext(singular, plural, n),
        newstyle=True,
    )
    return env


def _kind(kind: EmailKind | str) -> EmailKind:
    try:
        return EmailKind(kind)
    except ValueError:
        raise TemplateProblem(f"unknown email kind {kind!r}") from None


def _in_language(language: str | None) -> contextlib.AbstractContextManager[object]:
    """``language`` for the block; without one, the current language stays."""
    return i18n.use_language(language) if language else contextlib.nullcontext()


def subject_for(kind: EmailKind | str, branding: Branding, *, language: str | None = None) -> str:
    """The subject of a ``kind`` email, without rendering it (lists need no link minted).

    Args:
        kind: which email.
        branding: the company (the portal's name).
        language: the recipient's language; None keeps the current one
            (Spanish unless the caller set another).

    Raises:
        TemplateProblem: an unknown kind.
    """
    subject = SUBJECTS[_kind(kind)]
    with _in_language(language):
        return _(subject).format(portal_name=branding.portal_name)


def render_email(
    kind: EmailKind | str,
    context: dict[str, Any],
    *,
    branding: Branding,
    base_url: str,
    language: str | None = None,
) -> RenderedEmail:
    """Subject, HTML and text of one email, in ``language``.

    Args:
        kind: which email.
        context: the template's variables (see the module's docstring).
        branding: the company.
        base_url: the portal's address, for the logo.
        language: the recipient's language; None keeps the current one
            (Spanish unless the caller set another). A language the portal
            does not speak is Spanish.

    Raises:
        TemplateProblem: an unknown kind, a missing variable or a broken template.
    """
    kind = _kind(kind)
    if kind is EmailKind.NEW_INVOICE and not context.get("invoices"):
        raise TemplateProblem("new_invoice: no invoices to announce")
    with _in_language(language):
        return _render(kind, context, branding=branding, base_url=base_url)


def _render(
    kind: EmailKind, context: dict[str, Any], *, branding: Branding, base_url: str
) -> RenderedEmail:
    """:func:`render_email` in the current language."""
    subject = subject_for(kind, branding)
    variables = {
        # A Nueva Factura reminds of the credentials only when given their link.
        "credentials_link": "",
        "password_min_length": MIN_LENGTH,
        **context,
        "branding": branding,
        "base_url": base_url,
        "subject": subject,
        # The HTML's lang attribute: the language the email is written in.
        "language": i18n.current_language(),
    }
    env = _environment()
    try:
        html = env.get_template(f"{kind.value}.html").render(variables)
        text = env.get_template(f"{kind.value}.txt").render(variables)
    except jinja2.TemplateError as exc:
        raise TemplateProblem(f"{kind.value}: {exc.__class__.__name__}: {exc}") from exc
    return RenderedEmail(subject=subject, html=html, text=text)
