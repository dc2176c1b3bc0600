"""Verificación en dos pasos: enrolment, the code step of Entrar, recovery codes, throttling.

Real TOTP codes, computed here with pyotp from the secret the portal made.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.domain import auth, second_factor
from customer_portal.domain.second_factor import SecondFactorKeys
from customer_portal.models import Account, AuditEvent, AuthSession, RecoveryCode
from tests.domain.test_auth import PASSWORD, create_account
from tests.factories import first_customer, previous_totp


def keys(settings) -> SecondFactorKeys:
    return SecondFactorKeys(settings.secret_key)


def enrol(engine, settings, account_id: int) -> tuple[str, list[str]]:
    """Set up the factor as a person would: open the page, type the app's code."""
    with unit_of_work(engine) as session:
        account = session.get(Account, account_id)
        enrolment = second_factor.start_enrolment(
            session=session, account=account, keys=keys(settings), issuer="Portal"
        )
    # The previous step's code (still accepted: clock drift), so that the
    # current one is fresh for the sign-in that follows; a code works once.
    result, codes = auth.complete_enrolment(
        engine=engine,
        settings=settings,
        account_id=account_id,
        code=previous_code(enrolment.secret),
    )
    assert result.ok and len(codes) == 10
    return enrolment.secret, codes


def password_step(engine, settings, password=PASSWORD) -> auth.AuthResult:
    return auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=password, ip="10.0.0.2"
    )


def challenge_for(engine, settings, account_id: int, next_path="/facturas", enrol=False) -> str:
    with unit_of_work(engine) as session:
        account = session.get(Account, account_id)
    return keys(settings).issue_challenge(account, next_path, enrol=enrol)


def code_step(engine, settings, challenge: str, code: str) -> auth.AuthResult:
    return auth.complete_second_factor(
        engine=engine, settings=settings, challenge=challenge, code=code, ip="10.0.0.2"
    )


def sessions(engine) -> int:
    with unit_of_work(engine, read_only=True) as session:
        return len(session.exec(select(AuthSession)).all())


def previous_code(secret: str) -> str:
    return previous_totp(secret)


def test_enrolment_shows_one_secret_stores_it_sealed_and_needs_a_right_code(engine, settings):
    account = create_account(engine)
    with unit_of_work(engine) as session:
        stored = session.get(Account, account.id)
        first = second_factor.start_enrolment(
            session=session, account=stored, keys=keys(settings), issuer="Link Customer Portal"
        )
    with unit_of_work(engine) as session:
        stored = session.get(Account, account.id)
        again = second_factor.start_enrolment(
            session=session, account=stored, keys=keys(settings), issuer="Link Customer Portal"
        )
        assert first.secret not in stored.totp_pending_secret  # sealed, not plain
        assert SecondFactorKeys("another-secret-key-" * 3).open(stored.totp_pending_secret) is None
    assert again.secret == first.secret and len(first.secret) == 32
    assert first.uri.startswith("otpauth://totp/Link%20Customer%20Portal:ana%40example.com?")
    assert not second_factor.enabled(stored)

    wrong, codes = auth.complete_enrolment(
        engine=engine, settings=settings, account_id=account.id, code="000000"
    )
    assert not wrong.ok and codes == [] and wrong.message == auth.CODE_WRONG
    right, codes = auth.complete_enrolment(
        engine=engine,
        settings=settings,
        account_id=account.id,
        code=pyotp.TOTP(first.secret).now(),
    )
    assert right.ok and len(set(codes)) == 10
    with unit_of_work(engine, read_only=True) as session:
        stored = session.get(Account, account.id)
        hashes = [r.code_hash for r in session.exec(select(RecoveryCode))]
    assert second_factor.enabled(stored) and stored.totp_pending_secret is None
    assert all(code.replace("-", "") not in "".join(hashes) for code in codes)


def test_the_password_alone_opens_no_session(engine, settings):
    account = create_account(engine)
    secret, _ = enrol(engine, settings, account.id)
    result = password_step(engine, settings)
    assert result.ok and result.second_factor == "code" and result.session_token is None
    assert sessions(engine) == 0

    challenge = challenge_for(engine, settings, account.id, "/factura?numero=F-1")
    wrong = code_step(engine, settings, challenge, "123456")
    assert not wrong.ok and wrong.message == auth.CODE_WRONG and sessions(engine) == 0
    right = code_step(engine, settings, challenge, pyotp.TOTP(secret).now())
    assert right.ok and right.session_token and right.next_path == "/factura?numero=F-1"
    assert sessions(engine) == 1
    # The same code, seen over a shoulder, does not open a second session.
    replay = code_step(engine, settings, challenge, pyotp.TOTP(secret).now())
    assert not replay.ok and sessions(engine) == 1
    with unit_of_work(engine, read_only=True) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-3:] == ["login.failed", "login.succeeded", "login.failed"]


def test_a_recovery_code_works_once(engine, settings):
    account = create_account(engine)
    _, codes = enrol(engine, settings, account.id)
    challenge = challenge_for(engine, settings, account.id)
    assert code_step(engine, settings, challenge, codes[3].lower().replace("-", " ")).ok
    assert not code_step(engine, settings, challenge, codes[3]).ok
    with unit_of_work(engine, read_only=True) as session:
        assert second_factor.recovery_codes_left(session=session, account_id=account.id) == 9


def test_a_forged_stale_or_outdated_challenge_is_refused(engine, settings, monkeypatch):
    account = create_account(engine)
    secret, _ = enrol(engine, settings, account.id)
    challenge = challenge_for(engine, settings, account.id)
    for bad in (
        None,
        "",
        challenge[:-2] + "xx",
        SecondFactorKeys("x" * 40).issue_challenge(account, "/", enrol=False),
    ):
        result = code_step(engine, settings, bad, pyotp.TOTP(secret).now())
        assert not result.ok and result.message == auth.CHALLENGE_EXPIRED
    # A password changed meanwhile voids the challenge made with the old one.
    with unit_of_work(engine) as session:
        stored = session.get(Account, account.id)
        stored.password_changed_at = stored.password_changed_at + timedelta(seconds=1)
        session.add(stored)
    assert code_step(engine, settings, challenge, previous_code(secret)).message == (
        auth.CHALLENGE_EXPIRED
    )
    # And one older than five minutes is over.
    fresh = challenge_for(engine, settings, account.id)
    later = time.time() + second_factor.CHALLENGE_SECONDS + 5
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert code_step(engine, settings, fresh, pyotp.TOTP(secret).now()).message == (
        auth.CHALLENGE_EXPIRED
    )


def test_guessing_codes_is_throttled_like_passwords(engine, settings):
    account = create_account(engine)
    secret, _ = enrol(engine, settings, account.id)
    challenge = challenge_for(engine, settings, account.id)
    answers = [code_step(engine, settings, challenge, f"{n:06d}").message for n in range(7)]
    assert answers[:5] == [auth.CODE_WRONG] * 5
    assert "Espere" in answers[6] or "minuto" in answers[6]
    # Even the right code waits now: guessing bought nothing.
    late = code_step(engine, settings, challenge, pyotp.TOTP(secret).now())
    assert not late.ok and late.message != auth.CODE_WRONG and sessions(engine) == 0


def test_a_customer_that_requires_it_gets_its_people_enrolled_at_entrar(engine, settings):
    account = create_account(engine)
    with unit_of_work(engine) as session:
        customer = first_customer(session, account)
        customer.requires_second_factor = True
        session.add(customer)
    result = password_step(engine, settings)
    assert result.ok and result.second_factor == "enrol" and sessions(engine) == 0
    with unit_of_work(engine) as session:
        stored = session.get(Account, account.id)
        enrolment = second_factor.start_enrolment(
            session=session, account=stored, keys=keys(settings), issuer="Portal"
        )
    signed, codes = auth.complete_enrolment(
        engine=engine,
        settings=settings,
        account_id=account.id,
        code=pyotp.TOTP(enrolment.secret).now(),
        sign_in=True,
    )
    assert signed.ok and signed.session_token and len(codes) == 10 and sessions(engine) == 1
    assert password_step(engine, settings).second_factor == "code"


@pytest.mark.parametrize("wrong", ["", "12345", "1234567", "abcdef", "ZZZZZ-ZZZZZ"])
def test_malformed_codes_are_just_wrong(engine, settings, wrong):
    account = create_account(engine)
    enrol(engine, settings, account.id)
    challenge = challenge_for(engine, settings, account.id)
    assert code_step(engine, settings, challenge, wrong).message == auth.CODE_WRONG


def test_a_reset_link_alone_does_not_get_past_the_second_factor(engine, settings):
    """Someone who reads the mailbox but has not the phone: the code is still asked."""
    from customer_portal.domain.tokens import TokenKeys, TokenPurpose

    account = create_account(engine)
    enrol(engine, settings, account.id)
    with unit_of_work(engine) as session:
        stored = session.get(Account, account.id)
        link = TokenKeys(settings.secret_key).issue(TokenPurpose.PASSWORD_RESET, stored)
    result = auth.set_password_with_link(
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.PASSWORD_RESET,
        token=link,
        email="ana@example.com",
        password="Nueva-Clave8",
        repeat="Nueva-Clave8",
    )
    assert result.ok and result.second_factor == "code" and result.session_token is None
    assert sessions(engine) == 0


def test_an_activation_for_a_customer_that_requires_it_enrols_first(engine, settings):
    from customer_portal.domain.tokens import TokenKeys, TokenPurpose

    account = create_account(engine, password=None)
    with unit_of_work(engine) as session:
        customer = first_customer(session, account)
        customer.requires_second_factor = True
        session.add(customer)
        link = TokenKeys(settings.secret_key).issue(
            TokenPurpose.ACTIVATION, session.get(Account, account.id)
        )
    result = auth.set_password_with_link(
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.ACTIVATION,
        token=link,
        email="ana@example.com",
        password="Nueva-Clave8",
        repeat="Nueva-Clave8",
    )
    assert result.ok and result.second_factor == "enrol" and sessions(engine) == 0
