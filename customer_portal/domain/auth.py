"""Signing in and setting passwords: the account flows of the seed manual.

Every function is synchronous and may run bcrypt; callers in an event loop
run them with ``asyncio.to_thread`` so one login never stalls other
customers. Messages are the texts customers read: the constants below are the
Spanish msgids (marked with ``N_``), returned translated into the current
language (:mod:`customer_portal.i18n`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from customer_portal.db import unit_of_work
from customer_portal.domain import second_factor, throttle
from customer_portal.domain.accounts import account_for, login_email, normalize_email
from customer_portal.domain.activity import user_agent_detail
from customer_portal.domain.audit import record_event
from customer_portal.domain.devices import recognise_device
from customer_portal.domain.languages import email_language
from customer_portal.domain.password_rules import check_password
from customer_portal.domain.passwords import hash_password, verify_password
from customer_portal.domain.places import place_of
from customer_portal.domain.sessions import device_name, end_other_sessions, start_session
from customer_portal.domain.tokens import TokenError, TokenKeys, TokenPurpose
from customer_portal.i18n import N_, _, ngettext, use_language
from customer_portal.limits import IP_LENGTH
from customer_portal.mail.render import EmailKind
from customer_portal.models import Account, utcnow
from customer_portal.settings import Settings

log = logging.getLogger(__name__)

# The Spanish msgids; an AuthResult carries them translated (``_(LOGIN_FAILED)``).
LOGIN_FAILED = N_("El correo electrónico o la contraseña no son correctos.")
# {wait} is "1 minuto", "15 minutos", "3 horas"...: see wait_words.
LOCKED = N_(
    "Demasiados intentos fallidos. Por seguridad, espere {wait} antes de volver a "
    "intentarlo, o restablezca su contraseña con «¿Has olvidado tu contraseña?»."
)
EMAIL_MISMATCH = N_(
    "La dirección de correo electrónico debe ser la misma a la que le ha llegado el correo. "
    "Si indica otra cuenta de correo, no le llegarán las facturas."
)
LINK_EXPIRED = N_("El enlace ha caducado.")
LINK_INVALID = N_("El enlace no es válido o ya se ha utilizado.")
RULES_FAILED = N_("La contraseña no cumple los requisitos: {rules}.")
CURRENT_WRONG = N_("La contraseña actual no es correcta.")
CODE_WRONG = N_("El código no es correcto. Escriba el que muestra ahora su aplicación.")
CHALLENGE_EXPIRED = N_("Han pasado más de 5 minutos: vuelva a entrar con su contraseña.")


# Checked when the email is unknown, so both cases cost one bcrypt at the same
# cost. A constant (of a random password nobody knows), not computed at the
# first unknown email, which would make that one request slower and telling.
_DUMMY_HASH = "$2b$12$suKiJj4S2eSodxnXVcIatuV2KVXmbFEXn3kw1yJnaM5wsM3T69lLK"


@dataclass(frozen=True)
class AuthResult:
    """How an account flow ended, in the form the login and password pages need.

    Attributes:
        ok: whether the flow succeeded.
        message: on failure, the text to show the customer (in the current
            language); empty on success.
        account_id: on success, the account concerned.
        session_token: when the flow signed the customer in, the new session's
            token for the browser's cookie; None otherwise.
        device_token: with ``session_token``, the token the browser's device
            cookie keeps (:mod:`customer_portal.domain.devices`).
    """

    ok: bool
    message: str = ""
    account_id: int | None = None
    session_token: str | None = None
    device_token: str | None = None
    #: After a right password: "code" (the app's code is asked next) or
    #: "enrol" (the customer requires a second factor this person has not set up).
    second_factor: str | None = None
    next_path: str | None = None


def wait_words(minutes: int) -> str:
    """A wait as customers read it; the account ceiling can mean hours, not 900 minutos."""
    if minutes < 60:
        return ngettext("{n} minuto", "{n} minutos", minutes).format(n=minutes)
    hours = -(-minutes // 60)
    return ngettext("{n} hora", "{n} horas", hours).format(n=hours)


def locked_message(minutes: int) -> str:
    """:data:`LOCKED` in the current language, with the wait in words."""
    return _(LOCKED).format(wait=wait_words(minutes))


def _link_problem(exc: TokenError) -> str:
    return _(LINK_EXPIRED) if exc.reason == "expired" else _(LINK_INVALID)


def _rules_failed(failed: list[str]) -> str:
    return _(RULES_FAILED).format(rules=", ".join(failed).lower())


def log_in(
    *,
    engine: sa.Engine,
    settings: Settings,
    email: str,
    password: str,
    ip: str | None = None,
    user_agent: str | None = None,
    device_token: str | None = None,
) -> AuthResult:
    """Check the credentials; on success, a new session token for the browser.

    Throttled as :mod:`customer_portal.domain.throttle` documents: the attempt
    is counted as a failure before bcrypt runs and forgotten if it succeeds.

    Takes ``engine``, not a session: it needs two units of work with bcrypt
    between them. The first counts the attempt and must commit even though
    the login may fail; no transaction is held while bcrypt runs (on SQLite
    every transaction holds the write lock).

    Args:
        engine: the portal's database.
        settings: the portal's settings (session idle timeout).
        email: as typed; normalised and cut to the column's width.
        password: as typed.
        ip: the client address; cut to the column's width.
        user_agent: the browser's User-Agent, kept with the session.
        device_token: the browser's device cookie: a sign-in from a browser
            the account has not used is emailed about.

    Returns:
        Success with the new session token, or failure with the message to show.
    """
    email = login_email(email)
    # A forged X-Forwarded-For longer than the column must not turn into a 500.
    ip = (ip or "")[:IP_LENGTH] or None
    with unit_of_work(engine) as session:
        decision = throttle.admit(session=session, email=email, ip=ip, now=utcnow())
        account = account_for(session=session, email=email)
    if not decision.allowed:
        log.info("sign-in throttled by rule %s", decision.rule)
        return AuthResult(False, locked_message(decision.retry_after_minutes))

    usable = account is not None and account.password_hash is not None
    matches = verify_password(password, account.password_hash if usable else _DUMMY_HASH)
    with unit_of_work(engine) as session:
        if not (usable and matches):
            # Already counted by admit(), before bcrypt.
            record_event(
                session=session,
                actor=email,
                action="login.failed",
                ip=ip,
                detail=user_agent_detail(user_agent),
            )
            return AuthResult(False, _(LOGIN_FAILED))
        if second_factor.enabled(account) or second_factor.required_for(
            session=session, account=account
        ):
            # The password is right, but no session yet: the code comes first
            # (or, for a customer that requires one, the enrolment). The
            # attempt stays counted until then, so codes are throttled too.
            enrol = not second_factor.enabled(account)
            return AuthResult(
                True, account_id=account.id, second_factor="enrol" if enrol else "code"
            )
        return _sign_in(session, settings, account, ip, user_agent, device_token)


def _sign_in(
    session: Session,
    settings: Settings,
    account: Account,
    ip: str | None,
    user_agent: str | None,
    device_token: str | None,
    how: str | None = None,
) -> AuthResult:
    """Start the session of a person whose credentials are all checked, in ``session``."""
    token = start_session(
        session=session,
        account=account,
        idle=settings.session_idle,
        user_agent=user_agent,
        ip=ip,
    )
    # Only this address's failures: an attacker elsewhere keeps his count.
    throttle.clear_pair(session=session, email=account.email, ip=ip)
    detail = user_agent_detail(user_agent) or {}
    if how:
        detail["second_factor"] = how
    record_event(
        session=session,
        actor=account.email,
        action="login.succeeded",
        ip=ip,
        detail=detail or None,
    )
    device = recognise_device(session=session, account_id=account.id, token=device_token)
    if device.new:
        _notify(session, settings, account, EmailKind.NEW_SIGN_IN, ip, user_agent)
    return AuthResult(True, account_id=account.id, session_token=token, device_token=device.token)


def complete_second_factor(
    *,
    engine: sa.Engine,
    settings: Settings,
    challenge: str | None,
    code: str,
    ip: str | None = None,
    user_agent: str | None = None,
    device_token: str | None = None,
) -> AuthResult:
    """The second step of Entrar: the code from the app, or a recovery code.

    Throttled with the password (same email and address counts), so knowing
    the password buys no more guesses at the code than at the password.

    Returns:
        Success with the session (``next_path`` says where to go), or failure
        with the message; :data:`CHALLENGE_EXPIRED` sends the person back to Entrar.
    """
    keys = second_factor.SecondFactorKeys(settings.secret_key)
    ip = (ip or "")[:IP_LENGTH] or None
    with unit_of_work(engine) as session:
        found = keys.read_challenge(session=session, token=challenge)
        if found is None or found.enrol or not second_factor.enabled(found.account):
            return AuthResult(False, _(CHALLENGE_EXPIRED))
        decision = throttle.admit(session=session, email=found.account.email, ip=ip, now=utcnow())
    if not decision.allowed:
        return AuthResult(False, locked_message(decision.retry_after_minutes))
    with unit_of_work(engine) as session:
        account = session.get(Account, found.account.id)
        how = second_factor.check_second_factor(
            session=session, account=account, keys=keys, code=code
        )
        if how is None:
            detail = user_agent_detail(user_agent) or {}
            record_event(
                session=session,
                actor=account.email,
                action="login.failed",
                ip=ip,
                detail={**detail, "second_factor": "wrong"},
            )
            return AuthResult(False, _(CODE_WRONG))
        result = _sign_in(session, settings, account, ip, user_agent, device_token, how)
    return dataclasses.replace(result, next_path=found.next_path)


def complete_enrolment(
    *,
    engine: sa.Engine,
    settings: Settings,
    account_id: int,
    code: str,
    ip: str | None = None,
    user_agent: str | None = None,
    device_token: str | None = None,
    sign_in: bool = False,
) -> tuple[AuthResult, list[str]]:
    """Confirm the code of a new second factor; sign in too when enrolling at Entrar.

    Returns:
        The result (with a session when ``sign_in``) and the recovery codes to
        show once; no codes when the code was wrong.
    """
    keys = second_factor.SecondFactorKeys(settings.secret_key)
    with unit_of_work(engine) as session:
        decision = throttle.admit(
            session=session,
            email=session.get(Account, account_id).email,
            ip=ip,
            now=utcnow(),
        )
    if not decision.allowed:
        return AuthResult(False, locked_message(decision.retry_after_minutes)), []
    with unit_of_work(engine) as session:
        account = session.get(Account, account_id)
        codes = second_factor.confirm_enrolment(
            session=session, account=account, keys=keys, code=code, ip=ip
        )
        if codes is None:
            return AuthResult(False, _(CODE_WRONG)), []
        if sign_in:
            return _sign_in(session, settings, account, ip, user_agent, device_token, "totp"), codes
        throttle.clear_pair(session=session, email=account.email, ip=ip)
    return AuthResult(True, account_id=account_id), codes


def _notify(
    session: Session,
    settings: Settings,
    account: Account,
    kind: EmailKind,
    ip: str | None,
    user_agent: str | None,
) -> None:
    """Queue a "was it you?" email about ``account``, naming this request's device and place."""
    from customer_portal.mail.notices import queue_security_notice

    # Worded now, in the language the email will be read in.
    with use_language(email_language(account)):
        queue_security_notice(
            session=session,
            account=account,
            settings=settings,
            kind=kind,
            device=device_name(user_agent or "") if user_agent else "",
            place=place_of(ip, settings.geoip_database),
            ip=ip,
        )


def preview_link(
    *, session: Session, settings: Settings, purpose: TokenPurpose, token: str
) -> AuthResult:
    """Whether a link is usable, without spending it: opening a link only shows the form.

    Args:
        session: where to read the link's account (nothing is written).
        settings: the portal's settings (secret key, link lifetimes).
        purpose: what the link is for.
        token: the link's token.

    Returns:
        Success with the account id, or failure with the message to show.
    """
    try:
        account = TokenKeys(settings.secret_key).redeem(
            session=session,
            purpose=purpose,
            token=token,
            max_age_seconds=_max_age(settings, purpose),
        )
    except TokenError as exc:
        return AuthResult(False, _link_problem(exc))
    return AuthResult(True, account_id=account.id)


def _max_age(settings: Settings, purpose: TokenPurpose) -> int:
    if purpose is TokenPurpose.ACTIVATION:
        return settings.activation_ttl_hours * 3600
    return settings.reset_ttl_minutes * 60


def set_password_with_link(
    *,
    engine: sa.Engine,
    settings: Settings,
    purpose: TokenPurpose,
    token: str,
    email: str,
    password: str,
    repeat: str,
    ip: str | None = None,
    user_agent: str | None = None,
    device_token: str | None = None,
) -> AuthResult:
    """The Modificar contraseña form: check everything again, then spend the link.

    The link is spent by one conditional UPDATE on the password state it was
    issued for, so of two simultaneous submissions exactly one succeeds.

    Takes ``engine``, not a session: the link is read in one unit of work and
    spent in another, with bcrypt between them outside any transaction.

    Returns:
        Success with a new session token, or failure with the message to show.
    """
    check = check_password(password, repeat, min_length=settings.password_min_length)
    if not check.acceptable:
        return AuthResult(False, _rules_failed(check.failed()))
    keys = TokenKeys(settings.secret_key)
    with unit_of_work(engine) as session:
        try:
            account = keys.redeem(
                session=session,
                purpose=purpose,
                token=token,
                max_age_seconds=_max_age(settings, purpose),
            )
        except TokenError as exc:
            return AuthResult(False, _link_problem(exc))
    if normalize_email(email) != account.email:
        return AuthResult(False, _(EMAIL_MISMATCH))

    new_hash = hash_password(password)  # slow: outside any transaction
    now = utcnow()
    with unit_of_work(engine) as session:
        updated = session.exec(
            sa.update(Account)
            .where(
                col(Account.id) == account.id,
                col(Account.password_hash).is_not_distinct_from(account.password_hash),
                col(Account.password_changed_at).is_not_distinct_from(account.password_changed_at),
            )
            .values(
                password_hash=new_hash,
                password_changed_at=now,
                activated_at=sa.func.coalesce(Account.activated_at, now),
            )
        ).rowcount
        if updated != 1:
            return AuthResult(False, _(LINK_INVALID))
        # A completed reset always lets the owner in, even under attack.
        throttle.forget_failures(session=session, email=account.email)
        end_other_sessions(session=session, account_id=account.id, keep_token=None)
        fresh = session.get(Account, account.id)
        session.refresh(fresh)
        # The email alone never opens a session past a second factor: with one
        # set up (or required), the code (or its enrolment) comes next, as at Entrar.
        factor = None
        if second_factor.enabled(fresh):
            factor = "code"
        elif second_factor.required_for(session=session, account=fresh):
            factor = "enrol"
        token_out = (
            None
            if factor
            else start_session(
                session=session,
                account=fresh,
                idle=settings.session_idle,
                user_agent=user_agent,
                ip=ip,
            )
        )
        action = "account.activated" if purpose is TokenPurpose.ACTIVATION else "password.reset"
        record_event(
            session=session,
            actor=account.email,
            action=action,
            ip=ip,
            detail=user_agent_detail(user_agent),
        )
        # The browser that set the password, and signed in, is known from now on,
        # without an email (with a second factor, once the code is right).
        device = (
            recognise_device(session=session, account_id=account.id, token=device_token)
            if token_out
            else None
        )
        if purpose is TokenPurpose.PASSWORD_RESET:
            _notify(session, settings, fresh, EmailKind.PASSWORD_CHANGED, ip, user_agent)
    return AuthResult(
        True,
        account_id=account.id,
        session_token=token_out,
        device_token=device.token if device else None,
        second_factor=factor,
    )


def _recent_emails(session: Session, key_prefix: str) -> int:
    from customer_portal.models import OutboxEmail

    return session.exec(
        select(func.count()).where(
            col(OutboxEmail.dedupe_key).startswith(key_prefix),
            col(OutboxEmail.created_at) > utcnow() - timedelta(hours=1),
        )
    ).one()


def request_new_activation_link(
    *, session: Session, settings: Settings, email: str, ip: str | None = None
) -> None:
    """Send a fresh Alta email if ``email`` has an account still waiting for activation.

    Answered the same way whatever the email, like the reset request.

    Args:
        session: the unit of work the email is queued in.
        settings: the portal's settings.
        email: as typed; normalised and cut to the column's width.
        ip: the client address, for the audit trail.
    """
    from customer_portal.mail.notices import queue_activation

    email = login_email(email)
    account = account_for(session=session, email=email)
    if account is None or account.activated_at is not None:
        return
    if _recent_emails(session, f"activation:{account.id}:") >= 3:
        return
    queue_activation(session=session, account=account, settings=settings)
    record_event(session=session, actor=email, action="activation.resent", ip=ip)


def request_password_reset(
    *, session: Session, settings: Settings, email: str, ip: str | None = None
) -> None:
    """Queue a Restablecer contraseña email if ``email`` is an active account.

    The caller answers the same whatever happens here and the email leaves
    later from the outbox, so the form reveals nothing about who is a
    customer. At most three emails per account per hour.

    Args:
        session: the unit of work the email is queued in.
        settings: the portal's settings.
        email: as typed; normalised and cut to the column's width.
        ip: the client address, for the audit trail.
    """
    from customer_portal.mail.notices import queue_password_reset

    email = login_email(email)
    account = account_for(session=session, email=email)
    if account is None or account.activated_at is None:
        return
    if _recent_emails(session, f"password-reset:{account.id}:") >= 3:
        log.info("password reset for account %s throttled", account.id)
        return
    queue_password_reset(session=session, account=account, settings=settings)
    record_event(session=session, actor=email, action="password.reset_requested", ip=ip)


def change_password(
    *,
    engine: sa.Engine,
    settings: Settings,
    account_id: int,
    current: str,
    password: str,
    repeat: str,
    keep_token: str,
    ip: str | None = None,
    user_agent: str | None = None,
) -> AuthResult:
    """Change the password of a signed-in customer; other sessions end; they get an email.

    Takes ``engine``, not a session: the account is read in one unit of work
    and changed in another, with two bcrypt runs between them outside any
    transaction.

    Returns:
        Success, or failure with the message to show.
    """
    check = check_password(password, repeat, min_length=settings.password_min_length)
    if not check.acceptable:
        return AuthResult(False, _rules_failed(check.failed()))
    with unit_of_work(engine) as session:
        account = session.get(Account, account_id)
    if account is None or not account.password_hash:
        return AuthResult(False, _(CURRENT_WRONG))
    if not verify_password(current, account.password_hash):
        return AuthResult(False, _(CURRENT_WRONG))
    new_hash = hash_password(password)
    with unit_of_work(engine) as session:
        stored = session.get(Account, account_id)
        stored.password_hash, stored.password_changed_at = new_hash, utcnow()
        session.add(stored)
        throttle.forget_failures(session=session, email=stored.email)
        end_other_sessions(session=session, account_id=account_id, keep_token=keep_token)
        record_event(
            session=session,
            actor=stored.email,
            action="password.changed",
            ip=ip,
            detail=user_agent_detail(user_agent),
        )
        _notify(session, settings, stored, EmailKind.PASSWORD_CHANGED, ip, user_agent)
    return AuthResult(True, account_id=account_id)


def report_not_me(
    *,
    engine: sa.Engine,
    settings: Settings,
    account_id: int,
    ip: str | None = None,
    user_agent: str | None = None,
) -> None:
    """«No he sido yo»: end every session, void the password, email a reset link.

    Someone else may know the password, so ending sessions alone would not
    keep them out: the password stops working at once (as does any link
    issued for it), and the owner chooses a new one from the Restablecer
    contraseña email, which goes to their address, not to whoever is signed in.
    One transaction: all of it happens, or none.
    """
    from customer_portal.mail.notices import queue_password_reset

    with unit_of_work(engine) as session:
        account = session.get(Account, account_id)
        if account is None:
            return
        account.password_hash = None
        account.password_changed_at = utcnow()
        session.add(account)
        end_other_sessions(session=session, account_id=account_id, keep_token=None)
        session.flush()
        queue_password_reset(session=session, account=account, settings=settings)
        record_event(
            session=session,
            actor=account.email,
            action="account.not_me",
            ip=ip,
            detail=user_agent_detail(user_agent),
        )
