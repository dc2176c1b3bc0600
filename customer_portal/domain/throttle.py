"""Sign-in throttling: slow down guessing without handing anyone a way to lock a customer out.

Policy (Entrar), as enforced below:

- **What is counted.** Every sign-in that reaches the password check is stored
  as a failure (table ``login_failure``: the email typed, the client address,
  the time) *before* the password is checked, and deleted again if the
  password was right. The count lives in the database, so it holds across
  workers and restarts, and parallel tries cannot slip past a limit while
  bcrypt runs. A throttled attempt checks no password and is not counted, so
  hammering a locked door does not keep it locked. Emails that are not
  customers are counted, limited and answered exactly like customers' emails.
- **Usual address.** An address is *usual* for an account when the account
  started a session from it (Entrar, or a password set through a link) in
  the last 90 days.
- **Rule 1, one email from one address: backoff.** The first 5 failures are
  free. After the 5th the next try waits 1 minute from the last failure,
  after the 6th 2 minutes, then 4, 8, and 15 minutes after every further
  failure. Failures of the last 24 hours count; a correct password clears
  that email's failures from that address. This rule applies to everyone,
  usual address or not: it is what stops one attacking address.
- **Rule 2, one address, any email: credential stuffing.** When an address
  has 50 failures in the last 15 minutes, whatever the emails, it may only
  try emails for which it is a usual address, until it is back under 50. An
  office or a proxy shared by many customers therefore never blocks the
  customers who already sign in from it.
- **Rule 3, one email, any address: account ceiling.** After 50 failures in
  24 hours, only the account's usual addresses may try (still under rule 1);
  any other address waits until the count is back under 50, or uses
  «¿Has olvidado tu contraseña?». After 90 failures in 24 hours nobody may
  try the password until the count is back under 90. Other addresses stop
  at 50, so the 90 can only be reached with at least 40 failures from the
  customer's own usual addresses. No account gets 100 failed password
  checks in any 24 hours without a password change (OWASP ASVS 6.3.1,
  4.0.3 2.2.1; NIST SP 800-63B).
- **A password set or changed starts afresh.** Failures recorded before the
  account's last password change (activation, reset link, Mi cuenta) never
  count against it, and setting the password deletes them. A completed
  reset signs the owner in at once, and the address it was completed from
  becomes usual, so a reset always lets the owner in, even in the middle of
  an attack.
- **Answer.** A throttled attempt gets «Demasiados intentos fallidos. Por
  seguridad, espera N minutos antes de volver a intentarlo, o restablece tu
  contraseña con «¿Has olvidado tu contraseña?».», N being the longest wait
  among the rules that refused, rounded up (in hours from 60 minutes on).
- **Limits.** The address is the client IP as the portal sees it: the socket
  peer, or X-Forwarded-For only as far as ``PORTAL_TRUSTED_PROXY_HOPS``
  trusts it. An attacker with many addresses (a botnet, an IPv6 /64) escapes
  rules 1 and 2, never rule 3. Someone sharing a customer's usual address
  (the same office) is held by rule 1 and the 90 of rule 3, not by the
  exemptions, and can tell from the answer whether an email signs in from
  there. The per-email counts are exact (attempts on one email are taken
  one at a time: a PostgreSQL advisory lock, SQLite's write lock); the
  per-address count can overshoot by the attempts in flight at that instant.

The arithmetic is pure (:func:`decide`: timestamps in, a wait out) so tests
run it on a fake clock; the queries beside it feed it and record attempts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from customer_portal.models import Account, AuthSession, LoginFailure

FREE_TRIES = 5
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(minutes=15)
PAIR_WINDOW = timedelta(hours=24)

ADDRESS_LIMIT = 50
ADDRESS_WINDOW = timedelta(minutes=15)

ACCOUNT_LIMIT = 50
ACCOUNT_HARD_LIMIT = 90
ACCOUNT_WINDOW = timedelta(hours=24)

USUAL_ADDRESS_FOR = timedelta(days=90)

# Past this many failures the backoff is at MAX_WAIT, so more rows change nothing.
PAIR_FETCH = FREE_TRIES + math.ceil(math.log2(MAX_WAIT / FIRST_WAIT))

# Advisory lock namespace for sign-in attempts ("LOGN"), apart from any other lock.
_LOCK_SPACE = 0x4C4F474E


@dataclass(frozen=True)
class History:
    """What the database knows about one attempt, as the policy needs it.

    Timestamps may come in any order and include failures outside the
    windows; :func:`decide` keeps only the ones that count.

    Attributes:
        pair: failures of this email from this address.
        address: failures from this address, any email.
        account: failures of this email, any address.
        usual_address: the account of this email has signed in from this address.
        password_changed_at: the account's last password change, None if
            unknown email or never set.
    """

    pair: Sequence[datetime] = ()
    address: Sequence[datetime] = ()
    account: Sequence[datetime] = ()
    usual_address: bool = False
    password_changed_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """Whether an attempt may check its password, and if not, for how long it waits.

    Attributes:
        retry_after: zero when the attempt may go ahead.
        rule: which rule imposed the wait ("pair", "address", "account",
            "account_hard"), None when allowed; for logs, never for customers.
    """

    retry_after: timedelta = timedelta(0)
    rule: str | None = None

    @property
    def allowed(self) -> bool:
        """Whether the attempt may check its password now."""
        return self.retry_after <= timedelta(0)

    @property
    def retry_after_minutes(self) -> int:
        """Whole minutes to tell the customer, rounded up; 0 when allowed."""
        if self.allowed:
            return 0
        return max(1, math.ceil(self.retry_after / timedelta(minutes=1)))


def backoff(failures: int) -> timedelta:
    """The wait after the latest of ``failures`` failures of one email from one address."""
    if failures < FREE_TRIES:
        return timedelta(0)
    # The exponent is capped only to keep the number small; MAX_WAIT caps the wait.
    return min(FIRST_WAIT * 2 ** min(failures - FREE_TRIES, 16), MAX_WAIT)


def _counted(stamps: Iterable[datetime], since: datetime) -> list[datetime]:
    """The failures strictly after ``since``, newest first."""
    return sorted((at for at in stamps if at > since), reverse=True)


def _ceiling_wait(
    newest_first: list[datetime], limit: int, window: timedelta, now: datetime
) -> timedelta:
    """How long until fewer than ``limit`` failures are left in ``window``."""
    if len(newest_first) < limit:
        return timedelta(0)
    # Once the limit-th newest leaves the window, limit - 1 are left.
    return max(newest_first[limit - 1] + window - now, timedelta(0))


def decide(history: History, now: datetime) -> Decision:
    """Apply the policy of this module to one attempt at ``now``."""
    # Failures before a password change were against a password that no longer exists.
    changed = history.password_changed_at or datetime.min.replace(tzinfo=now.tzinfo)
    pair = _counted(history.pair, max(now - PAIR_WINDOW, changed))
    account = _counted(history.account, max(now - ACCOUNT_WINDOW, changed))
    address = _counted(history.address, now - ADDRESS_WINDOW)

    waits = {
        "pair": max(pair[0] + backoff(len(pair)) - now, timedelta(0)) if pair else timedelta(0),
        "account_hard": _ceiling_wait(account, ACCOUNT_HARD_LIMIT, ACCOUNT_WINDOW, now),
    }
    if not history.usual_address:
        waits["address"] = _ceiling_wait(address, ADDRESS_LIMIT, ADDRESS_WINDOW, now)
        waits["account"] = _ceiling_wait(account, ACCOUNT_LIMIT, ACCOUNT_WINDOW, now)
    rule, wait = max(waits.items(), key=lambda item: item[1])
    if wait <= timedelta(0):
        return Decision()
    return Decision(retry_after=wait, rule=rule)


def _from_address(ip: str | None):
    return LoginFailure.ip == ip if ip else col(LoginFailure.ip).is_(None)


def _newest(session: Session, *conditions, limit: int) -> list[datetime]:
    return list(
        session.exec(
            select(LoginFailure.at)
            .where(*conditions)
            .order_by(col(LoginFailure.at).desc())
            .limit(limit)
        ).all()
    )


def load_history(*, session: Session, email: str, ip: str | None, now: datetime) -> History:
    """Read what :func:`decide` needs, with the same queries whether the email is known or not.

    Each failure query walks ix_login_failure_email_at or ix_login_failure_ip_at
    backwards and stops after the few rows that can change the decision.
    """
    changed_at = session.exec(
        select(Account.password_changed_at).where(Account.email == email)
    ).first()
    usual = False
    if ip:
        usual = (
            session.exec(
                select(AuthSession.id)
                .join(Account, col(Account.id) == col(AuthSession.account_id))
                .where(
                    Account.email == email,
                    AuthSession.ip == ip,
                    col(AuthSession.created_at) > now - USUAL_ADDRESS_FOR,
                )
                .limit(1)
            ).first()
            is not None
        )
    return History(
        pair=_newest(
            session,
            LoginFailure.email == email,
            _from_address(ip),
            col(LoginFailure.at) > now - PAIR_WINDOW,
            limit=PAIR_FETCH,
        ),
        account=_newest(
            session,
            LoginFailure.email == email,
            col(LoginFailure.at) > now - ACCOUNT_WINDOW,
            limit=ACCOUNT_HARD_LIMIT,
        ),
        address=(
            _newest(
                session,
                LoginFailure.ip == ip,
                col(LoginFailure.at) > now - ADDRESS_WINDOW,
                limit=ADDRESS_LIMIT,
            )
            if ip
            else []
        ),
        usual_address=usual,
        password_changed_at=changed_at,
    )


def _serialise_attempts(session: Session, email: str) -> None:
    """Hold attempts on ``email`` one at a time until this transaction ends.

    Without it two attempts could both read 49 failures and both go ahead.
    SQLite needs nothing: every transaction here starts with BEGIN IMMEDIATE.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(func.pg_advisory_xact_lock(_LOCK_SPACE, func.hashtext(email))))


def admit(*, session: Session, email: str, ip: str | None, now: datetime) -> Decision:
    """Decide on one attempt and, if it may go ahead, count it as a failure now.

    The caller commits ``session`` before checking the password, and calls
    :func:`clear_pair` if the password was right.
    """
    _serialise_attempts(session, email)
    decision = decide(load_history(session=session, email=email, ip=ip, now=now), now)
    if decision.allowed:
        session.add(LoginFailure(email=email, ip=ip, at=now))
    return decision


def clear_pair(*, session: Session, email: str, ip: str | None) -> None:
    """A correct password: forget this email's failures from this address only.

    Failures from other addresses keep counting, so a customer signing in
    does not hand an attacker elsewhere a fresh allowance.
    """
    session.exec(sa.delete(LoginFailure).where(LoginFailure.email == email, _from_address(ip)))


def forget_failures(*, session: Session, email: str) -> None:
    """A password was set or changed: failures against the old one no longer matter."""
    session.exec(sa.delete(LoginFailure).where(LoginFailure.email == email))
