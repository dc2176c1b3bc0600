"""Reading the outbox for the dev-only mailbox page (no Reflex here)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.domain import formats
from customer_portal.mail.outbox import email_state, render_row
from customer_portal.mail.render import RenderedEmail, TemplateProblem
from customer_portal.models import OutboxEmail
from customer_portal.settings import Settings


@dataclass(frozen=True)
class MailboxEntry:
    id: int
    to: str
    subject: str
    state: str
    created: str


def list_mailbox(engine: sa.Engine, settings: Settings, *, limit: int = 200) -> list[MailboxEntry]:
    """The newest emails first, with their subjects as customers would see them."""
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxEmail).order_by(col(OutboxEmail.id).desc()).limit(limit)
        ).all()
    entries = []
    for row in rows:
        try:
            subject = row.subject or render_row(row, settings).subject
        except TemplateProblem:
            subject = "(no se puede mostrar)"
        entries.append(
            MailboxEntry(
                row.id, row.to_address, subject, email_state(row), formats.timestamp(row.created_at)
            )
        )
    return entries


def open_email(engine: sa.Engine, settings: Settings, email_id: int) -> RenderedEmail | None:
    """The email as sent (or as it would be sent now); None if it does not exist."""
    with Session(engine) as session:
        row = session.get(OutboxEmail, email_id)
    if row is None:
        return None
    if row.html is not None and row.subject is not None and row.text is not None:
        return RenderedEmail(row.subject, row.html, row.text)
    try:
        return render_row(row, settings)
    except TemplateProblem as exc:
        return RenderedEmail("(no se puede mostrar)", f"<pre>{exc}</pre>", str(exc))
