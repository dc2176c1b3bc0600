"""Lockout as a weapon: replays of the attacks, each on SQLite and on PostgreSQL.

Before the throttle of ``customer_portal.domain.throttle``, 5 wrong passwords
typed by anyone locked a customer out for 15 minutes, 50 failures from one
address locked every customer behind it, an account could take 480 guesses a
day, and a completed reset did not lift the lockout. Each test replays one
attack through ``auth.log_in``, as the Entrar route calls it, with the clock
moved on by rewriting the stored timestamps (``pass_time``).
"""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest

from customer_portal.db import unit_of_work
from customer_portal.domain import auth
from customer_portal.domain.passwords import hash_password
from customer_portal.domain.tokens import TokenPurpose
from customer_portal.models import Account
from tests.domain.test_auth import PASSWORD, create_account, link, pass_time

ANA = "ana@example.com"
HOME = "198.51.100.7"
OFFICE = "192.0.2.10"
QUARTER = timedelta(minutes=15)


@pytest.fixture(autouse=True)
def cheap_bcrypt(monkeypatch):
    """Cost 4, like the test accounts, for unknown emails and new passwords: replays stay fast."""
    monkeypatch.setattr(auth, "_DUMMY_HASH", hash_password("nobody knows", rounds=4))
    monkeypatch.setattr(auth, "hash_password", functools.partial(hash_password, rounds=4))


def try_password(engine, settings, password: str, ip: str, email: str = ANA) -> auth.AuthResult:
    return auth.log_in(engine=engine, settings=settings, email=email, password=password, ip=ip)


def test_an_attacker_cannot_lock_a_customer_out_of_her_usual_address(engine, settings):
    create_account(engine)
    assert try_password(engine, settings, PASSWORD, HOME).ok
    for i in range(50):
        try_password(engine, settings, f"guess-{i}", "203.0.113.66")
    for i in range(100):
        try_password(engine, settings, f"guess-{i}", f"10.0.{i}.1")
    assert try_password(engine, settings, PASSWORD, HOME).ok


def test_stuffing_through_an_office_address_does_not_lock_the_office_out(engine, settings):
    create_account(engine)
    assert try_password(engine, settings, PASSWORD, OFFICE).ok
    for i in range(50):
        try_password(engine, settings, "Verano2024!", OFFICE, email=f"leaked{i}@example.net")
    assert try_password(engine, settings, PASSWORD, OFFICE).ok


def test_a_day_of_guessing_from_everywhere_stays_under_100_tries(engine, settings):
    create_account(engine)
    assert try_password(engine, settings, PASSWORD, OFFICE).ok
    checked = 0
    for step in range(24 * 4):
        # A colleague at Ana's own office, and a botnet never using an address twice.
        tries = [OFFICE] * 3 + [f"10.{step}.{n}.1" for n in range(4)]
        for n, ip in enumerate(tries):
            answer = try_password(engine, settings, f"guess-{step}-{n}", ip)
            checked += answer.message == auth.LOGIN_FAILED
        pass_time(engine, QUARTER)
    assert checked < 100


def test_a_completed_reset_lets_the_owner_in_during_an_attack(engine, settings):
    account = create_account(engine)
    for ip in (HOME, OFFICE):
        assert try_password(engine, settings, PASSWORD, ip).ok
    # 18 hours of it: the botnet stops at 50 failures, the office backs off to
    # one try a quarter, and together they reach the 90-a-day ceiling...
    for step in range(18 * 4):
        for n, ip in enumerate([OFFICE, OFFICE, f"10.{step}.0.1", f"10.{step}.1.1"]):
            try_password(engine, settings, f"guess-{step}-{n}", ip)
        pass_time(engine, QUARTER)
    # ...which stops everyone, Ana at home too.
    assert not try_password(engine, settings, PASSWORD, HOME).ok

    # ...but the reset link works, and the attack going on does not undo it.
    with unit_of_work(engine) as session:
        account = session.get(Account, account.id)  # as the reset email would read it now
    result = auth.set_password_with_link(
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.PASSWORD_RESET,
        token=link(settings, account, TokenPurpose.PASSWORD_RESET),
        email=ANA,
        password="Nueva-Clave2",
        repeat="Nueva-Clave2",
        ip="100.64.0.5",  # a hotel: an address she never used
    )
    assert result.ok and result.session_token
    for n in range(20):
        try_password(engine, settings, f"after-{n}", f"10.99.{n}.1")
    for n in range(4):  # the colleague's next tries: not yet five since the reset
        try_password(engine, settings, f"after-{n}", OFFICE)
    for ip in ("100.64.0.5", HOME, OFFICE):
        assert try_password(engine, settings, "Nueva-Clave2", ip).ok, ip
