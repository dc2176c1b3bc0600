"""Which email a change causes, with which link, queued in the change's transaction.

- An invoice for a customer whose account is not active yet: **Alta**, with a
  fresh activation link (each new invoice brings a new link, never a dead one).
- An invoice for an active account: **Nueva Factura**, deep-linking to it.
- A password reset request: **Restablecer contraseña**.

One notice per invoice at most: the dedupe key is the invoice number, so a
re-published invoice never emails twice.

Activation and reset links open an account, so they are never written to the
database: the queued row only says which link to make (``signed_link``: purpose
and account id) and :func:`delivery_context` mints it when the email is
rendered for delivery, from the account as it is at that moment. The token
lives in the email and nowhere else; the outbox keeps a redacted copy.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from sqlmodel import Session

from customer_portal import routes
from customer_portal.domain import formats
from customer_portal.domain.accounts import ensure_account, normalize_email
from customer_portal.domain.invoice_input import InvoiceData
from customer_portal.domain.tokens import TokenKeys, TokenPurpose
from customer_portal.mail.outbox import SIGNED_LINK, NothingToSend, enqueue
from customer_portal.mail.render import EmailKind, TemplateProblem
from customer_portal.models import Account, Customer, Invoice, OutboxEmail, utcnow
from customer_portal.settings import Settings

log = logging.getLogger(__name__)


def _domain(settings: Settings) -> str:
    return parseaddr(settings.mail.mail_from)[1].rpartition("@")[2] or "localhost"


def _signed_link(account: Account, purpose: TokenPurpose) -> dict[str, Any]:
    """What the outbox row keeps instead of a link: enough to mint one later."""
    return {SIGNED_LINK: {"purpose": purpose.value, "account_id": account.id}}


def notify_invoice_published(
    *,
    session: Session,
    invoice: Invoice,
    customer: Customer,
    data: InvoiceData,
    settings: Settings,
) -> OutboxEmail | None:
    """Queue the Alta or Nueva Factura email for a just-stored invoice.

    A publication hook (:class:`~customer_portal.domain.publishing.AfterStore`).

    Args:
        session: the invoice's unit of work.
        invoice: the invoice just stored.
        customer: its customer; its account is created here if it has none.
        data: the invoice as published (unused; part of the hook's shape).
        settings: the portal's settings (links, Message-ID domain).

    Returns:
        The queued email, or None if this invoice was notified before.
    """
    account = ensure_account(session=session, customer=customer)
    context = {
        "customer_name": customer.name,
        "invoice_number": invoice.number,
        "invoice_date": formats.short_date(invoice.issue_date),
    }
    if account is not None and account.activated_at is None:
        kind = EmailKind.WELCOME
        context.update(_signed_link(account, TokenPurpose.ACTIVATION))
        to = account.email
    else:
        kind = EmailKind.NEW_INVOICE
        # A plain page behind the login, not a secret: it may be stored.
        context["link"] = settings.base_url + routes.invoice_detail(invoice.number)
        to = account.email if account is not None else customer.email
    return enqueue(
        session=session,
        kind=kind,
        to=to,
        context=context,
        dedupe_key=f"invoice-notice:{invoice.number}",
        domain=_domain(settings),
    )


def queue_activation(
    *, session: Session, account: Account, settings: Settings
) -> OutboxEmail | None:
    """Queue a new Alta email for an account whose link expired or broke.

    Returns:
        The queued email (each request is its own email).
    """
    customer = session.get(Customer, account.customer_id)
    return enqueue(
        session=session,
        kind=EmailKind.WELCOME,
        to=account.email,
        context={
            "customer_name": customer.name if customer else "",
            "invoice_number": "",
            "invoice_date": "",
            **_signed_link(account, TokenPurpose.ACTIVATION),
        },
        dedupe_key=f"activation:{account.id}:{secrets.token_hex(8)}",
        domain=_domain(settings),
    )


def queue_password_reset(
    *, session: Session, account: Account, settings: Settings
) -> OutboxEmail | None:
    """Queue a Restablecer contraseña email; its link (one hour by default) is made at delivery.

    Returns:
        The queued email (each request is its own email).
    """
    return enqueue(
        session=session,
        kind=EmailKind.PASSWORD_RESET,
        to=account.email,
        context=_signed_link(account, TokenPurpose.PASSWORD_RESET),
        # Every request is its own email; throttling requests is the caller's job.
        dedupe_key=f"password-reset:{account.id}:{secrets.token_hex(8)}",
        domain=_domain(settings),
    )


@dataclass(frozen=True)
class DeliveryContext:
    """An outbox row as it goes out now.

    Attributes:
        kind: the email to render (an Alta whose account was activated
            meanwhile goes out as Nueva Factura).
        context: the template variables, with ``link`` and ``expires`` filled in.
        secret: the token inside ``link``, which must not outlive the sending;
            None when the link is a plain page URL.
    """

    kind: EmailKind | str
    context: dict[str, Any]
    secret: str | None = None


def _mint(settings: Settings, account: Account, purpose: TokenPurpose) -> tuple[str, str, str]:
    """A signed link for ``account`` as it is now: token, URL, and when it stops working."""
    token = TokenKeys(settings.secret_key).issue(purpose, account)
    if purpose is TokenPurpose.ACTIVATION:
        path = routes.activation(token)
        lifetime = timedelta(hours=settings.activation_ttl_hours)
    else:
        path = routes.password_reset(token)
        lifetime = timedelta(minutes=settings.reset_ttl_minutes)
    # The token's age counts from now, so the expiry the customer reads does too.
    # The link is an HTTP route: under `make dev` it is on the backend's own port.
    origin = settings.backend_origin or settings.base_url
    return token, origin + path, formats.timestamp(utcnow() + lifetime, settings.timezone)


def delivery_context(*, session: Session, row: OutboxEmail, settings: Settings) -> DeliveryContext:
    """The template context of ``row``, with its signed link minted now if it has one.

    Args:
        session: reads the link's account (nothing is written).
        row: the outbox email.
        settings: the portal's settings (secret key, link lifetimes, base URL).

    Raises:
        NothingToSend: the link's account is gone, no longer has the row's
            address, or (a bare Alta) was activated meanwhile.
        TemplateProblem: the row's link description cannot be read.
    """
    context = json.loads(row.context)
    spec = context.pop(SIGNED_LINK, None)
    if spec is None:
        return DeliveryContext(row.kind, context)
    try:
        purpose = TokenPurpose(spec["purpose"])
        account_id = spec["account_id"]
    except (TypeError, KeyError, ValueError):
        raise TemplateProblem(f"{row.kind}: unreadable {SIGNED_LINK} {spec!r}") from None
    account = session.get(Account, account_id) if isinstance(account_id, int) else None
    if account is None:
        # Nobody could use the link, and an email whose only point is a link
        # that fails would just confuse the customer.
        raise NothingToSend("its account no longer exists")

    if purpose is TokenPurpose.ACTIVATION and account.activated_at is not None:
        # The customer set a password with an earlier link: the credentials
        # part is moot (an activation link would be dead anyway). An Alta that
        # also announces an invoice still owes that news, so it goes out as the
        # Nueva Factura it would be if queued now; a bare re-sent Alta has
        # nothing left to say.
        if not context.get("invoice_number"):
            raise NothingToSend("the account was activated before it went out")
        link = settings.base_url + routes.invoice_detail(context["invoice_number"])
        return DeliveryContext(EmailKind.NEW_INVOICE, {**context, "link": link})

    if account.email != normalize_email(row.to_address):
        # The address changed after queueing (an Alta follows the customer's
        # email): a link minted now would work, and the old mailbox must not
        # get it. The new address gets its own Alta with the next invoice or
        # from auth.request_new_activation_link.
        raise NothingToSend("the account's email address changed after it was queued")

    token, link, expires = _mint(settings, account, purpose)
    return DeliveryContext(row.kind, {**context, "link": link, "expires": expires}, secret=token)
