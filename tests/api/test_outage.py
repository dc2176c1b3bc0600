"""HTTP while PostgreSQL is down: a Spanish 503 that changes nothing, then normal service."""

from __future__ import annotations

import httpx
import pytest

from customer_portal import db
from customer_portal.api.app import build_api
from customer_portal.api.edge import build_edge
from customer_portal.api.outage import RESEND_TEXT, RETRY_AFTER, RETRYING_TEXT
from customer_portal.domain import downloads
from customer_portal.domain.sessions import SESSION_COOKIE, start_session, token_hash
from customer_portal.settings import get_settings
from tests.factories import invoice_input, reset_process_caches

ORIGIN = "http://localhost:3000"


@pytest.fixture
async def portal(own_postgres, portal_env, monkeypatch):
    """The API on a database of its own, which the test may stop."""
    monkeypatch.setenv("PORTAL_DATABASE_URL", own_postgres.url)
    reset_process_caches()
    db.migrate(db.get_engine())
    app = build_edge(get_settings())(build_api())
    transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 5000))
    async with httpx.AsyncClient(
        transport=transport, base_url=ORIGIN, headers={"Origin": ORIGIN}
    ) as client:
        yield client
    db.get_engine().dispose()
    reset_process_caches()


async def test_every_route_says_the_portal_is_down_in_spanish_and_then_serves(
    portal, own_postgres, caplog
):
    api = {"Authorization": f"Bearer {get_settings().api_key}"}
    own_postgres.stop()

    signing_in = await portal.post(
        "/sesion/entrar", data={"email": "ana@example.com", "password": "x" * 12}
    )
    assert signing_in.status_code == 503
    assert signing_in.headers["retry-after"] == str(RETRY_AFTER)
    assert RESEND_TEXT in signing_in.text and 'http-equiv="refresh"' not in signing_in.text
    assert "Traceback" not in signing_in.text and "psycopg" not in signing_in.text

    # A well-signed link for the cookie sent (a forged one is refused without the database).
    session_token = "s" * 43
    signed = downloads._serializer(get_settings().secret_key).dumps(
        {"i": 1, "a": 1, "s": token_hash(session_token)[:32]}
    )
    link = await portal.get(
        downloads.DOWNLOAD_PREFIX + signed,
        headers={"Cookie": f"{SESSION_COOKIE}={session_token}"},
    )
    assert link.status_code == 503 and RETRYING_TEXT in link.text
    assert f'<meta http-equiv="refresh" content="{RETRY_AFTER}">' in link.text

    publishing = await portal.post("/api/v1/invoices", json=[invoice_input("F-DOWN")], headers=api)
    assert publishing.status_code == 503 and publishing.headers["retry-after"] == "5"
    assert publishing.json()["error"] == "database_unavailable"
    assert "Traceback" not in caplog.text  # one warning line each, no stack

    own_postgres.start()
    again = await portal.post("/api/v1/invoices", json=[invoice_input("F-DOWN")], headers=api)
    assert again.status_code == 200, again.text
    signing_in = await portal.post(
        "/sesion/entrar", data={"email": "ana@example.com", "password": "x" * 12}
    )
    assert signing_in.status_code == 303  # wrong password: back to Entrar, as usual


async def test_the_first_download_after_a_restart_is_served(portal, own_postgres):
    """The download's connections on the event loop, dropped by the restart, are replaced."""
    from sqlmodel import select

    from customer_portal.models import Customer
    from tests.factories import make_account

    api = {"Authorization": f"Bearer {get_settings().api_key}"}
    published = await portal.post("/api/v1/invoices", json=[invoice_input("F-UP")], headers=api)
    assert published.status_code == 200, published.text
    engine = db.get_engine()
    with db.unit_of_work(engine) as session:
        customer = session.exec(select(Customer)).one()
        account = make_account(session, customer=customer, email="ana.up@example.com")
        token = start_session(session=session, account=account, idle=get_settings().session_idle)
        path = downloads.mint_download_path(
            session=session,
            secret_key=get_settings().secret_key,
            account=account,
            number="F-UP",
            session_token=token,
        )
    headers = {"Cookie": f"{SESSION_COOKIE}={token}"}
    assert (await portal.get(path, headers=headers)).status_code == 200

    own_postgres.stop()  # the connection the download kept is gone with the server
    own_postgres.start()
    engine.dispose()  # the test's own connections; the route's mend themselves
    for _ in range(3):
        again = await portal.get(path, headers=headers)
        assert again.status_code == 200 and again.content.startswith(b"%PDF")
