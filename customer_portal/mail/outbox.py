"""The transactional outbox: queue emails with the change, deliver them later.

:func:`enqueue` adds a row inside the caller's transaction, so an email
exists exactly when the change that causes it was committed. :func:`deliver_due`
sends what is due. Delivery is at-least-once: a row is *claimed* with one
conditional UPDATE (atomic on SQLite and PostgreSQL alike), sent, then marked
sent; if the process dies in between, the claim expires and the row is sent
again with the same Message-ID, so receivers can tell the copies apart. Two
deliverers never hold the same claim, so they never send the same email twice
in normal operation.

No live link is ever stored. A link that opens an account is described in the
context under :data:`SIGNED_LINK` and minted only when the email is rendered for
delivery (see :func:`customer_portal.mail.notices.delivery_context`); once
sent, the row keeps the subject and bodies with that link's token replaced by
:data:`SENT_LINK_MARKER`. Every attempt mints its own link, and keeps the
row's Message-ID.

Rows with the same ``group_key`` and address (the invoice notices of one
customer, see :mod:`customer_portal.mail.notices`) go out together: the row
that is due claims, in the same transaction, every unsent, unclaimed row of its
group (up to :data:`MAX_GROUP`), due or still held, under the same claim token.
They are rendered as one email under the first row's Message-ID, and finished
together: the first keeps the copy, the others point at it (``sent_with``).
A crash anywhere leaves them all claimed until the lease runs out, and then
they are claimed, grouped and sent again, as one row is.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.db import unit_of_work
from customer_portal.limits import LAST_ERROR_LENGTH
from customer_portal.mail.render import (
    EmailKind,
    RenderedEmail,
    TemplateProblem,
    render_email,
    subject_for,
)
from customer_portal.models import OutboxEmail, utcnow
from customer_portal.settings import Settings

if TYPE_CHECKING:
    from customer_portal.mail.notices import DeliveryContext

log = logging.getLogger(__name__)

#: How long a deliverer owns a claimed row; longer than any SMTP timeout.
CLAIM_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
#: At most this many rows (invoices) in one email; the rest go in the next one.
MAX_GROUP = 50
MAX_RETRY = timedelta(hours=1)

#: Context key describing a link minted at delivery: ``{"purpose", "account_id"}``.
SIGNED_LINK = "signed_link"
#: What replaces a sent link's token in the copy the row keeps (customers never see it).
SENT_LINK_MARKER = "[enlace enviado]"


class TemporaryFailure(Exception):
    """Try again later: server down, timeout, 4xx."""


class PermanentFailure(Exception):
    """Retrying will not help: the server refused with a 5xx."""


class NothingToSend(Exception):
    """The email lost its point before it went out (e.g. its account is gone): drop it."""


class Transport(Protocol):
    """Whatever hands a rendered email to the outside world: SMTP, or a fake in tests."""

    def send(self, email: RenderedEmail, *, to: str, message_id: str) -> None:
        """Send ``email`` to ``to`` under ``message_id``, the same on every attempt.

        Raises:
            TemporaryFailure: worth trying again later.
            PermanentFailure: the email will never be accepted.
        """
        ...


def enqueue(
    *,
    session: Session,
    kind: EmailKind,
    to: str,
    context: dict[str, Any],
    dedupe_key: str,
    domain: str,
    group_key: str | None = None,
    not_before: datetime | None = None,
) -> OutboxEmail | None:
    """Queue an email in ``session``'s transaction; None if ``dedupe_key`` was queued before.

    Args:
        session: the unit of work of the change that causes the email.
        kind: which email.
        to: the recipient's address.
        context: what the template needs (JSON-serialisable; no live link).
        dedupe_key: unique per email that must go out at most once.
        domain: the right-hand side of the Message-ID.
        group_key: rows with the same key and address go out as one email.
        not_before: hold the row until then (default: due now).
    """
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
        group_key=group_key,
    )
    if not_before is not None:
        email.next_attempt_at = not_before
    session.add(email)
    return email


def email_state(row: OutboxEmail) -> str:
    """Where an outbox email stands, for lists and pages.

    Returns:
        ``"sent"``; ``"failed"`` once given up on (or dropped); ``"retrying"``
        after a failed attempt; ``"pending"`` before any attempt.
    """
    if row.sent_at is not None:
        return "sent"
    if row.failed_at is not None:
        return "failed"
    return "retrying" if row.attempts else "pending"


def describe_row(
    *,
    session: Session | None = None,
    row: OutboxEmail,
    settings: Settings,
    live_link: bool = False,
) -> str:
    """One email for a console: state, recipient, subject, link, last error.

    A plain link (Nueva Factura) is always shown. A signed link (Ver
    credenciales, restaurar contraseña) is not stored, so by default only its
    purpose is shown.

    Args:
        session: reads the link's account; required with ``live_link``.
        row: the outbox email.
        settings: the portal's settings (branding, secret key, base URL).
        live_link: for an unsent email, mint and show a working signed link, as
            if it went out now: how developers follow links without SMTP. Only
            for a trusted console; a sent email never shows one.
    """
    try:
        subject = row.subject or subject_for(row.kind, settings.branding)
    except TemplateProblem as exc:
        subject = f"(cannot render: {exc})"
    lines = [
        f"Email #{row.id} [{email_state(row)}, {row.attempts} tries] to {row.to_address}: {subject}"
    ]
    context = json.loads(row.context)
    spec = context.get(SIGNED_LINK)
    if spec is None:
        if context.get("link"):
            lines.append(f"    {context['link']}")
    elif live_link and row.sent_at is None:
        if session is None:
            raise ValueError("live_link needs a session to read the link's account")
        try:
            link = _delivery_context(session, group_of(session, row), settings).context["link"]
            lines.append(f"    {link}")
        except (NothingToSend, TemplateProblem) as exc:
            lines.append(f"    no link: {exc}")
    else:
        purpose = spec.get("purpose") if isinstance(spec, dict) else None
        lines.append(f"    ({purpose} link: made when the email is sent, never stored)")
    if row.last_error:
        lines.append(f"    last error: {row.last_error}")
    return "\n".join(lines)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour between tries."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


@dataclass(frozen=True)
class RenderedRow:
    """An outbox email rendered for delivery.

    Attributes:
        email: what the customer receives, live link included.
        kept: what the row may keep once sent: the same with the link's token
            replaced by :data:`SENT_LINK_MARKER`.
    """

    email: RenderedEmail
    kept: RenderedEmail


def _delivery_context(
    session: Session, rows: list[OutboxEmail], settings: Settings
) -> DeliveryContext:
    # Imported here: notices imports enqueue from this module.
    from customer_portal.mail.notices import delivery_context

    return delivery_context(session=session, rows=rows, settings=settings)


def _unsent():
    return (col(OutboxEmail.sent_at).is_(None), col(OutboxEmail.failed_at).is_(None))


def group_of(session: Session, row: OutboxEmail) -> list[OutboxEmail]:
    """``row`` and the unsent rows that would go out with it now, oldest first.

    For a console or the dev mailbox: nothing is claimed.
    """
    if row.group_key is None or row.sent_at is not None or row.failed_at is not None:
        return [row]
    others = session.exec(
        select(OutboxEmail)
        .where(
            col(OutboxEmail.group_key) == row.group_key,
            col(OutboxEmail.to_address) == row.to_address,
            col(OutboxEmail.id) != row.id,
            *_unsent(),
        )
        .order_by(col(OutboxEmail.id))
        .limit(MAX_GROUP - 1)
    ).all()
    return [row, *others]


def redact(email: RenderedEmail, secret: str | None) -> RenderedEmail:
    """``email`` with every occurrence of ``secret`` replaced by the marker.

    The token, not the whole URL, is replaced: the kept copy still says which
    page the customer was sent to, and the marker cannot be mistaken for a token.
    """
    if not secret:
        return email
    return RenderedEmail(
        subject=email.subject.replace(secret, SENT_LINK_MARKER),
        html=email.html.replace(secret, SENT_LINK_MARKER),
        text=email.text.replace(secret, SENT_LINK_MARKER),
    )


def render_row(
    *,
    session: Session,
    row: OutboxEmail,
    settings: Settings,
    group: list[OutboxEmail] | None = None,
) -> RenderedRow:
    """Render ``row`` as it would go out now, minting its signed link if it has one.

    Args:
        session: reads the link's account (nothing is written).
        row: the outbox email.
        settings: the portal's settings (branding, base URL, secret key).
        group: the rows going out with it, ``row`` first (default: the
            unsent rows of its group, as :func:`group_of` finds them).

    Raises:
        NothingToSend: the email lost its point (see ``delivery_context``).
        TemplateProblem: the context does not fit the template.
    """
    content = _delivery_context(session, group or group_of(session, row), settings)
    email = render_email(
        content.kind,
        content.context,
        branding=settings.branding,
        base_url=settings.base_url,
        language=content.language,
    )
    if content.attachments:
        email = dataclasses.replace(email, attachments=content.attachments)
    return RenderedRow(email=email, kept=redact(email, content.secret))


@dataclass
class DeliveryReport:
    """The ids of the emails one :func:`deliver_due` round dealt with, by outcome.

    ``sent`` went out; ``retried`` failed for now and will be tried again;
    ``failed`` were refused for good or ran out of attempts.
    """

    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    #: Dropped unsent because they lost their point (marked failed, with the reason).
    skipped: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        """How many emails the round dealt with, whatever the outcome."""
        return len(self.sent) + len(self.retried) + len(self.failed) + len(self.skipped)


def _due(now: datetime):
    return (
        col(OutboxEmail.sent_at).is_(None),
        col(OutboxEmail.failed_at).is_(None),
        col(OutboxEmail.next_attempt_at) <= now,
        sa.or_(col(OutboxEmail.claimed_until).is_(None), col(OutboxEmail.claimed_until) < now),
    )


@dataclass(frozen=True)
class _Claim:
    """Rows claimed under ``token`` (the leader first), rendered as one email.

    ``problem`` instead of ``rendered`` when the email cannot be rendered now.
    """

    token: str
    group: list[OutboxEmail]
    rendered: RenderedRow | None
    problem: NothingToSend | TemplateProblem | None = None


def _claim(engine: sa.Engine, email_id: int, now: datetime, settings: Settings) -> _Claim | None:
    """Claim a due row and the rest of its group, and render them; None if taken.

    One short transaction claims, reads back exactly the rows holding the
    token (``email_id`` first, then by id) and renders them (reads only),
    and is closed before the slow SMTP conversation: on SQLite every
    transaction holds the write lock. One transaction, not three, per email.
    The UPDATEs run on the session's connection as Core statements: nothing
    is loaded before them, so the ORM has nothing to synchronise (its
    bulk-UPDATE path cost more than the statement itself).
    """
    token = secrets.token_hex(16)
    claim = {"claimed_until": now + CLAIM_LEASE, "claim_token": token}
    with unit_of_work(engine) as session:
        connection = session.connection()
        result = connection.execute(
            sa.update(OutboxEmail).where(col(OutboxEmail.id) == email_id, *_due(now)).values(claim)
        )
        if result.rowcount != 1:
            return None
        leader = connection.execute(
            select(OutboxEmail.group_key, OutboxEmail.to_address).where(
                col(OutboxEmail.id) == email_id
            )
        ).one()
        if leader.group_key is not None:
            # Held rows too (not yet due): that is the point of holding them.
            # The outer conditions are checked again on each row, so a row
            # another deliverer claimed meanwhile is left to it.
            free = (
                col(OutboxEmail.group_key) == leader.group_key,
                col(OutboxEmail.to_address) == leader.to_address,
                *_unsent(),
                sa.or_(
                    col(OutboxEmail.claimed_until).is_(None), col(OutboxEmail.claimed_until) < now
                ),
            )
            siblings = (
                select(OutboxEmail.id)
                .where(*free, col(OutboxEmail.id) != email_id)
                .order_by(col(OutboxEmail.id))
                .limit(MAX_GROUP - 1)
            )
            connection.execute(
                sa.update(OutboxEmail)
                .where(col(OutboxEmail.id).in_(siblings.scalar_subquery()), *free)
                .values(claim)
            )
        rows = session.exec(
            select(OutboxEmail)
            .where(col(OutboxEmail.claim_token) == token)
            .order_by(col(OutboxEmail.id))
        ).all()
        group = sorted(rows, key=lambda row: row.id != email_id)
        try:
            rendered = render_row(session=session, row=group[0], settings=settings, group=group)
        except (NothingToSend, TemplateProblem) as problem:
            # The claim still commits: the outcome is recorded under its token.
            return _Claim(token, group, None, problem)
    return _Claim(token, group, rendered)


def _finish(
    engine: sa.Engine, email_id: int, token: str, *, kept: dict[str, Any] | None = None, **values
) -> None:
    """Update the rows we still hold the claim on, and release the claim.

    ``values`` go to every row of the group; ``kept`` (the sent copy) only to
    ``email_id``, whose id the others then keep in ``sent_with``.
    """
    release = {"claimed_until": None, "claim_token": None, **values}
    held = col(OutboxEmail.claim_token) == token
    with unit_of_work(engine) as session:
        connection = session.connection()  # Core statements: see _claim
        if kept is None:
            connection.execute(sa.update(OutboxEmail).where(held).values(release))
            return
        connection.execute(
            sa.update(OutboxEmail)
            .where(held, col(OutboxEmail.id) == email_id)
            .values({**release, **kept})
        )
        connection.execute(
            sa.update(OutboxEmail)
            .where(held, col(OutboxEmail.id) != email_id)
            .values({**release, "sent_with": email_id})
        )


def _claims(
    engine: sa.Engine, limit: int, clock: Callable[[], datetime], settings: Settings
) -> Iterator[_Claim]:
    """Up to ``limit`` emails claimed one after another, oldest due first.

    A claim takes its row's whole group (a customer's notices of one billing
    run, see :mod:`customer_portal.mail.notices`), so the due rows are read
    again once the ids read last are used up: ``limit`` due rows may all be
    one customer's one email, and a round of "50 rows" was then a round of
    one email (a billing run of grouped notices went out one email per
    round). Each claim is delivered and finished before the next is made.
    """
    claimed = 0
    lost: set[int] = set()  # rows another deliverer claimed first
    handled: set[int] = set()  # rows of the groups this round claimed
    while claimed < limit:
        asked = limit - claimed
        with unit_of_work(engine, read_only=True) as session:
            ids = session.exec(
                select(OutboxEmail.id)
                .where(*_due(clock()), col(OutboxEmail.id).not_in(lost))
                .order_by(col(OutboxEmail.next_attempt_at), col(OutboxEmail.id))
                .limit(asked)
            ).all()
        fresh = [email_id for email_id in ids if email_id not in handled]
        if not fresh:
            # Nothing due, or only rows this round already dealt with (a finish
            # that lost its claim leaves them due): the round ends either way.
            return
        for email_id in fresh:
            if email_id in handled:
                continue  # in a group claimed a moment ago
            claim = _claim(engine, email_id, clock(), settings)
            if claim is None:
                lost.add(email_id)
                continue
            handled.update(member.id for member in claim.group)
            claimed += 1
            yield claim
        if len(ids) < asked:
            return  # every row due when asked has been dealt with


def deliver_due(
    *,
    engine: sa.Engine,
    transport: Transport,
    settings: Settings,
    limit: int = 50,
    clock: Callable[[], datetime] = utcnow,
) -> DeliveryReport:
    """Send every email that is due (up to ``limit``) and record each outcome.

    Takes ``engine``, not a session: each email is claimed and rendered in
    one short unit of work and finished in another; none is open while SMTP talks
    (on SQLite every transaction holds the write lock).

    Args:
        engine: the portal's database.
        transport: sends one rendered email.
        settings: the portal's settings (retries, branding, links).
        limit: at most this many emails in this round.
        clock: the time now (tests move it).

    Returns:
        Which emails were sent, retried, failed or dropped.
    """
    report = DeliveryReport()
    for claimed in _claims(engine, limit, clock, settings):
        token, group = claimed.token, claimed.group
        row = group[0]  # the row claimed first: the email's id
        email_id = row.id
        group_ids = [member.id for member in group]
        attempts = row.attempts + 1
        try:
            if claimed.problem is not None:
                raise claimed.problem
            rendered = claimed.rendered
            transport.send(rendered.email, to=row.to_address, message_id=row.message_id)
        except NothingToSend as exc:
            # Not a delivery failure: nothing was tried, so attempts stay as
            # they were, and the reason stays visible in `customer-portal outbox`.
            log.info("email %s to %s dropped: %s", email_id, row.to_address, exc)
            _finish(
                engine,
                email_id,
                token,
                failed_at=clock(),
                last_error=f"not sent: {exc}"[:LAST_ERROR_LENGTH],
            )
            report.skipped.extend(group_ids)
        except PermanentFailure as exc:
            log.error("email %s to %s refused for good: %s", email_id, row.to_address, exc)
            _finish(
                engine,
                email_id,
                token,
                attempts=attempts,
                failed_at=clock(),
                last_error=str(exc)[:LAST_ERROR_LENGTH],
            )
            report.failed.extend(group_ids)
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
                last_error=str(exc)[:LAST_ERROR_LENGTH],
                next_attempt_at=clock() + retry_delay(attempts),
                failed_at=clock() if give_up else None,
            )
            (report.failed if give_up else report.retried).extend(group_ids)
        else:
            _finish(
                engine,
                email_id,
                token,
                attempts=attempts,
                sent_at=clock(),
                last_error=None,
                # The copy kept for the mailbox and the console: no live link.
                kept={
                    "subject": rendered.kept.subject,
                    "html": rendered.kept.html,
                    "text": rendered.kept.text,
                },
            )
            report.sent.extend(group_ids)
    return report
