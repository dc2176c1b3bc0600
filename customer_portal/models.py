"""The portal's tables (SQLModel).

Money is integer cents; quantities and unit prices are integers at a fixed
scale (see :mod:`customer_portal.domain.money`), so no float ever touches an
amount. Timestamps are timezone-aware UTC on every database. The schema itself
is created by the alembic migrations in ``customer_portal/migrations``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from customer_portal.limits import (
    ADDRESS_LENGTH,
    AUDIT_ACTION_LENGTH,
    AUDIT_ACTOR_LENGTH,
    AUDIT_SUBJECT_LENGTH,
    CLAIM_TOKEN_LENGTH,
    CURRENCY_LENGTH,
    CUSTOMER_CODE_LENGTH,
    CUSTOMER_NAME_LENGTH,
    DEDUPE_KEY_LENGTH,
    EMAIL_KIND_LENGTH,
    EMAIL_LENGTH,
    EMAIL_SUBJECT_LENGTH,
    GROUP_KEY_LENGTH,
    INVOICE_NUMBER_LENGTH,
    IP_LENGTH,
    LANGUAGE_LENGTH,
    LAST_ERROR_LENGTH,
    LINE_DESCRIPTION_LENGTH,
    MESSAGE_ID_LENGTH,
    PASSWORD_HASH_LENGTH,
    PAYMENT_REFERENCE_LENGTH,
    SHA256_HEX_LENGTH,
    SIGNER_SUBJECT_LENGTH,
    TAX_ID_LENGTH,
    TAX_NAME_LENGTH,
    TOTP_SECRET_LENGTH,
    USER_AGENT_LENGTH,
    VERIFICATION_CODE_LENGTH,
)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC: the only kind of time the tables accept."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so without this a value written aware would come
    back naive and compare wrongly against ``utcnow()``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        """Convert ``value`` to UTC on its way in.

        Raises:
            ValueError: ``value`` is naive, so its zone would be a guess.
        """
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        """Read a stored value back as an aware UTC datetime; a naive one is taken as UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(**kwargs) -> object:
    return Field(sa_type=UTCDateTime, **kwargs)


class Customer(SQLModel, table=True):
    """A customer of the company, as the billing system knows it."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=CUSTOMER_CODE_LENGTH, unique=True, index=True)
    name: str = Field(max_length=CUSTOMER_NAME_LENGTH)
    tax_id: str = Field(max_length=TAX_ID_LENGTH)
    email: str = Field(max_length=EMAIL_LENGTH)
    address: str | None = Field(default=None, max_length=ADDRESS_LENGTH)
    created_at: datetime = _ts(default_factory=utcnow)
    updated_at: datetime = _ts(default_factory=utcnow)
    # Set by the operator (CLI): its people must use a second factor to sign in.
    requires_second_factor: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )


class Account(SQLModel, table=True):
    """A person's login: one email, one password (none until activated).

    Which customers' invoices the person sees is :class:`CustomerAccess`: a
    company's clerk and its outside accountant are two people of one
    customer, and an accountant may be a person of many customers.
    """

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=EMAIL_LENGTH, unique=True)  # always lower-cased
    password_hash: str | None = Field(default=None, max_length=PASSWORD_HASH_LENGTH)
    activated_at: datetime | None = _ts(default=None)
    password_changed_at: datetime | None = _ts(default=None)
    created_at: datetime = _ts(default_factory=utcnow)
    # Mi cuenta, "Avisos por email": a Nueva Factura email per publication, and
    # whether it carries the signed PDFs. The Alta always goes (it has the link).
    notify_new_invoices: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    attach_pdf: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Verificación en dos pasos (domain/second_factor.py): the TOTP secret,
    # encrypted with a key derived from PORTAL_SECRET_KEY; "pending" while the
    # person has not yet confirmed a code from their app.
    totp_secret: str | None = Field(default=None, max_length=TOTP_SECRET_LENGTH)
    totp_pending_secret: str | None = Field(default=None, max_length=TOTP_SECRET_LENGTH)
    totp_enabled_at: datetime | None = _ts(default=None)
    # The last 30-second step whose code was accepted: a code works once.
    totp_last_step: int | None = Field(default=None, sa_type=sa.BigInteger)
    # Idioma (customer_portal/i18n): the person's own choice, and the language
    # their browser asked for when they last signed in; emails use the first
    # known of the two, else Spanish.
    language: str | None = Field(default=None, max_length=LANGUAGE_LENGTH)
    browser_language: str | None = Field(default=None, max_length=LANGUAGE_LENGTH)


class CustomerAccess(SQLModel, table=True):
    """A person (:class:`Account`) who may see a customer's invoices and gets its emails."""

    __tablename__ = "customer_access"
    __table_args__ = (sa.UniqueConstraint("customer_id", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    added_at: datetime = _ts(default_factory=utcnow)


class RemovedPerson(SQLModel, table=True):
    """An email the operator removed from a customer: invoices naming it do not link it again."""

    __tablename__ = "removed_person"
    __table_args__ = (sa.UniqueConstraint("customer_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    email: str = Field(max_length=EMAIL_LENGTH)
    removed_at: datetime = _ts(default_factory=utcnow)


#: What Mis facturas reads of an invoice to count, sum and filter it.
_LISTED = ("issue_date", "total_cents", "due_date", "currency", "paid_cents", "number")


def _covering_index(name: str, sort: str) -> sa.Index:
    """An index of one customer's invoices by ``sort``, then id, holding all of ``_LISTED``."""
    rest = [column for column in _LISTED if column != sort]
    return sa.Index(name, "customer_id", sort, "id", *rest)


def _new_verification_code() -> str:
    # Imported when called: the domain imports these models.
    from customer_portal.domain.verification import new_code

    return new_code()


class Invoice(SQLModel, table=True):
    """A published invoice. Its content never changes after publication."""

    __table_args__ = (
        # Mis facturas (domain/invoice_search.py) at 50,000 invoices a customer
        # (bench/queries.py): each index starts with a sort's column and then
        # holds every column the list's count, pending total and filters read,
        # so those never touch the table, whichever index the planner picks.
        # id after the sort column gives the page's tiebreak order.
        _covering_index("ix_invoice_customer_list", "issue_date"),
        _covering_index("ix_invoice_customer_total", "total_cents"),
        _covering_index("ix_invoice_customer_due", "due_date"),
        sa.Index("ix_invoice_customer_number", "customer_id", "number", "id"),
        sa.CheckConstraint("paid_cents >= 0 AND paid_cents <= total_cents", name="paid_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=INVOICE_NUMBER_LENGTH, unique=True)
    customer_id: int = Field(foreign_key="customer.id")
    issue_date: date
    due_date: date | None = None
    currency: str = Field(default="EUR", max_length=CURRENCY_LENGTH)
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    paid_cents: int = 0
    # sha256 of the canonical input: tells a harmless re-post from a conflicting one.
    content_hash: str = Field(max_length=SHA256_HEX_LENGTH)
    published_at: datetime = _ts(default_factory=utcnow)
    # What /verificar asks for (domain/verification.py): random, printed on the PDF.
    # Publishing sets it (the PDF prints it first); any other insert gets a fresh one.
    verification_code: str = Field(
        default_factory=_new_verification_code,
        max_length=VERIFICATION_CODE_LENGTH,
        unique=True,
        index=True,
        sa_column_kwargs={"default": _new_verification_code},
    )


class InvoiceLine(SQLModel, table=True):
    """One line of a published invoice, at the scales of :mod:`customer_portal.domain.money`."""

    __tablename__ = "invoice_line"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    position: int
    description: str = Field(max_length=LINE_DESCRIPTION_LENGTH)
    quantity_milli: int  # thousandths of a unit
    unit_price_e4: int  # ten-thousandths of the currency unit
    tax_name: str = Field(max_length=TAX_NAME_LENGTH)
    tax_rate_bp: int  # basis points: 7 % is 700
    amount_cents: int  # net amount of the line, rounded half up


class Payment(SQLModel, table=True):
    """A payment recorded against an invoice; ``reference`` makes a re-sent one count once.

    Each payment's amount is also added to the invoice's ``paid_cents``.
    """

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    amount_cents: int
    paid_on: date
    reference: str = Field(max_length=PAYMENT_REFERENCE_LENGTH, unique=True)
    recorded_at: datetime = _ts(default_factory=utcnow)


class SignedDocument(SQLModel, table=True):
    """The signed PDF of an invoice: written once; afterwards only ever appended to.

    The one change is an archive timestamp (documents/archive.py): an
    incremental update, so the signed bytes stay a prefix of ``pdf``, with
    ``sha256`` and ``size`` rewritten in the same transaction.
    """

    __tablename__ = "signed_document"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", unique=True)
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    sha256: str = Field(max_length=SHA256_HEX_LENGTH)
    size: int
    signed_at: datetime = _ts()
    signer_subject: str = Field(max_length=SIGNER_SUBJECT_LENGTH)
    # sha256 of the signer certificate
    signer_fingerprint: str = Field(max_length=SHA256_HEX_LENGTH)
    timestamped: bool = False
    # When the latest archive timestamp (PAdES B-LTA) was appended; None before the first.
    archived_at: datetime | None = _ts(default=None, nullable=True)


class OutboxEmail(SQLModel, table=True):
    """An email written in the same transaction as the change that causes it.

    The row holds what to say (``kind`` and ``context``); subject and bodies
    are rendered at delivery and kept once sent, so a template problem keeps
    the email waiting instead of failing the publication that caused it.
    """

    __tablename__ = "outbox_email"
    __table_args__ = (
        sa.Index("ix_outbox_pending", "sent_at", "failed_at", "next_attempt_at"),
        # The notices that may share one email: looked up when one is claimed.
        sa.Index("ix_outbox_group", "group_key", "sent_at"),
        # A deliverer reads and finishes its claim by token, twice per email:
        # without it each was a scan of the whole outbox, sent emails included.
        sa.Index("ix_outbox_claim", "claim_token"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=EMAIL_KIND_LENGTH)
    to_address: str = Field(max_length=EMAIL_LENGTH)
    context: str = Field(sa_type=sa.Text)  # JSON
    subject: str | None = Field(default=None, max_length=EMAIL_SUBJECT_LENGTH)
    html: str | None = Field(default=None, sa_type=sa.Text)
    text: str | None = Field(default=None, sa_type=sa.Text)
    dedupe_key: str = Field(max_length=DEDUPE_KEY_LENGTH, unique=True)
    # Stable across retries: receivers can dedupe.
    message_id: str = Field(max_length=MESSAGE_ID_LENGTH)
    attempts: int = 0
    next_attempt_at: datetime = _ts(default_factory=utcnow)
    claimed_until: datetime | None = _ts(default=None)
    claim_token: str | None = Field(default=None, max_length=CLAIM_TOKEN_LENGTH)
    sent_at: datetime | None = _ts(default=None)
    failed_at: datetime | None = _ts(default=None)
    last_error: str | None = Field(default=None, max_length=LAST_ERROR_LENGTH)
    created_at: datetime = _ts(default_factory=utcnow)
    # Invoice notices with the same key and address go out as one email
    # (see customer_portal.mail.notices); None: the row is an email of its own.
    group_key: str | None = Field(default=None, max_length=GROUP_KEY_LENGTH)
    # Sent inside another row's email (that row keeps the copy): its id.
    sent_with: int | None = None


class AuthSession(SQLModel, table=True):
    """A signed-in browser; only the hash of its token is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=SHA256_HEX_LENGTH, unique=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = _ts(default_factory=utcnow)
    last_seen_at: datetime = _ts(default_factory=utcnow)
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _ts(default=None)
    user_agent: str | None = Field(default=None, max_length=USER_AGENT_LENGTH)
    ip: str | None = Field(default=None, max_length=IP_LENGTH)


class RecoveryCode(SQLModel, table=True):
    """A single-use code that stands in for the second factor; only its HMAC is stored."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    code_hash: str = Field(max_length=SHA256_HEX_LENGTH)
    created_at: datetime = _ts(default_factory=utcnow)
    used_at: datetime | None = _ts(default=None)


class KnownDevice(SQLModel, table=True):
    """A browser an account has signed in from: a sign-in from any other is emailed about.

    The browser keeps a random token in a long-lived cookie; only its hash is
    stored, so the table names no usable cookie.
    """

    __tablename__ = "known_device"
    __table_args__ = (sa.UniqueConstraint("account_id", "token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    token_hash: str = Field(max_length=SHA256_HEX_LENGTH)
    created_at: datetime = _ts(default_factory=utcnow)
    last_seen_at: datetime = _ts(default_factory=utcnow)


class LoginFailure(SQLModel, table=True):
    """A failed sign-in; counted per email and per address for the lockout.

    Kept in the database, so the lockout holds across workers and restarts,
    and keyed by the email typed (known or not), so it reveals nothing.
    """

    __tablename__ = "login_failure"
    __table_args__ = (
        sa.Index("ix_login_failure_email_at", "email", "at"),
        sa.Index("ix_login_failure_ip_at", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(default_factory=utcnow)
    email: str = Field(max_length=EMAIL_LENGTH)
    ip: str | None = Field(default=None, max_length=IP_LENGTH)


class PublicLookup(SQLModel, table=True):
    """One check at /verificar (a code, an upload, an original), by client address.

    What that public page's rate limit counts (domain/verification.py); kept
    in the database so the limit holds across workers.
    """

    __tablename__ = "public_lookup"
    __table_args__ = (sa.Index("ix_public_lookup_ip_at", "ip", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(default_factory=utcnow)
    ip: str = Field(max_length=IP_LENGTH)


class AuditEvent(SQLModel, table=True):
    """Who did what, when and from where: publications, logins, downloads."""

    __tablename__ = "audit_event"
    # Mi cuenta's activity: one person's latest events (domain/activity.py).
    __table_args__ = (sa.Index("ix_audit_event_actor_at", "actor", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(default_factory=utcnow, index=True)
    actor: str = Field(max_length=AUDIT_ACTOR_LENGTH)
    action: str = Field(max_length=AUDIT_ACTION_LENGTH)
    subject: str | None = Field(default=None, max_length=AUDIT_SUBJECT_LENGTH)
    ip: str | None = Field(default=None, max_length=IP_LENGTH)
    detail: str | None = Field(default=None, sa_type=sa.Text)
