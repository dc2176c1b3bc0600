"""People's logins: emails as they are stored, and each person's own choices."""

from __future__ import annotations

import logging

from sqlmodel import Session, select

from customer_portal.limits import EMAIL_LENGTH
from customer_portal.models import Account

log = logging.getLogger(__name__)


def normalize_email(email: str) -> str:
    """Login emails compare without case or surrounding spaces."""
    return email.strip().lower()


def login_email(typed: str) -> str:
    """An email as a customer typed it, as logins are stored: normalised, cut to the column."""
    return normalize_email(typed)[:EMAIL_LENGTH]


def account_for(*, session: Session, email: str) -> Account | None:
    """The login of ``email`` (already :func:`login_email`), if there is one."""
    return session.exec(select(Account).where(Account.email == email)).first()


def set_notification_preferences(
    *,
    session: Session,
    account_id: int,
    new_invoices: bool,
    attach_pdf: bool,
    ip: str | None = None,
) -> None:
    """Mi cuenta, "Avisos por email": whether Nueva Factura emails come, with the PDFs or not.

    Args:
        session: the unit of work (committed by the caller).
        account_id: whose preferences (the signed-in account, never a form field).
        new_invoices: send a Nueva Factura email when invoices are published.
        attach_pdf: attach their signed PDFs to it.
        ip: the client address, for the audit trail.
    """
    from customer_portal.domain.audit import record_event

    account = session.get(Account, account_id)
    if account is None:
        return
    account.notify_new_invoices = new_invoices
    account.attach_pdf = attach_pdf
    session.add(account)
    record_event(
        session=session,
        actor=account.email,
        action="notifications.changed",
        ip=ip,
        detail={"new_invoices": new_invoices, "attach_pdf": attach_pdf},
    )
