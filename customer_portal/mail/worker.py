"""Delivering mail in the background of the running portal.

With SMTP configured, every backend worker polls the outbox every few
seconds (claims keep them from sending the same email twice). Without SMTP,
the embedded default, new emails are printed to the console with their links
instead, and stay in the outbox for the dev mailbox page and
``customer-portal outbox``.
"""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.mail.outbox import DeliveryReport, deliver_due, describe_row
from customer_portal.mail.smtp import SmtpTransport
from customer_portal.models import OutboxEmail
from customer_portal.settings import Settings

log = logging.getLogger(__name__)


def deliver_once(engine: sa.Engine, settings: Settings) -> DeliveryReport:
    """One delivery round over a fresh SMTP connection."""
    transport = SmtpTransport(settings.mail)
    try:
        return deliver_due(engine=engine, transport=transport, settings=settings)
    finally:
        transport.close()


def describe_pending(
    engine: sa.Engine, settings: Settings, *, after_id: int = 0
) -> list[tuple[int, str]]:
    """``(id, text)`` for unsent emails with id > ``after_id``: who, what, which link."""
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxEmail)
            .where(col(OutboxEmail.sent_at).is_(None), col(OutboxEmail.id) > after_id)
            .order_by(col(OutboxEmail.id))
        ).all()
    return [(row.id, describe_row(row, settings)) for row in rows]


async def run_mail_worker(engine: sa.Engine, settings: Settings) -> None:
    """Deliver (or, without SMTP, print) mail until cancelled; survives any error."""
    printed_up_to = 0
    if not settings.mail.enabled:
        log.warning("PORTAL_SMTP_HOST is not set: emails stay in the outbox and are printed here")
    while True:
        try:
            if settings.mail.enabled:
                report = await asyncio.to_thread(deliver_once, engine, settings)
                if report.attempted:
                    log.info(
                        "mail: %d sent, %d to retry, %d failed",
                        len(report.sent),
                        len(report.retried),
                        len(report.failed),
                    )
            else:
                blocks = await asyncio.to_thread(
                    describe_pending, engine, settings, after_id=printed_up_to
                )
                for email_id, text in blocks:
                    print(text, flush=True)
                    printed_up_to = email_id
        except asyncio.CancelledError:
            raise
        except Exception:
            # The database or the relay is down: say so and keep trying.
            log.exception("mail worker round failed; retrying in %s s", settings.mail.poll_seconds)
        await asyncio.sleep(settings.mail.poll_seconds)
