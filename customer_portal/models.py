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


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so without this a value written aware would come
    back naive and compare wrongly against ``utcnow()``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(**kwargs) -> object:
    return Field(sa_type=UTCDateTime, **kwargs)


class Customer(SQLModel, table=True):
    """A customer of the company, as the billing system knows it."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    tax_id: str = Field(max_length=20)
    email: str = Field(max_length=254)
    address: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts(default_factory=utcnow)
    updated_at: datetime = _ts(default_factory=utcnow)


class Account(SQLModel, table=True):
    """A login to the portal for one customer; no password until activated."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    email: str = Field(max_length=254, unique=True)  # always lower-cased
    password_hash: str | None = Field(default=None, max_length=100)
    activated_at: datetime | None = _ts(default=None)
    password_changed_at: datetime | None = _ts(default=None)
    created_at: datetime = _ts(default_factory=utcnow)


class Invoice(SQLModel, table=True):
    """A published invoice. Its content never changes after publication."""

    __table_args__ = (
        sa.Index("ix_invoice_customer_issue", "customer_id", "issue_date"),
        sa.CheckConstraint("paid_cents >= 0 AND paid_cents <= total_cents", name="paid_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40, unique=True)
    customer_id: int = Field(foreign_key="customer.id")
    issue_date: date
    due_date: date | None = None
    currency: str = Field(default="EUR", max_length=3)
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    paid_cents: int = 0
    # sha256 of the canonical input: tells a harmless re-post from a conflicting one.
    content_hash: str = Field(max_length=64)
    published_at: datetime = _ts(default_factory=utcnow)


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    position: int
    description: str = Field(max_length=1000)
    quantity_milli: int  # thousandths of a unit
    unit_price_e4: int  # ten-thousandths of the currency unit
    tax_name: str = Field(max_length=20)
    tax_rate_bp: int  # basis points: 7 % is 700
    amount_cents: int  # net amount of the line, rounded half up


class Payment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    amount_cents: int
    paid_on: date
    reference: str = Field(max_length=80, unique=True)
    recorded_at: datetime = _ts(default_factory=utcnow)


class SignedDocument(SQLModel, table=True):
    """The signed PDF of an invoice: written once, never updated."""

    __tablename__ = "signed_document"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", unique=True)
    pdf: bytes = Field(sa_type=sa.LargeBinary)
    sha256: str = Field(max_length=64)
    size: int
    signed_at: datetime = _ts()
    signer_subject: str = Field(max_length=400)
    signer_fingerprint: str = Field(max_length=64)  # sha256 of the signer certificate
    timestamped: bool = False


class OutboxEmail(SQLModel, table=True):
    """An email written in the same transaction as the change that causes it.

    The row holds what to say (``kind`` and ``context``); subject and bodies
    are rendered at delivery and kept once sent, so a template problem keeps
    the email waiting instead of failing the publication that caused it.
    """

    __tablename__ = "outbox_email"
    __table_args__ = (sa.Index("ix_outbox_pending", "sent_at", "failed_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    to_address: str = Field(max_length=254)
    context: str = Field(sa_type=sa.Text)  # JSON
    subject: str | None = Field(default=None, max_length=200)
    html: str | None = Field(default=None, sa_type=sa.Text)
    text: str | None = Field(default=None, sa_type=sa.Text)
    dedupe_key: str = Field(max_length=200, unique=True)
    message_id: str = Field(max_length=200)  # stable across retries: receivers can dedupe
    attempts: int = 0
    next_attempt_at: datetime = _ts(default_factory=utcnow)
    claimed_until: datetime | None = _ts(default=None)
    claim_token: str | None = Field(default=None, max_length=32)
    sent_at: datetime | None = _ts(default=None)
    failed_at: datetime | None = _ts(default=None)
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = _ts(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A signed-in browser; only the hash of its token is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = _ts(default_factory=utcnow)
    last_seen_at: datetime = _ts(default_factory=utcnow)
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _ts(default=None)
    user_agent: str | None = Field(default=None, max_length=300)
    ip: str | None = Field(default=None, max_length=64)


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
    email: str = Field(max_length=254)
    ip: str | None = Field(default=None, max_length=64)


class AuditEvent(SQLModel, table=True):
    """Who did what, when and from where: publications, logins, downloads."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(default_factory=utcnow, index=True)
    actor: str = Field(max_length=120)
    action: str = Field(max_length=60)
    subject: str | None = Field(default=None, max_length=200)
    ip: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, sa_type=sa.Text)
