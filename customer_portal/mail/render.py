"""Rendering the customer emails from their Jinja2 templates.

Each kind has ``<kind>.html`` and ``<kind>.txt`` in ``templates/`` and a
subject below. Variables are strict: a template that names a variable the
context lacks raises :class:`TemplateProblem` instead of sending "Estimado/a ."

Every email speaks to the customer as *usted*, as the manual's emails do.
Invoice emails take ``invoices``: a list of dicts with ``number``, ``date``,
``amount``, ``due_date``, ``status`` (with ``status_color`` and
``status_background``) and ``link``; one invoice reads as the manual's
sentence, several as a list.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jinja2

from customer_portal.domain.password_rules import MIN_LENGTH
from customer_portal.settings import Branding

TEMPLATES = Path(__file__).with_name("templates")


class EmailKind(StrEnum):
    """Which customer email; the value names its templates and is stored in the outbox."""

    WELCOME = "welcome"  # "Alta en ..." with Ver credenciales
    NEW_INVOICE = "new_invoice"  # "Nueva Factura disponible en ..." with Ver factura
    PASSWORD_RESET = "password_reset"  # "Restablecer contraseña"
    PASSWORD_CHANGED = "password_changed"  # after a change or a reset: "was it you?"
    NEW_SIGN_IN = "new_sign_in"  # a sign-in from a browser the account had not used


SUBJECTS = {
    EmailKind.WELCOME: "Alta en {portal_name}",
    EmailKind.NEW_INVOICE: "Nueva Factura disponible en {portal_name}",
    EmailKind.PASSWORD_RESET: "Restablecer contraseña",
    EmailKind.PASSWORD_CHANGED: "Su contraseña de {portal_name} ha cambiado",
    EmailKind.NEW_SIGN_IN: "Nuevo inicio de sesión en {portal_name}",
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
    )
    env.filters["full_stop"] = full_stop
    return env


def _kind(kind: EmailKind | str) -> EmailKind:
    try:
        return EmailKind(kind)
    except ValueError:
        raise TemplateProblem(f"unknown email kind {kind!r}") from None


def subject_for(kind: EmailKind | str, branding: Branding) -> str:
    """The subject of a ``kind`` email, without rendering it (lists need no link minted).

    Raises:
        TemplateProblem: an unknown kind.
    """
    return SUBJECTS[_kind(kind)].format(portal_name=branding.portal_name)


def render_email(
    kind: EmailKind | str, context: dict[str, Any], *, branding: Branding, base_url: str
) -> RenderedEmail:
    """Subject, HTML and text of one email.

    Raises:
        TemplateProblem: an unknown kind, a missing variable or a broken template.
    """
    kind = _kind(kind)
    if kind is EmailKind.NEW_INVOICE and not context.get("invoices"):
        raise TemplateProblem("new_invoice: no invoices to announce")
    subject = subject_for(kind, branding)
    variables = {
        # A Nueva Factura reminds of the credentials only when given their link.
        "credentials_link": "",
        "password_min_length": MIN_LENGTH,
        **context,
        "branding": branding,
        "base_url": base_url,
        "subject": subject,
    }
    env = _environment()
    try:
        html = env.get_template(f"{kind.value}.html").render(variables)
        text = env.get_template(f"{kind.value}.txt").render(variables)
    except jinja2.TemplateError as exc:
        raise TemplateProblem(f"{kind.value}: {exc.__class__.__name__}: {exc}") from exc
    return RenderedEmail(subject=subject, html=html, text=text)
