"""Mi cuenta's activity, known devices, places, and «No he sido yo» (issue 14, item 3).

Sign-ins go through the real auth flow; emails are checked as queued in the
outbox here and as received over SMTP in tests/api and the e2e suite.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet
from sqlmodel import col, select

from customer_portal.db import unit_of_work
from customer_portal.domain import auth
from customer_portal.domain.activity import ACTIVITY_LIMIT, recent_activity
from customer_portal.domain.audit import record_event
from customer_portal.domain.devices import DEVICE_LIFETIME, recognise_device
from customer_portal.domain.places import LOCAL_NETWORK, place_of
from customer_portal.domain.sessions import resume_session, start_session
from customer_portal.mail.render import EmailKind
from customer_portal.models import AuthSession, KnownDevice, OutboxEmail
from tests.domain.test_auth import PASSWORD, create_account

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def geoip_db(tmp_path):
    writer = MMDBWriter(
        ip_version=6, database_type="GeoIP2-City", languages=["es", "en"], ipv4_compatible=True
    )
    writer.insert_network(
        IPSet(["203.0.113.0/24"]),
        {
            "city": {"names": {"es": "Sevilla", "en": "Seville"}},
            "country": {"iso_code": "ES", "names": {"es": "España", "en": "Spain"}},
        },
    )
    path = tmp_path / "city.mmdb"
    writer.to_db_file(str(path))
    return path


def emails(engine, kind: EmailKind) -> list[OutboxEmail]:
    with unit_of_work(engine, read_only=True) as session:
        return session.exec(select(OutboxEmail).where(OutboxEmail.kind == kind.value)).all()


def sign_in(engine, settings, *, device=None, ip="203.0.113.7", ua=CHROME_LINUX, password=PASSWORD):
    return auth.log_in(
        engine=engine,
        settings=settings,
        email="ana@example.com",
        password=password,
        ip=ip,
        user_agent=ua,
        device_token=device,
    )


def test_places_from_the_operators_database_or_the_local_network(geoip_db):
    assert place_of("203.0.113.7", geoip_db) == "Sevilla, España"
    assert place_of("198.51.100.1", geoip_db) == ""  # not in the database
    assert place_of("203.0.113.7", None) == ""  # no database configured
    for local in ("10.1.2.3", "192.168.1.20", "127.0.0.1", "::1", "fe80::1"):
        assert place_of(local, None) == LOCAL_NETWORK
    for junk in (None, "", "not-an-ip", "203.0.113.7, 10.0.0.1"):
        assert place_of(junk, geoip_db) == ""


def test_the_first_browser_is_known_quietly_and_a_second_one_is_new(engine, settings):
    create_account(engine)
    first = sign_in(engine, settings)
    assert first.ok and first.device_token
    assert emails(engine, EmailKind.NEW_SIGN_IN) == []  # the first device: no email

    again = sign_in(engine, settings, device=first.device_token)
    assert again.device_token == first.device_token
    assert emails(engine, EmailKind.NEW_SIGN_IN) == []

    other = sign_in(engine, settings, ua=SAFARI_IPHONE, ip="198.51.100.20")
    assert other.device_token != first.device_token
    (email,) = emails(engine, EmailKind.NEW_SIGN_IN)
    context = json.loads(email.context)
    assert email.to_address == "ana@example.com"
    assert context["device"] == "Safari en iPhone" and "198.51.100.20" in context["where"]
    # A failed attempt from a new browser is not a sign-in: no email, no device.
    assert not sign_in(engine, settings, password="wrong", ua=SAFARI_IPHONE).ok
    assert len(emails(engine, EmailKind.NEW_SIGN_IN)) == 1
    with unit_of_work(engine, read_only=True) as session:
        assert len(session.exec(select(KnownDevice)).all()) == 2
        assert all(len(d.token_hash) == 64 for d in session.exec(select(KnownDevice)))


def test_a_forged_or_forgotten_device_token_counts_as_new(engine, settings):
    account = create_account(engine)
    first = sign_in(engine, settings)
    forged = sign_in(engine, settings, device="<script>" + "x" * 40)
    assert forged.device_token != "<script>" + "x" * 40
    assert len(emails(engine, EmailKind.NEW_SIGN_IN)) == 1
    with unit_of_work(engine) as session:
        for device in session.exec(select(KnownDevice)):
            device.last_seen_at -= DEVICE_LIFETIME + timedelta(days=1)
            session.add(device)
    with unit_of_work(engine) as session:
        check = recognise_device(session=session, account_id=account.id, token=first.device_token)
    assert check.new and check.token == first.device_token


def test_activity_lists_this_persons_events_with_device_and_place(engine, settings, geoip_db):
    create_account(engine)
    create_account(engine, email="otra@example.com")
    sign_in(engine, settings)
    sign_in(engine, settings, password="wrong", ua=SAFARI_IPHONE, ip="192.168.1.5")
    auth.log_in(engine=engine, settings=settings, email="otra@example.com", password=PASSWORD)
    with unit_of_work(engine, read_only=True) as session:
        items = recent_activity(session=session, email="ana@example.com", geoip_database=geoip_db)
    failed, succeeded = items  # newest first
    assert (failed.what, failed.ok, failed.device, failed.place) == (
        "Intento de entrar con una contraseña incorrecta",
        False,
        "Safari en iPhone",
        LOCAL_NETWORK,
    )
    assert (succeeded.what, succeeded.ok, succeeded.device, succeeded.place, succeeded.ip) == (
        "Inicio de sesión",
        True,
        "Chrome en Linux",
        "Sevilla, España",
        "203.0.113.7",
    )
    with unit_of_work(engine) as session:
        for n in range(ACTIVITY_LIMIT + 5):
            record_event(
                session=session,
                actor="ana@example.com",
                action="invoice.downloaded",
                subject=f"F-{n}",
            )
    with unit_of_work(engine, read_only=True) as session:
        many = recent_activity(session=session, email="ana@example.com", geoip_database=None)
    assert len(many) == ACTIVITY_LIMIT
    assert many[0].what == f"Descarga de la factura F-{ACTIVITY_LIMIT + 4}"


def test_a_password_change_is_emailed_about(engine, settings):
    account = create_account(engine)
    with unit_of_work(engine) as session:
        token = start_session(session=session, account=account, idle=settings.session_idle)
    result = auth.change_password(
        engine=engine,
        settings=settings,
        account_id=account.id,
        current=PASSWORD,
        password="Otra-Clave9",
        repeat="Otra-Clave9",
        keep_token=token,
        ip="10.0.0.8",
        user_agent=CHROME_LINUX,
    )
    assert result.ok
    (email,) = emails(engine, EmailKind.PASSWORD_CHANGED)
    context = json.loads(email.context)
    assert context["device"] == "Chrome en Linux" and context["where"] == "Red local, 10.0.0.8"
    assert "signed_link" not in context  # nothing in it signs anyone in


def test_not_me_ends_every_session_voids_the_password_and_sends_a_reset(engine, settings):
    account = create_account(engine)
    tokens = []
    with unit_of_work(engine) as session:
        for _ in range(3):
            tokens.append(
                start_session(session=session, account=account, idle=settings.session_idle)
            )
    auth.report_not_me(engine=engine, settings=settings, account_id=account.id, ip="10.0.0.1")
    with unit_of_work(engine) as session:
        for token in tokens:
            assert resume_session(session=session, token=token, idle=settings.session_idle) is None
        live = session.exec(select(AuthSession).where(col(AuthSession.revoked_at).is_(None)))
        assert live.all() == []
    assert not sign_in(engine, settings).ok  # the old password no longer works
    (reset,) = emails(engine, EmailKind.PASSWORD_RESET)
    assert reset.to_address == "ana@example.com"
    with unit_of_work(engine, read_only=True) as session:
        (item, *_rest) = recent_activity(
            session=session, email="ana@example.com", geoip_database=None
        )
    assert item.what.startswith("Intento de entrar")  # newest: the failed try just above
