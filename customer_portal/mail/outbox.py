"""The transactional outbox: queue emails with the change, deliver them later.

:func:`enqueue` adds a row inside the caller's transaction, so an email
exists exactly when the change that causes it was committed. :func:`deliver_due`
sends what is due. Delivery is at-least-once: a row is *claimed* with one
conditional UPDATE (atomic on SQLite and PostgreSQL alike), sent, then marked
sent; if the process dies in between, the claim expires and the row is sent
again with the same Message-ID, so receivers can tell the copies apart. Two
deliverers never hold the same claim, so they never send the same email twice
in normal operation.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.db import session_scope
from customer_portal.mail.render import EmailKind, RenderedEmail, TemplateProblem, render_email
from customer_portal.models import OutboxEmail, utcnow
from customer_portal.settings import Settings

log = logging.getLogger(__name__)

#: How long a deliverer owns a claimed row; longer than any SMTP timeout.
CLAIM_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)


class TemporaryFailure(Exception):
    """Try again later: server down, timeout, 4xx."""


class PermanentFailure(Exception):
    """Retrying will not help: the server refused with a 5xx."""


class Transport(Protocol):
    def send(self, email: RenderedEmail, *, to: str, message_id: str) -> None: ...


def enqueue(
    session: Session,
    *,
    kind: EmailKind,
    to: str,
    context: dict[str, Any],
    dedupe_key: str,
    domain: str,
) -> OutboxEmail | None:
    """Queue an email in ``session``'s transaction; None if ``dedupe_key`` was queued before."""
    exists = session.exec(
        select(OutboxEmail.id).where(OutboxEmail.dedupe_key == dedupe_key)
    ).first()
    if exists is not None:
        return None
    email = OutboxEmail(
        kind=kind.value,
        to_address=to,
        context=json.dumps(context, ensure_ascii=False),
        dedupe_key=dedupe_key,
        message_id=f"<{secrets.token_hex(16)}@{domain}>",
    )
    session.add(email)
    return email


def email_state(row: OutboxEmail) -> str:
    """ "sent", "failed", "retrying" or "pending", for lists and pages."""
    if row.sent_at is not None:
        return "sent"
    if row.failed_at is not None:
        return "failed"
    return "retrying" if row.attempts else "pending"


def describe_row(row: OutboxEmail, settings: Settings) -> str:
    """One email for a console: state, recipient, subject, link, last error."""
    try:
        subject = row.subject or render_row(row, settings).subject
    except TemplateProblem as exc:
        subject = f"(cannot render: {exc})"
    lines = [
        f"Email #{row.id} [{email_state(row)}, {row.attempts} tries] to {row.to_address}: {subject}"
    ]
    link = json.loads(row.context).get("link")
    if link:
        lines.append(f"    {link}")
    if row.last_error:
        lines.append(f"    last error: {row.last_error}")
    return "\n".join(lines)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour between tries."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def render_row(row: OutboxEmail, settings: Settings) -> RenderedEmail:
    return render_email(
        row.kind, json.loads(row.context), branding=settings.branding, base_url=settings.base_url
    )


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.sent) + len(self.retried) + len(self.failed)


def _due(now: datetime):
    return (
        col(OutboxEmail.sent_at).is_(None),
        col(OutboxEmail.failed_at).is_(None),
        col(OutboxEmail.next_attempt_at) <= now,
        sa.or_(col(OutboxEmail.claimed_until).is_(None), col(OutboxEmail.claimed_until) < now),
    )


def _claim(engine: sa.Engine, email_id: int, now: datetime) -> str | None:
    token = secrets.token_hex(16)
    with session_scope(engine) as session:
        result = session.exec(
            sa.update(OutboxEmail)
            .where(col(OutboxEmail.id) == email_id, *_due(now))
            .values(claimed_until=now + CLAIM_LEASE, claim_token=token)
        )
        return token if result.rowcount == 1 else None


def _finish(engine: sa.Engine, email_id: int, token: str, **values: Any) -> None:
    """Update a row we still hold the claim on, and release the claim."""
    with session_scope(engine) as session:
        session.exec(
            sa.update(OutboxEmail)
            .where(col(OutboxEmail.id) == email_id, col(OutboxEmail.claim_token) == token)
            .values(claimed_until=None, claim_token=None, **values)
        )


def deliver_due(
    *,
    engine: sa.Engine,
    transport: Transport,
    settings: Settings,
    limit: int = 50,
    clock: Callable[[], datetime] = utcnow,
) -> DeliveryReport:
    """Send every email that is due (up to ``limit``) and record each outcome."""
    report = DeliveryReport()
    now = clock()
    with Session(engine) as session:
        ids = session.exec(
            select(OutboxEmail.id)
            .where(*_due(now))
            .order_by(col(OutboxEmail.next_attempt_at), col(OutboxEmail.id))
            .limit(limit)
        ).all()

    for email_id in ids:
        token = _claim(engine, email_id, clock())
        if token is None:
            continue  # another deliverer took it
        with Session(engine) as session:
            row = session.get(OutboxEmail, email_id)
        attempts = row.attempts + 1
        try:
            rendered = render_row(row, settings)
            transport.send(rendered, to=row.to_address, message_id=row.message_id)
        except PermanentFailure as exc:
            log.error("email %s to %s refused for good: %s", email_id, row.to_address, exc)
            _finish(
                engine,
                email_id,
                token,
                attempts=attempts,
                failed_at=clock(),
                last_error=str(exc)[:2000],
            )
            report.failed.append(email_id)
        except (TemporaryFailure, TemplateProblem) as exc:
            give_up = attempts >= settings.mail.max_attempts
            log.warning(
                "email %s to %s not sent (try %d%s): %s",
                email_id,
                row.to_address,
                attempts,
                ", giving up" if give_up else "",
                exc,
            )
            _finish(
                engine,
                email_id,
                token,
                attempts=attempts,
                last_error=str(exc)[:2000],
                next_attempt_at=clock() + retry_delay(attempts),
                failed_at=clock() if give_up else None,
            )
            (report.failed if give_up else report.retried).append(email_id)
        else:
            _finish(
                engine,
                email_id,
                token,
                attempts=attempts,
                sent_at=clock(),
                last_error=None,
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
            )
            report.sent.append(email_id)
    return report
