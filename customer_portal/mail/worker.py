"""Delivering mail in the background of the running portal.

With SMTP configured, every backend worker polls the outbox every few
seconds (claims keep them from sending the same email twice). Without SMTP,
the embedded default, new emails are printed to the console instead, and stay
in the outbox for the dev mailbox page and ``customer-portal outbox``. The
printout shows activation and reset links only when started with
``live_links`` (minted for the printout, never stored).
"""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.db import is_unreachable, run_in_unit_of_work
from customer_portal.mail.outbox import DeliveryReport, deliver_due, describe_row
from customer_portal.mail.smtp import SmtpTransport
from customer_portal.models import OutboxEmail
from customer_portal.settings import Settings

log = logging.getLogger(__name__)


def deliver_once(*, engine: sa.Engine, settings: Settings) -> DeliveryReport:
    """One delivery round over a fresh SMTP connection.

    Takes ``engine``, not a session, for the reason :func:`deliver_due` does.
    """
    transport = SmtpTransport(settings.mail)
    try:
        return deliver_due(engine=engine, transport=transport, settings=settings)
    finally:
        transport.close()


def describe_pending(
    *, session: Session, settings: Settings, after_id: int = 0, live_links: bool = False
) -> list[tuple[int, str]]:
    """``(id, text)`` for unsent emails with id > ``after_id``: who, what, which link.

    With ``live_links``, activation and reset links are minted and shown
    (see :func:`describe_row`); otherwise only plain page links are.

    Args:
        session: where to read the outbox (nothing is written).
        settings: the portal's settings.
        after_id: only emails after this one.
        live_links: mint and show working signed links (a dev console only).
    """
    rows = session.exec(
        select(OutboxEmail)
        .where(col(OutboxEmail.sent_at).is_(None), col(OutboxEmail.id) > after_id)
        .order_by(col(OutboxEmail.id))
    ).all()
    return [
        (row.id, describe_row(session=session, row=row, settings=settings, live_link=live_links))
        for row in rows
    ]


async def run_mail_worker(
    *, engine: sa.Engine, settings: Settings, live_links: bool = False
) -> None:
    """Deliver (or, without SMTP, print) mail until cancelled; survives any error.

    Takes ``engine``, not a session: every round opens its own units of work.

    Args:
        engine: the portal's database.
        settings: the portal's settings; SMTP off means print instead of send.
        live_links: print working activation and reset links (a dev console only).
    """
    printed_up_to = 0
    wait = settings.mail.poll_seconds
    if not settings.mail.enabled:
        log.warning("PORTAL_SMTP_HOST is not set: emails stay in the outbox and are printed here")
    while True:
        try:
            if settings.mail.enabled:
                report = await asyncio.to_thread(deliver_once, engine=engine, settings=settings)
                if report.attempted:
                    log.info(
                        "mail: %d sent, %d to retry, %d failed, %d dropped",
                        len(report.sent),
                        len(report.retried),
                        len(report.failed),
                        len(report.skipped),
                    )
            else:
                blocks = await asyncio.to_thread(
                    run_in_unit_of_work,
                    describe_pending,
                    engine=engine,
                    settings=settings,
                    after_id=printed_up_to,
                    live_links=live_links,
                )
                for email_id, text in blocks:
                    print(text, flush=True)
                    printed_up_to = email_id
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The database or the relay is down: say so and keep trying.
            if is_unreachable(exc):  # a restart or an outage: one line, not a traceback a round
                log.warning("mail worker: the database is unreachable; retrying in %s s", wait)
            else:
                log.exception("mail worker round failed; retrying in %s s", wait)
        await asyncio.sleep(wait)
