"""Signed-in browsers: opaque random tokens, of which only a hash is stored.

A token is 256 random bits. The database keeps its SHA-256, so a stolen
database copy signs nobody in. A session ends after a period without use
(sliding), after an absolute lifetime, on Salir, or when the password changes.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.domain.people import CustomerChoice
from customer_portal.driver_sql import DriverStatement, DriverTransaction
from customer_portal.i18n import N_, _
from customer_portal.limits import SESSION_TOKEN_MAX_LENGTH, USER_AGENT_LENGTH
from customer_portal.models import Account, AuthSession, Customer, CustomerAccess, utcnow

ABSOLUTE_LIFETIME = timedelta(days=7)
#: The browser cookie that holds the token (pages set it; the download route reads it).
SESSION_COOKIE = "portal_session"


def token_hash(token: str) -> str:
    """Hex SHA-256 of a session token: what the database stores and looks tokens up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionInfo:
    """One live session as the account page lists it, so a customer can spot a stranger's.

    Attributes:
        id: the session's row id.
        created_at: when it signed in (UTC).
        last_seen_at: when it was last used, to the minute (UTC).
        user_agent: the browser's User-Agent, empty if it sent none.
        ip: the client address it signed in from, empty if unknown.
        current: whether it is the session of the browser asking.
        device: the browser and system in the customer's words
            (:func:`device_name`), e.g. "Chrome en Linux".
    """

    id: int
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    ip: str
    current: bool
    device: str = ""


def start_session(
    *,
    session: Session,
    account: Account,
    idle: timedelta,
    user_agent: str | None = None,
    ip: str | None = None,
) -> str:
    """Add a new session for ``account`` to ``session`` (no commit).

    Args:
        session: the unit of work the new row joins.
        account: whose session it is.
        idle: how long it lives without use.
        user_agent: the browser's User-Agent, cut to the column's width.
        ip: the client address (already cut by the caller).

    Returns:
        The token for the browser; only its hash is stored.
    """
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + idle,
            user_agent=(user_agent or "")[:USER_AGENT_LENGTH] or None,
            ip=ip,
        )
    )
    return token


#: How often a session's idle expiry slides (it is written at most this often).
SLIDE_EVERY = timedelta(minutes=1)


def _live(digest: Any, now: Any, born_after: Any) -> tuple[sa.ColumnElement[bool], ...]:
    # Not revoked, not idle too long, not older than ABSOLUTE_LIFETIME.
    return (
        col(AuthSession.token_hash) == digest,
        col(AuthSession.revoked_at).is_(None),
        col(AuthSession.expires_at) > now,
        col(AuthSession.created_at) > born_after,
    )


def live_session(token: str, now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    """The conditions on :class:`AuthSession` for the session ``token`` to be live at ``now``.

    Not revoked, not idle too long, not older than :data:`ABSOLUTE_LIFETIME`;
    the account must also be activated (callers check). What :func:`resume`
    applies, and the download route too (:func:`live_session_bound`).
    """
    return _live(token_hash(token), now, now - ABSOLUTE_LIFETIME)


def live_session_bound() -> tuple[sa.ColumnElement[bool], ...]:
    """The conditions of :func:`live_session` as bound parameters, for a statement built once.

    Bind ``token_hash`` (:func:`token_hash`), ``now`` and ``born_after``
    (``now - ABSOLUTE_LIFETIME``). Used by the download route's single query
    (:func:`customer_portal.domain.downloads.open_download`).
    """
    return _live(sa.bindparam("token_hash"), sa.bindparam("now"), sa.bindparam("born_after"))


def needs_sliding(last_seen_at: datetime, now: datetime) -> bool:
    """Whether a session last seen at ``last_seen_at`` has its expiry slid now.

    Writing on every event would serialise all customers on SQLite; a
    minute's precision is plenty for an eight-hour idle timeout.
    """
    return now - last_seen_at > SLIDE_EVERY


@dataclass(frozen=True)
class LiveSession:
    """A session that is live now, and whose account it signs in.

    Attributes:
        id: the session's row id.
        account: the account it signs in.
        customers: the customers the person may see, by name; filled by
            :func:`look_up` only.
    """

    id: int
    account: Account
    customers: tuple[CustomerChoice, ...] = ()


def resume_session(*, session: Session, token: str, idle: timedelta) -> Account | None:
    """The account of a live session, sliding its idle expiry; None if dead or unknown.

    Commits ``session`` when it slides the expiry, as :func:`resume` does.
    """
    live = resume(session=session, token=token, idle=idle)
    return live.account if live is not None else None


def resume(*, session: Session, token: str, idle: timedelta) -> LiveSession | None:
    """The live session ``token`` names, sliding its idle expiry; None if dead or unknown.

    Commits ``session`` when it slides the expiry (at most once a minute), so
    the write lock that takes on SQLite is released at once.

    Args:
        session: where to look the token up.
        token: the browser's session token.
        idle: the idle timeout the expiry slides by.

    Returns:
        The session and its account, or None if the token names no live
        session of an activated account.
    """
    live, due = look_up(session=session, token=token)
    if live is not None and due:
        slide(session=session, session_id=live.id, idle=idle)
        session.commit()
        # A session that expires on commit would hand back an expired account,
        # unreadable once it closes: load it again, after the commit.
        live = LiveSession(id=live.id, account=session.get(Account, live.account.id))
    return live


# One query for session, account and the person's customers (a row each, by
# name; one row with none for a person linked to none), built once: it runs
# before every event.
_LOOK_UP = (
    select(
        AuthSession.id, AuthSession.last_seen_at, Account, Customer.id, Customer.code, Customer.name
    )
    .join(Account, col(Account.id) == AuthSession.account_id)
    .outerjoin(CustomerAccess, col(CustomerAccess.account_id) == col(Account.id))
    .outerjoin(Customer, col(Customer.id) == col(CustomerAccess.customer_id))
    .where(*live_session_bound(), col(Account.activated_at).is_not(None))
    .order_by(col(Customer.name), col(Customer.id))
)


def look_up(*, session: Session, token: str) -> tuple[LiveSession | None, bool]:
    """The live session ``token`` names, and whether its expiry is due to slide; only reads.

    What every websocket event asks, so it writes nothing: a caller whose
    answer says the slide is due runs :func:`slide` in a unit of work of its
    own (see :func:`customer_portal.state.auth.find_viewer`).

    Returns:
        The session and its account (None if the token names no live session
        of an activated account), and whether :func:`slide` is due.
    """
    if not token or len(token) > SESSION_TOKEN_MAX_LENGTH:
        return None, False
    now = utcnow()
    rows = session.exec(
        _LOOK_UP,
        params={
            "token_hash": token_hash(token),
            "now": now,
            "born_after": now - ABSOLUTE_LIFETIME,
        },
    ).all()
    if not rows:
        return None, False
    session_id, last_seen_at, account = rows[0][:3]
    customers = tuple(
        CustomerChoice(id=cid, code=code, name=name)
        for *_, cid, code, name in rows
        if cid is not None
    )
    live = LiveSession(id=session_id, account=account, customers=customers)
    return live, needs_sliding(last_seen_at, now)


# One UPDATE, which leaves a session ended meanwhile (Salir, a new password)
# ended; built once, run through a Session or on the driver (a download).
_SLID = (
    sa.update(AuthSession)
    .where(col(AuthSession.revoked_at).is_(None))
    .values(last_seen_at=sa.bindparam("slid_at"), expires_at=sa.bindparam("slid_until"))
)
_SLIDE = DriverStatement(_SLID.where(col(AuthSession.id) == sa.bindparam("session_id")))


def _slid_values(now: datetime, idle: timedelta) -> dict[str, Any]:
    return {"slid_at": now, "slid_until": now + idle}


def _slid(session_id: int, idle: timedelta, now: datetime | None) -> dict[str, Any]:
    return {"session_id": session_id, **_slid_values(now or utcnow(), idle)}


def slide(
    *, session: Session, session_id: int, idle: timedelta, now: datetime | None = None
) -> None:
    """Mark session ``session_id`` used ``now``: its idle expiry starts again (no commit)."""
    session.connection().execute(_SLIDE.statement, _slid(session_id, idle, now))


def slide_in(
    transaction: DriverTransaction, *, session_id: int, idle: timedelta, now: datetime
) -> None:
    """:func:`slide`, in a transaction on the driver (:mod:`customer_portal.driver_sql`)."""
    transaction.execute(_SLIDE, _slid(session_id, idle, now))


def slide_when_due(session_id: sa.ColumnElement[int], where: sa.ColumnElement[bool]) -> sa.Update:
    """:func:`slide`'s UPDATE for a session a query found, if :func:`needs_sliding` says so.

    For a statement that reads and slides at once (a CTE of the download's
    single statement): ``session_id`` is a column of the query. Bind
    ``slid_at``, ``slid_until`` and ``slide_before`` with :func:`values_when_due`.
    """
    return _SLID.where(
        col(AuthSession.id) == session_id,
        col(AuthSession.last_seen_at) < sa.bindparam("slide_before"),
        where,
    )


def values_when_due(now: datetime, idle: timedelta) -> dict[str, Any]:
    """The values a :func:`slide_when_due` statement binds."""
    return {**_slid_values(now, idle), "slide_before": now - SLIDE_EVERY}


def rotate_session(
    *,
    session: Session,
    token: str,
    idle: timedelta,
    user_agent: str | None = None,
    ip: str | None = None,
) -> str | None:
    """End the live session ``token`` and start a new one for its account.

    Used after a password change, so a token seen before the change (on a
    shared computer, in a proxy) stops working even in the tab that changed it.

    Returns:
        The new token, or None if ``token`` named no live session.
    """
    live = resume(session=session, token=token, idle=idle)
    if live is None:
        return None
    end_session(session=session, token=token)
    return start_session(
        session=session, account=live.account, idle=idle, user_agent=user_agent, ip=ip
    )


def end_session(*, session: Session, token: str) -> None:
    """Salir: revoke the session ``token`` names, if it is still live (no commit)."""
    session.exec(
        sa.update(AuthSession)
        .where(AuthSession.token_hash == token_hash(token), col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def end_other_sessions(*, session: Session, account_id: int, keep_token: str | None) -> int:
    """Revoke every live session of the account except ``keep_token``'s (no commit).

    Returns:
        How many sessions were revoked.
    """
    query = sa.update(AuthSession).where(
        AuthSession.account_id == account_id, col(AuthSession.revoked_at).is_(None)
    )
    if keep_token:
        query = query.where(AuthSession.token_hash != token_hash(keep_token))
    return session.exec(query.values(revoked_at=utcnow())).rowcount


def live_sessions(*, session: Session, account_id: int, current_token: str) -> list[SessionInfo]:
    """The account's live sessions, most recently used first; ``current`` marks the caller's."""
    now = utcnow()
    current = token_hash(current_token) if current_token else ""
    rows = session.exec(
        select(AuthSession)
        .where(
            AuthSession.account_id == account_id,
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > now,
            col(AuthSession.created_at) > now - ABSOLUTE_LIFETIME,
        )
        .order_by(col(AuthSession.last_seen_at).desc())
    ).all()
    return [
        SessionInfo(
            id=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            user_agent=row.user_agent or "",
            ip=row.ip or "",
            current=row.token_hash == current,
            device=device_name(row.user_agent or ""),
        )
        for row in rows
    ]


UNKNOWN_BROWSER = N_("Navegador desconocido")

# ua-parser's families, as a customer names them: the engine's variants
# ("HeadlessChrome", "Chrome Mobile iOS") are the browser they installed.
_BROWSER_NAMES = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "HeadlessChrome": "Chrome",
    "Chromium": "Chromium",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
}
_SYSTEM_NAMES = {
    "Mac OS X": "Mac",
    "Chrome OS": "ChromeOS",
    "Ubuntu": "Linux",
    "Fedora": "Linux",
    "Debian": "Linux",
}
# Phones and tablets are named by the device a customer holds, not its system.
_DEVICES_BY_NAME = ("iPhone", "iPad", "iPod")


def _known(family: str | None) -> str:
    return "" if family in (None, "", "Other") else family


def device_name(user_agent: str) -> str:
    """The browser and system a User-Agent names, as a customer says them.

    "Chrome en Linux", "Safari en iPhone", "Firefox en Windows"; only the
    browser when the system is unknown, and "Navegador desconocido" when the
    string names no browser. Parsed with ua-parser's maintained rules.

    Args:
        user_agent: the User-Agent header a session signed in with ("" if none).

    Returns:
        The description, in the current language.
    """
    browser, system = _browser_and_system(user_agent) if user_agent.strip() else ("", "")
    browser = browser or _(UNKNOWN_BROWSER)
    return _("{browser} en {system}").format(browser=browser, system=system) if system else browser


@functools.lru_cache(maxsize=512)
def _browser_and_system(user_agent: str) -> tuple[str, str]:
    """The names of the browser and system of ``user_agent``, "" for each not known."""
    # Imported here: building the rules takes a moment nobody signing in needs.
    import ua_parser

    found = ua_parser.parse(user_agent)
    browser = _known(found.user_agent.family if found.user_agent else None)
    browser = _BROWSER_NAMES.get(browser, browser)
    device = _known(found.device.family if found.device else None)
    system = _known(found.os.family if found.os else None)
    system = device if device in _DEVICES_BY_NAME else _SYSTEM_NAMES.get(system, system)
    return browser, system
