"""Customer accounts: one login per customer, created unactivated on first invoice."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.limits import EMAIL_LENGTH
from customer_portal.models import Account, Customer

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


def ensure_account(*, session: Session, customer: Customer) -> Account | None:
    """The customer's account, created (without a password) if it has none.

    While an account is not activated it follows the customer's notice email,
    so the Alta email and the activation check always name the same address.

    Args:
        session: the unit of work (flushed, not committed).
        customer: the customer, already flushed (it has an id).

    Returns:
        The account; the existing one, unchanged, or None, when that email
        already belongs to another customer's login.
    """
    email = normalize_email(customer.email)
    # The customer's account and the login of its email, in one query (this
    # runs for every invoice published; both are unique, so at most two rows).
    found = session.exec(
        select(Account).where(
            sa.or_(col(Account.customer_id) == customer.id, col(Account.email) == email)
        )
    ).all()
    account = next((row for row in found if row.customer_id == customer.id), None)
    owner = next((row for row in found if row.email == email), None)
    if owner is not None and owner.customer_id != customer.id:
        log.warning("email of customer %s already used by another customer's login", customer.code)
        return account
    if account is None:
        account = Account(customer_id=customer.id, email=email)
        session.add(account)
        session.flush()
    elif account.activated_at is None and account.email != email:
        account.email = email
        session.add(account)
        session.flush()
    return account


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
