"""Which email a change causes, with which link, queued in the change's transaction.

- Invoices for a customer whose account is not active yet: the first
  publication brings the **Alta** (once per customer and address), with the
  manual's warnings and a fresh activation link; later ones bring **Nueva
  Factura** with a reminder that the credentials are still to be set and a
  fresh Ver credenciales button.
- Invoices for an active account: **Nueva Factura**, deep-linking to each.
- A password reset request: **Restablecer contraseña**.

**One email per customer per publication.** Every published invoice queues
its own outbox row in its own transaction (dedupe key: the invoice number, so
a re-published invoice never emails twice), with a ``group_key`` naming its
customer, held for :data:`NOTICE_HOLD`. The deliverer that claims the first
due row claims the rest of the group in the same UPDATE-guarded transaction,
held or not, and sends them as one email (see :mod:`customer_portal.mail.outbox`).
When a batch ends, :meth:`InvoiceNotices.after_batch` makes its rows due at
once, so a publication's email goes out without waiting for the hold.

Why there and not in the publication batch: each invoice commits alone (a
batch may stop half-way, several requests may carry one billing run, and the
CLI and API differ in batching), so a notice written at the end of a batch
could be lost to a crash or split across requests. A row per invoice, written
with the invoice, cannot be lost, and coalescing at delivery costs one indexed
UPDATE per email, not per invoice; at 100 invoices/s the hold (and the end of
the batch) gathers a customer's invoices. A crash between any two steps leaves
rows claimed or unclaimed, never half-sent: the group is re-claimed and sent
again under the first row's Message-ID, so the worst case is the same
at-least-once copy a single email has. Several workers never share a row.

Activation and reset links open an account, so they are never written to the
database: the queued row only says which link to make (``signed_link``: purpose
and account id) and :func:`delivery_context` mints it when the email is
rendered for delivery, from the account as it is at that moment. The token
lives in the email and nowhere else; the outbox keeps a redacted copy.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal import routes
from customer_portal.db import unit_of_work
from customer_portal.documents.integrity import TamperedDocument, intact_pdf
from customer_portal.domain import formats
from customer_portal.domain.accounts import normalize_email
from customer_portal.domain.downloads import download_filename
from customer_portal.domain.invoice_input import InvoiceData
from customer_portal.domain.languages import email_language
from customer_portal.domain.people import customers_of, ensure_people, may_see
from customer_portal.domain.status import invoice_status, is_overdue, status_label, today_in
from customer_portal.domain.tokens import TokenKeys, TokenPurpose
from customer_portal.i18n import DEFAULT_LANGUAGE, use_language
from customer_portal.mail.outbox import SIGNED_LINK, NothingToSend, enqueue
from customer_portal.mail.render import Attachment, EmailKind, TemplateProblem
from customer_portal.models import (
    Account,
    Customer,
    CustomerAccess,
    Invoice,
    OutboxEmail,
    utcnow,
)
from customer_portal.settings import Settings

log = logging.getLogger(__name__)

#: How long an invoice notice waits for the customer's next invoices before
#: it is due (a batch's end makes its notices due at once).
NOTICE_HOLD = timedelta(seconds=15)
#: The most a Nueva Factura email carries in attached PDFs: many mail servers
#: refuse messages over 10-25 MB, and base64 adds a third.
MAX_ATTACHMENT_BYTES = 7 * 1024 * 1024
#: The dedupe key of an invoice's notice: at most one per invoice and person, ever.
INVOICE_NOTICE = "invoice-notice:{number}:{account}"
# How many dedupe keys one UPDATE names when a batch releases its notices.
_RELEASE_CHUNK = 500


def _domain(settings: Settings) -> str:
    return parseaddr(settings.mail.mail_from)[1].rpartition("@")[2] or "localhost"


def _signed_link(account: Account, purpose: TokenPurpose) -> dict[str, Any]:
    """What the outbox row keeps instead of a link: enough to mint one later."""
    return {SIGNED_LINK: {"purpose": purpose.value, "account_id": account.id}}


def invoice_group(customer_id: int) -> str:
    """The ``group_key`` of a customer's invoice notices: they may share an email."""
    return f"invoices:{customer_id}"


def _alta_queued(session: Session, to: str) -> bool:
    """Whether this address already has an Alta that was not dropped (from any customer).

    A person linked to two customers gets one Alta; the other customer's
    invoices remind them of the credentials instead.
    """
    return (
        session.exec(
            select(OutboxEmail.id).where(
                col(OutboxEmail.to_address) == to,
                col(OutboxEmail.kind) == EmailKind.WELCOME.value,
                col(OutboxEmail.failed_at).is_(None),
            )
        ).first()
        is not None
    )


def notify_invoice_published(
    *,
    session: Session,
    invoice: Invoice,
    customer: Customer,
    data: InvoiceData,
    settings: Settings,
    hold: timedelta = NOTICE_HOLD,
) -> list[OutboxEmail]:
    """Queue the notices of a just-stored invoice, one per person of its customer.

    A publication hook (:class:`~customer_portal.domain.publishing.AfterStore`).
    The customer's people are made sure of first (its email and the invoice's
    ``contacts``, see :func:`customer_portal.domain.people.ensure_people`).
    Each row is held for ``hold`` so the customer's other invoices of the same
    publication join its email.

    Args:
        session: the invoice's unit of work.
        invoice: the invoice just stored.
        customer: its customer.
        data: the invoice as published (its ``contacts``).
        settings: the portal's settings (links, Message-ID domain).
        hold: how long the notices wait for others of the same customer.

    Returns:
        The rows queued: none for a person who asked for no Nueva Factura
        emails, or who was notified of this invoice before.
    """
    group = invoice_group(customer.id)
    queued = []
    contacts = data.contacts if data is not None else ()
    for account in ensure_people(session=session, customer=customer, contacts=contacts):
        context: dict[str, Any] = {
            "customer_name": customer.name,
            "invoice_number": invoice.number,
            "invoice_date": formats.short_date(invoice.issue_date),
        }
        if account.activated_at is None:
            # The first publication brings the Alta; later ones, while the
            # credentials are still to be set, a Nueva Factura that reminds.
            alta = not _alta_queued(session, account.email)
            kind = EmailKind.WELCOME if alta else EmailKind.NEW_INVOICE
            context.update(_signed_link(account, TokenPurpose.ACTIVATION))
        elif not account.notify_new_invoices:
            continue  # turned off in Mi cuenta: the invoice is on the portal all the same
        else:
            kind = EmailKind.NEW_INVOICE
        row = enqueue(
            session=session,
            kind=kind,
            to=account.email,
            context=context,
            dedupe_key=INVOICE_NOTICE.format(number=invoice.number, account=account.id),
            domain=_domain(settings),
            group_key=group,
            not_before=utcnow() + hold,
        )
        if row is not None:
            queued.append(row)
    return queued


class InvoiceNotices:
    """The publication hook that queues invoice notices, and releases them when a batch ends.

    Called per invoice as an :class:`~customer_portal.domain.publishing.AfterStore`
    hook; :meth:`after_batch` is called by the publisher once a batch is done.
    """

    def __init__(self, *, settings: Settings, hold: timedelta = NOTICE_HOLD):
        self._settings = settings
        self._hold = hold

    def __call__(
        self, *, session: Session, invoice: Invoice, customer: Customer, data: InvoiceData
    ) -> OutboxEmail | None:
        """Queue the invoice's notice (see :func:`notify_invoice_published`)."""
        return notify_invoice_published(
            session=session,
            invoice=invoice,
            customer=customer,
            data=data,
            settings=self._settings,
            hold=self._hold,
        )

    def after_batch(self, *, engine: sa.Engine, published: Iterable[str]) -> None:
        """Make the notices of the invoices just published due now: the batch is whole.

        Only shortens a hold: if this never runs (a crash), the hold ends anyway.

        Args:
            engine: the portal's database.
            published: the numbers of the invoices the batch published.
        """
        numbers = list(dict.fromkeys(published))
        now = utcnow()
        for start in range(0, len(numbers), _RELEASE_CHUNK):
            with unit_of_work(engine) as session:
                customers = session.exec(
                    select(Invoice.customer_id)
                    .where(col(Invoice.number).in_(numbers[start : start + _RELEASE_CHUNK]))
                    .distinct()
                ).all()
                session.exec(
                    sa.update(OutboxEmail)
                    .where(
                        col(OutboxEmail.group_key).in_([invoice_group(c) for c in customers]),
                        col(OutboxEmail.sent_at).is_(None),
                        col(OutboxEmail.attempts) == 0,
                        col(OutboxEmail.next_attempt_at) > now,
                    )
                    .values(next_attempt_at=now)
                )


def queue_activation(
    *, session: Session, account: Account, settings: Settings
) -> OutboxEmail | None:
    """Queue a new Alta email for an account whose link expired or broke.

    Returns:
        The queued email (each request is its own email).
    """
    customers = customers_of(session=session, account_id=account.id)
    return enqueue(
        session=session,
        kind=EmailKind.WELCOME,
        to=account.email,
        context={
            "customer_name": customers[0].name if customers else "",
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


#: Emails about the account itself: they list no invoices.
_ACCOUNT_NOTICES = (
    EmailKind.PASSWORD_RESET,
    EmailKind.PASSWORD_CHANGED,
    EmailKind.NEW_SIGN_IN,
)


def queue_security_notice(
    *,
    session: Session,
    account: Account,
    settings: Settings,
    kind: EmailKind,
    device: str,
    place: str,
    ip: str | None,
) -> OutboxEmail | None:
    """Queue a "was it you?" email: a password change, or a sign-in from a new device.

    It says when, from which device and where, and what to do if it was not
    them: the reset link page (their password may be known to someone else)
    and Mi cuenta's «No he sido yo». It carries no link that signs anyone in.
    """
    where = ", ".join(part for part in (place, ip or "") if part)
    return enqueue(
        session=session,
        kind=kind,
        to=account.email,
        context={
            "when": formats.timestamp(utcnow(), settings.timezone),
            "device": device,
            "where": where,
            "forgot_link": settings.base_url + routes.FORGOT_PASSWORD,
            "account_link": settings.base_url + routes.ACCOUNT,
        },
        dedupe_key=f"{kind.value}:{account.id}:{secrets.token_hex(8)}",
        domain=_domain(settings),
    )


@dataclass(frozen=True)
class DeliveryContext:
    """Outbox rows as they go out now, as one email.

    Attributes:
        kind: the email to render (an Alta whose account was activated
            meanwhile goes out as Nueva Factura).
        context: the template variables, with ``link`` and ``expires`` filled in.
        secret: the token inside ``link``, which must not outlive the sending;
            None when the email has no signed link.
        attachments: the signed PDFs, for an account that asked for them.
    """

    kind: EmailKind | str
    context: dict[str, Any]
    secret: str | None = None
    attachments: tuple[Attachment, ...] = ()
    #: The recipient's language (their choice, else their browser's, else Spanish).
    language: str = DEFAULT_LANGUAGE


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


def _read_spec(row: OutboxEmail, context: dict[str, Any]) -> tuple[TokenPurpose, Any] | None:
    spec = context.pop(SIGNED_LINK, None)
    if spec is None:
        return None
    try:
        return TokenPurpose(spec["purpose"]), spec["account_id"]
    except (TypeError, KeyError, ValueError):
        raise TemplateProblem(f"{row.kind}: unreadable {SIGNED_LINK} {spec!r}") from None


def _invoice_items(
    session: Session, contexts: list[dict[str, Any]], settings: Settings
) -> list[dict[str, str]]:
    """What the email says of each invoice: as stored now, status as the list shows it."""
    numbers = [c["invoice_number"] for c in contexts if c.get("invoice_number")]
    stored = {
        invoice.number: invoice
        for invoice in session.exec(select(Invoice).where(col(Invoice.number).in_(numbers))).all()
    }
    today = today_in(settings.timezone)
    items = []
    for number in dict.fromkeys(numbers):  # in queueing order, once each
        context = next(c for c in contexts if c.get("invoice_number") == number)
        item = {
            "number": number,
            "date": context.get("invoice_date", ""),
            "amount": "",
            "due_date": "",
            "status": "",
            "status_color": "",
            "status_background": "",
            "link": settings.base_url + routes.invoice_detail(number),
        }
        invoice = stored.get(number)
        if invoice is not None:
            status = invoice_status(invoice.total_cents, invoice.paid_cents)
            label = status_label(status, is_overdue(status, invoice.due_date, today))
            item.update(
                date=formats.short_date(invoice.issue_date),
                amount=formats.money(invoice.total_cents, invoice.currency),
                due_date=formats.optional_date(invoice.due_date),
                status=label.text,
                status_color=label.hex,
                status_background=label.background,
            )
        items.append(item)
    return items


def _alta_sent(session: Session, rows: list[OutboxEmail]) -> bool:
    """Whether an Alta already went out to this address (for any of its customers)."""
    first = rows[0]
    return (
        session.exec(
            select(OutboxEmail.id).where(
                col(OutboxEmail.to_address) == first.to_address,
                col(OutboxEmail.kind) == EmailKind.WELCOME.value,
                col(OutboxEmail.sent_at).is_not(None),
                col(OutboxEmail.id).not_in([row.id for row in rows]),
            )
        ).first()
        is not None
    )


def _recipient(session: Session, first: OutboxEmail) -> Account | None:
    """The person the email goes to, if its address is a login (read once per email)."""
    return session.exec(
        select(Account).where(col(Account.email) == normalize_email(first.to_address))
    ).first()


def _attachments(
    session: Session, account: Account | None, invoices: list[dict[str, str]]
) -> tuple[tuple[Attachment, ...], int]:
    """The signed PDFs of ``invoices`` if the recipient asked for them, and how many were left out.

    Only invoices of the customer whose account the email goes to, each read
    through the integrity check (one that fails is left out and logged), and
    no more than :data:`MAX_ATTACHMENT_BYTES` in all: mail servers refuse
    larger messages, and the rest are a click away on the portal.
    """
    if not invoices or account is None or not account.attach_pdf:
        return (), 0
    found: list[Attachment] = []
    left_out = 0
    total = 0
    for item in invoices:
        invoice_id = session.exec(
            select(Invoice.id).where(
                col(Invoice.number) == item["number"],
                # Only invoices of a customer the person still belongs to.
                col(Invoice.customer_id).in_(
                    select(CustomerAccess.customer_id).where(
                        col(CustomerAccess.account_id) == account.id
                    )
                ),
            )
        ).first()
        try:
            pdf = intact_pdf(session=session, invoice_id=invoice_id) if invoice_id else None
        except TamperedDocument as exc:
            log.error("not attached to its email: %s", exc)
            pdf = None
        if pdf is None or total + len(pdf) > MAX_ATTACHMENT_BYTES:
            left_out += 1
            continue
        total += len(pdf)
        found.append(Attachment(download_filename(item["number"]), pdf))
    return tuple(found), left_out


def _check_still_linked(session: Session, first: OutboxEmail, account: Account | None) -> None:
    """A customer's invoice email goes only to a person still linked to that customer.

    Raises:
        NothingToSend: the operator removed the person after the email was queued.
    """
    if not (first.group_key or "").startswith("invoices:"):
        return
    customer_id = int(first.group_key.partition(":")[2])
    if account is not None and not may_see(
        session=session, account_id=account.id, customer_id=customer_id
    ):
        raise NothingToSend("the person no longer belongs to the invoices' customer")


def delivery_context(
    *, session: Session, rows: list[OutboxEmail], settings: Settings
) -> DeliveryContext:
    """The template context of the email ``rows`` make, with its signed link minted now.

    ``rows`` is one row, or a group of invoice notices of one customer and
    address (the first decides the Message-ID): they become one Alta or one
    Nueva Factura listing every invoice.

    Args:
        session: reads the link's account and the invoices (nothing is written).
        rows: the outbox rows going out together, oldest first.
        settings: the portal's settings (secret key, link lifetimes, base URL).

    Raises:
        NothingToSend: the link's account is gone, no longer has the rows'
            address, or (a bare Alta) was activated meanwhile.
        TemplateProblem: a row's link description cannot be read.
    """
    recipient = _recipient(session, rows[0])
    # The recipient's language for everything the email says, statuses included.
    with use_language(email_language(recipient)) as language:
        content = _content(session, rows, settings, recipient)
    return dataclasses.replace(content, language=language)


def _content(
    session: Session, rows: list[OutboxEmail], settings: Settings, recipient: Account | None
) -> DeliveryContext:
    first = rows[0]
    _check_still_linked(session, first, recipient)
    contexts = [json.loads(row.context) for row in rows]
    specs = [_read_spec(row, context) for row, context in zip(rows, contexts, strict=True)]
    spec = next((s for s in specs if s is not None), None)
    base = {k: v for k, v in contexts[0].items() if k not in ("invoice_number", "invoice_date")}
    if first.kind in _ACCOUNT_NOTICES:
        invoices: list[dict[str, str]] = []
    else:
        invoices = _invoice_items(session, contexts, settings)
    base["invoices"] = invoices
    base["password_min_length"] = settings.password_min_length
    # One Alta in the group makes the email an Alta (listing every invoice).
    welcome = any(row.kind == EmailKind.WELCOME for row in rows)
    kind: EmailKind | str = EmailKind.WELCOME if welcome else first.kind
    if spec is None:
        # Nueva Factura for an active account: plain page links, no secret.
        attachments, left_out = _attachments(session, recipient, invoices)
        context = {
            **base,
            "credentials_link": "",
            "attached": len(attachments),
            "not_attached": left_out,
        }
        return DeliveryContext(kind, context, attachments=attachments)

    purpose, account_id = spec
    account = session.get(Account, account_id) if isinstance(account_id, int) else None
    if account is None:
        # Nobody could use the link, and an email whose only point is a link
        # that fails would just confuse the customer.
        raise NothingToSend("its account no longer exists")

    if purpose is TokenPurpose.ACTIVATION and account.activated_at is not None:
        # The customer set a password with an earlier link: the credentials
        # part is moot (an activation link would be dead anyway). Invoices
        # still owe their news, so they go out as the Nueva Factura they would
        # be if queued now; a bare re-sent Alta has nothing left to say.
        if not invoices:
            raise NothingToSend("the account was activated before it went out")
        return DeliveryContext(EmailKind.NEW_INVOICE, {**base, "credentials_link": ""})

    if account.email != normalize_email(first.to_address):
        # The address changed after queueing (an Alta follows the customer's
        # email): a link minted now would work, and the old mailbox must not
        # get it. The new address gets its own Alta with the next invoice or
        # from auth.request_new_activation_link.
        raise NothingToSend("the account's email address changed after it was queued")

    token, link, expires = _mint(settings, account, purpose)
    if kind == EmailKind.WELCOME and invoices and _alta_sent(session, rows):
        # Two publications raced past the check at queueing: one Alta is enough.
        kind = EmailKind.NEW_INVOICE
    if kind == EmailKind.NEW_INVOICE:
        # Not activated yet: the invoices, and a reminder with a fresh link.
        context = {**base, "credentials_link": link, "expires": expires}
    else:
        context = {**base, "link": link, "expires": expires}
    return DeliveryContext(kind, context, secret=token)
