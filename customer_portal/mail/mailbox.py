"""Reading the outbox for the dev-only mailbox page (no Reflex here).

A sent email is shown as the row keeps it, its link redacted. An unsent one
is rendered as it would go out now, with a freshly minted link: that is how a
developer without SMTP follows an Alta or reset link, and it is acceptable
because the page exists only in dev mode, on loopback.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from sqlmodel import Session, col, select

from customer_portal.domain import formats
from customer_portal.mail.outbox import NothingToSend, email_state, render_row
from customer_portal.mail.render import RenderedEmail, TemplateProblem, subject_for
from customer_portal.models import OutboxEmail
from customer_portal.settings import Settings


@dataclass(frozen=True)
class MailboxEntry:
    """One row of the dev mailbox's list.

    Attributes:
        id: the outbox row, for opening the email.
        to: the recipient's address.
        subject: as customers see it.
        state: ``sent``, ``failed``, ``retrying`` or ``pending``.
        created: when it was queued, in Canary Islands time (``30/04/2019 14:05``).
    """

    id: int
    to: str
    subject: str
    state: str
    created: str


def list_mailbox(*, session: Session, settings: Settings, limit: int = 200) -> list[MailboxEntry]:
    """The newest emails first, with their subjects as customers would see them.

    Args:
        session: where to read the outbox (nothing is written).
        settings: the portal's settings (branding, for subjects not yet rendered).
        limit: at most this many emails.
    """
    # A notice sent inside another row's email is that email: listed once.
    rows = session.exec(
        select(OutboxEmail)
        .where(col(OutboxEmail.sent_with).is_(None))
        .order_by(col(OutboxEmail.id).desc())
        .limit(limit)
    ).all()
    entries = []
    for row in rows:
        try:
            # The subject needs no link: listing mints nothing.
            subject = row.subject or subject_for(row.kind, settings.branding)
        except TemplateProblem:
            subject = "(no se puede mostrar)"
        entries.append(
            MailboxEntry(
                row.id,
                row.to_address,
                subject,
                email_state(row),
                formats.timestamp(row.created_at, settings.timezone),
            )
        )
    return entries


def _notice(subject: str, problem: Exception) -> RenderedEmail:
    return RenderedEmail(subject, f"<pre>{html.escape(str(problem))}</pre>", str(problem))


def open_email(*, session: Session, settings: Settings, email_id: int) -> RenderedEmail | None:
    """The email as sent (redacted) or as it would be sent now; None if it does not exist.

    Args:
        session: where to read the email and its link's account (nothing is written).
        settings: the portal's settings.
        email_id: the outbox row.
    """
    row = session.get(OutboxEmail, email_id)
    if row is not None and row.sent_with is not None:
        row = session.get(OutboxEmail, row.sent_with)  # the email that carried it
    if row is None:
        return None
    if row.html is not None and row.subject is not None and row.text is not None:
        return RenderedEmail(row.subject, row.html, row.text)
    try:
        return render_row(session=session, row=row, settings=settings).email
    except NothingToSend as exc:
        return _notice("(no se enviará)", exc)
    except TemplateProblem as exc:
        return _notice("(no se puede mostrar)", exc)
