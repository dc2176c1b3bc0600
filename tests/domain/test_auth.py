"""Login, lockout, links and password changes on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import col, select

from customer_portal.db import run_in_unit_of_work, unit_of_work
from customer_portal.domain import auth, throttle
from customer_portal.domain.passwords import hash_password
from customer_portal.domain.sessions import end_session, live_sessions, resume_session
from customer_portal.domain.tokens import TokenKeys, TokenPurpose
from customer_portal.models import Account, AuthSession, LoginFailure, OutboxEmail, utcnow
from tests import factories
from tests.factories import preview

PASSWORD = "Buena-Clave1"
IDLE = timedelta(hours=8)


def create_account(engine, email="ana@example.com", password: str | None = PASSWORD) -> Account:
    """A customer and its account; activated with ``password`` unless it is None."""
    with unit_of_work(engine) as session:
        return factories.make_account(
            session, email=email, password=password, activated=password is not None
        )


@pytest.fixture
def make_account(engine):
    return functools.partial(create_account, engine)


@pytest.fixture
def cheap_dummy_hash(monkeypatch):
    """Unknown emails check a cost-4 hash, like the test accounts, so many tries stay fast."""
    monkeypatch.setattr(auth, "_DUMMY_HASH", hash_password("nobody knows", rounds=4))


def link(settings, account, purpose=TokenPurpose.ACTIVATION) -> str:
    return TokenKeys(settings.secret_key).issue(purpose, account)


def test_login_success_gives_a_session(engine, settings, make_account):
    make_account()
    result = auth.log_in(
        engine=engine, settings=settings, email=" Ana@Example.com ", password=PASSWORD
    )
    assert result.ok and result.session_token
    with unit_of_work(engine) as session:
        assert (
            resume_session(session=session, token=result.session_token, idle=IDLE).email
            == "ana@example.com"
        )
        stored = session.exec(select(AuthSession)).one()
        assert stored.token_hash != result.session_token  # only the hash is kept


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "not activated"])
def test_every_failure_gets_the_same_message(engine, settings, make_account, case):
    make_account()
    make_account("nueva@example.com", password=None)
    email, password = {
        "wrong password": ("ana@example.com", "Otra-Clave1"),
        "unknown email": ("nadie@example.com", PASSWORD),
        "not activated": ("nueva@example.com", PASSWORD),
    }[case]
    result = auth.log_in(engine=engine, settings=settings, email=email, password=password)
    assert (result.ok, result.message, result.session_token) == (False, auth.LOGIN_FAILED, None)


def test_five_failures_start_the_backoff_in_the_database(engine, settings, make_account):
    make_account()
    for _ in range(5):
        assert auth.log_in(
            engine=engine, settings=settings, email="ana@example.com", password="x"
        ).message == (auth.LOGIN_FAILED)
    locked = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD
    )
    assert (locked.ok, locked.message) == (False, auth.LOCKED.format(wait="1 minuto"))
    # Another engine (another worker, or after a restart) sees the same count.
    from customer_portal.db import create_db_engine

    other = create_db_engine(engine.url.render_as_string(hide_password=False))
    assert auth.log_in(
        engine=other, settings=settings, email="ana@example.com", password=PASSWORD
    ).message == (locked.message)
    other.dispose()


def pass_time(engine, delta: timedelta) -> None:
    """Move what the throttle reads back by ``delta``, as if that much time had passed."""
    with unit_of_work(engine) as session:
        for model, fields in (
            (LoginFailure, ("at",)),
            (Account, ("activated_at", "password_changed_at", "created_at")),
            (AuthSession, ("created_at",)),
        ):
            for row in session.exec(select(model)).all():
                for name in fields:
                    if getattr(row, name) is not None:
                        setattr(row, name, getattr(row, name) - delta)
                session.add(row)


def test_the_wait_doubles_and_then_ends(engine, settings, make_account):
    make_account()
    for _ in range(5):
        auth.log_in(
            engine=engine, settings=settings, email="ana@example.com", password="x", ip="192.0.2.1"
        )
    pass_time(engine, timedelta(seconds=61))
    sixth = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password="x", ip="192.0.2.1"
    )
    assert sixth.message == auth.LOGIN_FAILED
    locked = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password="x", ip="192.0.2.1"
    )
    assert locked.message == auth.LOCKED.format(wait="2 minutos")
    pass_time(engine, timedelta(minutes=2))
    assert auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD, ip="192.0.2.1"
    ).ok


def test_many_failures_from_one_address_slow_down_only_strangers(engine, settings, make_account):
    make_account()
    make_account("luis@example.com")
    nat = "203.0.113.9"
    assert auth.log_in(
        engine=engine, settings=settings, email="luis@example.com", password=PASSWORD, ip=nat
    ).ok
    with unit_of_work(engine) as session:
        for i in range(throttle.ADDRESS_LIMIT):
            session.add(LoginFailure(email=f"u{i}@example.com", ip=nat))
    # Ana never signed in from there: she waits, or signs in from elsewhere.
    refused = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD, ip=nat
    )
    assert refused.message == auth.LOCKED.format(wait="15 minutos")
    assert auth.log_in(
        engine=engine,
        settings=settings,
        email="ana@example.com",
        password=PASSWORD,
        ip="198.51.100.1",
    ).ok
    # Luis signs in from there every day: the stuffing there does not concern him.
    assert auth.log_in(
        engine=engine, settings=settings, email="luis@example.com", password=PASSWORD, ip=nat
    ).ok


def test_a_success_clears_only_the_failures_from_its_own_address(engine, settings, make_account):
    make_account()
    for ip in ("192.0.2.1", "192.0.2.2"):
        for _ in range(3):
            auth.log_in(
                engine=engine, settings=settings, email="ana@example.com", password="x", ip=ip
            )
    assert auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD, ip="192.0.2.1"
    ).ok
    with unit_of_work(engine) as session:
        left = session.exec(select(LoginFailure.ip)).all()
    assert left == ["192.0.2.2"] * 3


def test_the_account_ceiling_stops_strangers_before_100_failures(engine, settings, make_account):
    make_account()
    home = "198.51.100.7"
    assert auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD, ip=home
    ).ok
    answers = [
        auth.log_in(
            engine=engine,
            settings=settings,
            email="ana@example.com",
            password=f"guess-{i}",
            ip=f"10.0.{i}.1",
        ).message
        for i in range(100)
    ]
    assert answers.count(auth.LOGIN_FAILED) == throttle.ACCOUNT_LIMIT
    assert answers[throttle.ACCOUNT_LIMIT :] == [auth.LOCKED.format(wait="24 horas")] * 50
    with unit_of_work(engine) as session:
        assert len(session.exec(select(LoginFailure)).all()) == throttle.ACCOUNT_LIMIT
    # Even the right password waits at a new address; at home it works.
    new = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD, ip="10.9.9.9"
    )
    assert not new.ok
    assert auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD, ip=home
    ).ok


def test_parallel_tries_cannot_slip_past_the_ceiling(engine, settings, make_account):
    make_account()
    with unit_of_work(engine) as session:
        for i in range(throttle.ACCOUNT_LIMIT - 3):
            session.add(LoginFailure(email="ana@example.com", ip=f"10.3.{i}.1"))

    def attempt(i):
        return auth.log_in(
            engine=engine,
            settings=settings,
            email="ana@example.com",
            password="x",
            ip=f"10.4.{i}.1",
        ).message

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(attempt, range(16)))
    assert answers.count(auth.LOGIN_FAILED) == 3


def test_unknown_emails_get_exactly_the_answers_of_customers(
    engine, settings, make_account, cheap_dummy_hash
):
    make_account()
    make_account("nueva@example.com", password=None)

    def attack(email: str) -> list[str]:
        one_address = [
            auth.log_in(
                engine=engine, settings=settings, email=email, password="x", ip="192.0.2.1"
            ).message
            for _ in range(7)
        ]
        many = [
            auth.log_in(
                engine=engine, settings=settings, email=email, password="x", ip=f"10.1.{i}.1"
            ).message
            for i in range(throttle.ACCOUNT_LIMIT)
        ]
        return one_address + many

    customer = attack("ana@example.com")
    assert customer.count(auth.LOGIN_FAILED) == throttle.ACCOUNT_LIMIT
    assert attack("nadie@example.com") == customer
    assert attack("nueva@example.com") == customer


def test_changing_the_password_clears_the_count(engine, settings, make_account):
    account = make_account()
    here = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD, ip="192.0.2.1"
    )
    for i in range(throttle.ACCOUNT_LIMIT):
        auth.log_in(
            engine=engine,
            settings=settings,
            email="ana@example.com",
            password="x",
            ip=f"10.2.{i}.1",
        )
    assert not auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD, ip="10.9.9.9"
    ).ok
    assert auth.change_password(
        engine=engine,
        settings=settings,
        account_id=account.id,
        current=PASSWORD,
        password="Nueva-Clave2",
        repeat="Nueva-Clave2",
        keep_token=here.session_token,
    ).ok
    assert auth.log_in(
        engine=engine,
        settings=settings,
        email="ana@example.com",
        password="Nueva-Clave2",
        ip="10.9.9.9",
    ).ok


def test_a_forged_overlong_address_is_cut_not_a_crash(engine, settings, make_account):
    make_account()
    forged = "203.0.113.9, " * 20
    assert not auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password="x", ip=forged
    ).ok
    assert auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD, ip=forged
    ).ok


def test_activation_sets_the_password_and_spends_the_link(engine, settings, make_account):
    account = make_account(password=None)
    token = link(settings, account)
    assert preview(engine, settings, TokenPurpose.ACTIVATION, token).ok
    assert preview(engine, settings, TokenPurpose.ACTIVATION, token).ok

    result = auth.set_password_with_link(
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.ACTIVATION,
        token=token,
        email=" ANA@example.com",
        password=PASSWORD,
        repeat=PASSWORD,
    )
    assert result.ok and result.session_token
    assert auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD
    ).ok
    again = auth.set_password_with_link(
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.ACTIVATION,
        token=token,
        email="ana@example.com",
        password="Otra-Clave2",
        repeat="Otra-Clave2",
    )
    assert (again.ok, again.message) == (False, auth.LINK_INVALID)
    opened = preview(engine, settings, TokenPurpose.ACTIVATION, token)
    assert not opened.ok


def test_activation_needs_the_email_the_link_was_sent_to(engine, settings, make_account):
    account = make_account(password=None)
    result = auth.set_password_with_link(
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.ACTIVATION,
        token=link(settings, account),
        email="otra@example.com",
        password=PASSWORD,
        repeat=PASSWORD,
    )
    assert (result.ok, result.message) == (False, auth.EMAIL_MISMATCH)
    with unit_of_work(engine) as session:
        assert session.get(Account, account.id).password_hash is None


@pytest.mark.parametrize(
    ("password", "repeat"),
    [("abc", "abc"), (PASSWORD, PASSWORD + "x"), ("Aa!" + "ñ" * 35, "Aa!" + "ñ" * 35)],
)
def test_the_server_checks_the_rules_again(engine, settings, make_account, password, repeat):
    account = make_account(password=None)
    result = auth.set_password_with_link(
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.ACTIVATION,
        token=link(settings, account),
        email="ana@example.com",
        password=password,
        repeat=repeat,
    )
    assert not result.ok and result.message.startswith("La contraseña no cumple")


def test_two_simultaneous_submissions_of_one_link_only_one_wins(engine, settings, make_account):
    account = make_account(password=None)
    token = link(settings, account)

    def submit(i):
        return auth.set_password_with_link(
            engine=engine,
            settings=settings,
            purpose=TokenPurpose.ACTIVATION,
            token=token,
            email="ana@example.com",
            password=f"Clave-{i}Aa",
            repeat=f"Clave-{i}Aa",
        ).ok

    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(submit, range(4))) == [False, False, False, True]


def test_reset_request_queues_mail_only_for_active_accounts(engine, settings, make_account):
    make_account()
    make_account("nueva@example.com", password=None)
    for email in ("nadie@example.com", "nueva@example.com"):
        run_in_unit_of_work(
            auth.request_password_reset, engine=engine, settings=settings, email=email
        )
    for _ in range(5):
        run_in_unit_of_work(
            auth.request_password_reset, engine=engine, settings=settings, email="ANA@example.com"
        )
    with unit_of_work(engine) as session:
        emails = session.exec(select(OutboxEmail)).all()
    assert [e.to_address for e in emails] == ["ana@example.com"] * 3  # throttled at three


def test_reset_link_dies_when_the_password_changes_by_any_route(engine, settings, make_account):
    account = make_account()
    reset = link(settings, account, TokenPurpose.PASSWORD_RESET)
    login = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD
    )
    assert auth.change_password(
        engine=engine,
        settings=settings,
        account_id=account.id,
        current=PASSWORD,
        password="Nueva-Clave2",
        repeat="Nueva-Clave2",
        keep_token=login.session_token,
    ).ok
    result = auth.set_password_with_link(
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.PASSWORD_RESET,
        token=reset,
        email="ana@example.com",
        password="Tercera-Clave3",
        repeat="Tercera-Clave3",
    )
    assert (result.ok, result.message) == (False, auth.LINK_INVALID)


def test_a_reset_ends_every_other_session(engine, settings, make_account):
    account = make_account()
    old = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD
    ).session_token
    result = auth.set_password_with_link(
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.PASSWORD_RESET,
        token=link(settings, account, TokenPurpose.PASSWORD_RESET),
        email="ana@example.com",
        password="Nueva-Clave2",
        repeat="Nueva-Clave2",
    )
    assert result.ok
    with unit_of_work(engine) as session:
        assert resume_session(session=session, token=old, idle=IDLE) is None
        assert resume_session(session=session, token=result.session_token, idle=IDLE) is not None


def test_change_password_needs_the_current_one_and_keeps_this_session(
    engine, settings, make_account
):
    account = make_account()
    here = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD
    ).session_token
    there = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD
    ).session_token
    wrong = auth.change_password(
        engine=engine,
        settings=settings,
        account_id=account.id,
        current="nope",
        password="Nueva-Clave2",
        repeat="Nueva-Clave2",
        keep_token=here,
    )
    assert (wrong.ok, wrong.message) == (False, auth.CURRENT_WRONG)
    assert auth.change_password(
        engine=engine,
        settings=settings,
        account_id=account.id,
        current=PASSWORD,
        password="Nueva-Clave2",
        repeat="Nueva-Clave2",
        keep_token=here,
    ).ok
    with unit_of_work(engine) as session:
        assert resume_session(session=session, token=here, idle=IDLE) is not None
        assert resume_session(session=session, token=there, idle=IDLE) is None
    assert auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password="Nueva-Clave2"
    ).ok


def test_sessions_expire_when_idle_and_end_on_logout(engine, settings, make_account):
    make_account()
    token = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD
    ).session_token
    with unit_of_work(engine) as session:
        row = session.exec(select(AuthSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    with unit_of_work(engine) as session:
        assert resume_session(session=session, token=token, idle=IDLE) is None
    token = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD
    ).session_token
    with unit_of_work(engine) as session:
        end_session(session=session, token=token)
    with unit_of_work(engine) as session:
        assert resume_session(session=session, token=token, idle=IDLE) is None
        assert resume_session(session=session, token="forged-token", idle=IDLE) is None
        revoked = session.exec(select(AuthSession).where(col(AuthSession.revoked_at).is_not(None)))
        assert len(revoked.all()) == 1


def test_live_sessions_marks_the_current_one(engine, settings, make_account):
    account = make_account()
    a = auth.log_in(
        engine=engine,
        settings=settings,
        email="ana@example.com",
        password=PASSWORD,
        user_agent="Firefox",
    ).session_token
    auth.log_in(
        engine=engine,
        settings=settings,
        email="ana@example.com",
        password=PASSWORD,
        user_agent="Chrome",
    )
    with unit_of_work(engine) as session:
        sessions = live_sessions(session=session, account_id=account.id, current_token=a)
    assert sorted((s.user_agent, s.current) for s in sessions) == [
        ("Chrome", False),
        ("Firefox", True),
    ]


def test_a_session_in_use_slides_and_its_account_stays_readable(engine, settings, make_account):
    make_account()
    token = auth.log_in(
        engine=engine, settings=settings, email="ana@example.com", password=PASSWORD
    ).session_token
    with unit_of_work(engine) as session:
        row = session.exec(select(AuthSession)).one()
        row.last_seen_at = utcnow() - timedelta(minutes=5)
        row.expires_at = utcnow() + timedelta(minutes=1)
        session.add(row)
    with unit_of_work(engine) as session:
        account = resume_session(session=session, token=token, idle=IDLE)
    # Read after the session closed, as the pages do.
    assert (account.email, account.id) == ("ana@example.com", account.id)
    with unit_of_work(engine) as session:
        row = session.exec(select(AuthSession)).one()
    assert row.expires_at > utcnow() + IDLE - timedelta(minutes=1)
