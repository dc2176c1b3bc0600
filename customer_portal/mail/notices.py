"""Which email a change causes, with which link, queued in the change's transaction.

- An invoice for a customer whose account is not active yet: **Alta**, with a
  fresh activation link (each new invoice brings a new link, never a dead one).
- An invoice for an active account: **Nueva Factura**, deep-linking to it.
- A password reset request: **Restablecer contraseña**.

One notice per invoice at most: the dedupe key is the invoice number, so a
re-published invoice never emails twice.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from email.utils import parseaddr

from sqlmodel import Session

from customer_portal import routes
from customer_portal.domain import formats
from customer_portal.domain.accounts import ensure_account
from customer_portal.domain.invoice_input import InvoiceData
from customer_portal.domain.tokens import TokenKeys, TokenPurpose
from customer_portal.mail.outbox import enqueue
from customer_portal.mail.render import EmailKind
from customer_portal.models import Account, Customer, Invoice, OutboxEmail, utcnow
from customer_portal.settings import Settings

log = logging.getLogger(__name__)


def _domain(settings: Settings) -> str:
    return parseaddr(settings.mail.mail_from)[1].rpartition("@")[2] or "localhost"


def _link(settings: Settings, account: Account, purpose: TokenPurpose) -> dict[str, str]:
    """A fresh signed link for ``account`` and, in Spanish, when it stops working."""
    token = TokenKeys(settings.secret_key).issue(purpose, account)
    if purpose is TokenPurpose.ACTIVATION:
        path = routes.activation(token)
        lifetime = timedelta(hours=settings.activation_ttl_hours)
    else:
        path = routes.password_reset(token)
        lifetime = timedelta(minutes=settings.reset_ttl_minutes)
    return {"link": settings.base_url + path, "expires": formats.timestamp(utcnow() + lifetime)}


def notify_invoice_published(
    session: Session,
    invoice: Invoice,
    customer: Customer,
    data: InvoiceData,
    *,
    settings: Settings,
) -> OutboxEmail | None:
    """Queue the Alta or Nueva Factura email for a just-stored invoice."""
    account = ensure_account(session, customer)
    context = {
        "customer_name": customer.name,
        "invoice_number": invoice.number,
        "invoice_date": formats.short_date(invoice.issue_date),
    }
    if account is not None and account.activated_at is None:
        kind = EmailKind.WELCOME
        context.update(_link(settings, account, TokenPurpose.ACTIVATION))
        to = account.email
    else:
        kind = EmailKind.NEW_INVOICE
        context["link"] = settings.base_url + routes.invoice_detail(invoice.number)
        to = account.email if account is not None else customer.email
    return enqueue(
        session,
        kind=kind,
        to=to,
        context=context,
        dedupe_key=f"invoice-notice:{invoice.number}",
        domain=_domain(settings),
    )


def queue_activation(
    session: Session, account: Account, *, settings: Settings
) -> OutboxEmail | None:
    """Queue a new Alta email for an account whose link expired or broke."""
    customer = session.get(Customer, account.customer_id)
    return enqueue(
        session,
        kind=EmailKind.WELCOME,
        to=account.email,
        context={
            "customer_name": customer.name if customer else "",
            "invoice_number": "",
            "invoice_date": "",
            **_link(settings, account, TokenPurpose.ACTIVATION),
        },
        dedupe_key=f"activation:{account.id}:{secrets.token_hex(8)}",
        domain=_domain(settings),
    )


def queue_password_reset(
    session: Session, account: Account, *, settings: Settings
) -> OutboxEmail | None:
    """Queue a Restablecer contraseña email with a fresh link (one hour by default)."""
    return enqueue(
        session,
        kind=EmailKind.PASSWORD_RESET,
        to=account.email,
        context=_link(settings, account, TokenPurpose.PASSWORD_RESET),
        # Every request is its own email; throttling requests is the caller's job.
        dedupe_key=f"password-reset:{account.id}:{secrets.token_hex(8)}",
        domain=_domain(settings),
    )
