"""The account forms over HTTP: cookies set by responses, passwords only in POST bodies."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import col, select

from customer_portal.api import accounts
from customer_portal.api.app import build_api
from customer_portal.api.edge import build_edge
from customer_portal.db import unit_of_work
from customer_portal.domain import auth
from customer_portal.domain.flash import read_flash
from customer_portal.domain.sessions import resume_session, start_session, token_hash
from customer_portal.domain.tokens import TokenKeys, TokenPurpose
from customer_portal.models import Account, AuthSession
from tests.domain.test_auth import PASSWORD, create_account

ORIGIN = "http://localhost:3000"


@pytest.fixture
async def client(engine, settings):
    app = build_edge(settings)(build_api())
    transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 5000))
    async with httpx.AsyncClient(
        transport=transport, base_url=ORIGIN, headers={"Origin": ORIGIN}
    ) as client:
        yield client


def flash_of(response: httpx.Response, settings) -> str:
    query = parse_qs(urlsplit(response.headers["location"]).query)
    flash = read_flash(settings.secret_key, query.get("aviso", [""])[0])
    return flash.text if flash else ""


def session_cookie(response: httpx.Response) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if "portal_session=" in h)


async def test_sign_in_sets_an_httponly_cookie_and_goes_on(engine, settings, client):
    create_account(engine)
    response = await client.post(
        "/sesion/entrar",
        data={"email": "ANA@example.com", "password": PASSWORD, "next": "/factura?numero=F-1"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/factura?numero=F-1"
    header = session_cookie(response)
    assert "HttpOnly" in header and "SameSite=strict" in header and "Path=/" in header
    assert "Secure" not in header  # http in tests; https adds it (next test)
    token = response.cookies["portal_session"]
    with unit_of_work(engine) as session:
        assert resume_session(session=session, token=token, idle=settings.session_idle) is not None


async def test_the_cookie_is_secure_over_https(engine, settings, monkeypatch):
    create_account(engine)
    https = settings.__class__(**{**settings.__dict__, "base_url": "https://portal.example"})
    app = build_edge(https)(build_api())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://portal.example") as c:
        monkeypatch.setattr(accounts, "get_settings", lambda: https)
        response = await c.post(
            "/sesion/entrar", data={"email": "ana@example.com", "password": PASSWORD}
        )
    assert "Secure" in session_cookie(response)
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_a_failed_sign_in_comes_back_with_a_message_and_no_password(engine, settings, client):
    create_account(engine)
    response = await client.post(
        "/sesion/entrar", data={"email": "ana@example.com", "password": "Mala-Clave-77"}
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/entrar")
    assert "Mala-Clave-77" not in response.headers["location"]
    assert flash_of(response, settings) == auth.LOGIN_FAILED
    assert "portal_session" not in response.cookies


async def test_next_never_leaves_the_site(engine, client):
    create_account(engine)
    for outside in ("https://evil.example/", "//evil.example", "javascript:alert(1)"):
        response = await client.post(
            "/sesion/entrar",
            data={"email": "ana@example.com", "password": PASSWORD, "next": outside},
        )
        assert response.headers["location"] == "/facturas"


async def test_sign_out_ends_the_session_and_clears_the_cookie(engine, settings, client):
    account = create_account(engine)
    with unit_of_work(engine) as session:
        token = start_session(session=session, account=account, idle=settings.session_idle)
        session.commit()
    client.cookies.set("portal_session", token)
    response = await client.post("/sesion/salir")
    assert response.status_code == 303 and response.headers["location"].startswith("/entrar?")
    assert flash_of(response, settings) == "Ha salido del portal. ¡Hasta pronto!"
    assert 'portal_session=""' in session_cookie(response) and "Max-Age=0" in session_cookie(
        response
    )
    with unit_of_work(engine) as session:
        assert resume_session(session=session, token=token, idle=settings.session_idle) is None


async def test_a_link_moves_its_token_into_a_cookie(engine, settings, client):
    account = create_account(engine, password=None)
    token = TokenKeys(settings.secret_key).issue(TokenPurpose.ACTIVATION, account)
    response = await client.get(f"/credenciales/{token}")
    assert response.status_code == 303 and response.headers["location"] == "/credenciales"
    header = next(h for h in response.headers.get_list("set-cookie") if "portal_link=" in h)
    assert "HttpOnly" in header and "SameSite=strict" in header
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_setting_the_password_from_the_link_signs_in(engine, settings, client):
    account = create_account(engine, password=None)
    token = TokenKeys(settings.secret_key).issue(TokenPurpose.ACTIVATION, account)
    await client.get(f"/credenciales/{token}")  # the cookie jar keeps portal_link
    form = {"email": "ana@example.com", "password": "Nueva-Clave1", "repeat": "Nueva-Clave1"}
    response = await client.post("/sesion/contrasena", data=form)
    assert response.status_code == 303 and response.headers["location"].startswith("/facturas")
    assert flash_of(response, settings) == accounts.PASSWORD_SET
    assert "HttpOnly" in session_cookie(response)
    cleared = [h for h in response.headers.get_list("set-cookie") if "portal_link=" in h]
    assert cleared and "Max-Age=0" in cleared[0]

    client.cookies.set("portal_link", f"activation~{token}")
    again = await client.post("/sesion/contrasena", data=form)
    assert again.headers["location"].startswith("/credenciales")
    assert flash_of(again, settings) == auth.LINK_INVALID


async def test_changing_the_password_rotates_this_session(engine, settings, client):
    account = create_account(engine)
    with unit_of_work(engine) as session:
        old = start_session(session=session, account=account, idle=settings.session_idle)
        other = start_session(session=session, account=account, idle=settings.session_idle)
        session.commit()
    form = {"current": PASSWORD, "password": "Otra-Clave2", "repeat": "Otra-Clave2"}
    client.cookies.set("portal_session", old)
    response = await client.post("/sesion/cambiar-contrasena", data=form)
    assert response.headers["location"].startswith("/cuenta")
    assert flash_of(response, settings) == accounts.PASSWORD_CHANGED
    new = response.cookies["portal_session"]
    with unit_of_work(engine) as session:
        for dead in (old, other):
            assert resume_session(session=session, token=dead, idle=settings.session_idle) is None
        assert resume_session(session=session, token=new, idle=settings.session_idle) is not None


async def test_the_forgot_form_answers_before_it_looks_anything_up(engine, settings, monkeypatch):
    """Same answer, same time: the work runs only after the response has been sent."""
    create_account(engine)
    events: list[str] = []
    monkeypatch.setattr(auth, "request_password_reset", lambda *a, **k: events.append("work"))
    app = build_edge(settings)(build_api())

    async def send(message):
        if message["type"] == "http.response.start":
            events.append(f"answer {message['status']}")

    body = b"email=ana%40example.com"
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/sesion/enlace",
        "raw_path": b"/sesion/enlace",
        "query_string": b"",
        "headers": [
            (b"host", b"localhost:3000"),
            (b"origin", ORIGIN.encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("198.51.100.4", 5000),
        "server": ("localhost", 3000),
        "scheme": "http",
        "http_version": "1.1",
    }
    messages = iter([{"type": "http.request", "body": body, "more_body": False}])

    async def receive():
        return next(messages, {"type": "http.disconnect"})

    await app(scope, receive, send)
    assert events == ["answer 303", "work"]


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Type": "application/json"}, b'{"email": "a"}'),
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"x=" + b"a" * 20000),
    ],
)
async def test_what_is_not_one_of_our_forms_is_a_400(engine, client, headers, body):
    response = await client.post("/sesion/entrar", content=body, headers=headers)
    assert response.status_code == 400


async def test_sessions_started_by_forms_are_recorded_with_the_address(engine, settings, client):
    create_account(engine)
    await client.post("/sesion/entrar", data={"email": "ana@example.com", "password": PASSWORD})
    with unit_of_work(engine) as session:
        row = session.exec(select(AuthSession).order_by(col(AuthSession.id).desc())).first()
        account = session.get(Account, row.account_id)
    assert row.ip == "198.51.100.4" and account.email == "ana@example.com"
    assert len(row.token_hash) == len(token_hash("x"))


async def test_a_form_sent_before_the_page_loaded_still_goes_to_its_next(engine, settings, client):
    # The hidden ``next`` is filled by the page's scripts: sent sooner it is empty,
    # and the Entrar page's own address says where the customer was going.
    create_account(engine)
    response = await client.post(
        "/sesion/entrar",
        data={"email": "ana@example.com", "password": PASSWORD, "next": ""},
        headers={"Referer": ORIGIN + "/entrar?next=%2Fcuenta"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/cuenta"
    outside = await client.post(
        "/sesion/entrar",
        data={"email": "ana@example.com", "password": PASSWORD, "next": ""},
        headers={"Referer": ORIGIN + "/entrar?next=https%3A%2F%2Fevil.example%2F"},
    )
    assert outside.headers["location"] == "/facturas"


async def test_email_choices_are_saved_for_the_signed_in_account_only(engine, settings, client):
    account = create_account(engine)
    with unit_of_work(engine) as session:
        token = start_session(session=session, account=account, idle=settings.session_idle)
        session.commit()

    # No session (or someone else's form replayed without one): nothing changes.
    anonymous = await client.post("/sesion/avisos", data={"adjuntar": "on"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/entrar")
    with unit_of_work(engine) as session:
        untouched = session.get(Account, account.id)
        assert (untouched.notify_new_invoices, untouched.attach_pdf) == (True, False)

    client.cookies.set("portal_session", token)
    # Ticked boxes are sent as "on"; an unticked one is left out of the form.
    response = await client.post("/sesion/avisos", data={"adjuntar": "on", "account_id": "999"})
    assert response.headers["location"].startswith("/cuenta")
    assert flash_of(response, settings) == accounts.NOTIFICATIONS_SAVED
    with unit_of_work(engine) as session:
        saved = session.get(Account, account.id)
        assert (saved.notify_new_invoices, saved.attach_pdf) == (False, True)

    # From another site: refused at the edge, nothing saved.
    foreign = await client.post(
        "/sesion/avisos", data={"nuevas": "on"}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    with unit_of_work(engine) as session:
        assert session.get(Account, account.id).notify_new_invoices is False


async def test_sign_in_keeps_a_device_cookie_and_a_new_browser_is_emailed_about(
    engine, settings, client
):
    from customer_portal.models import OutboxEmail

    create_account(engine)
    form = {"email": "ana@example.com", "password": PASSWORD, "next": "/facturas"}
    first = await client.post("/sesion/entrar", data=form)
    header = next(h for h in first.headers.get_list("set-cookie") if "portal_device=" in h)
    assert "HttpOnly" in header and "SameSite=strict" in header and "Max-Age=34560000" in header
    device = first.cookies["portal_device"]
    client.cookies.clear()
    client.cookies.set("portal_device", device)
    await client.post("/sesion/entrar", data=form)  # the same browser again
    client.cookies.clear()
    await client.post("/sesion/entrar", data=form, headers={"User-Agent": "Firefox/128.0"})
    with unit_of_work(engine) as session:
        kinds = [row.kind for row in session.exec(select(OutboxEmail))]
    assert kinds == ["new_sign_in"]


async def test_no_he_sido_yo_needs_a_session_and_a_tick_then_ends_everything(
    engine, settings, client
):
    from customer_portal.models import OutboxEmail

    account = create_account(engine)
    with unit_of_work(engine) as session:
        token = start_session(session=session, account=account, idle=settings.session_idle)
        other = start_session(session=session, account=account, idle=settings.session_idle)
        session.commit()

    anonymous = await client.post("/sesion/no-he-sido-yo", data={"confirmo": "on"})
    assert anonymous.headers["location"].startswith("/entrar")
    client.cookies.set("portal_session", token)
    # What a browser sends for the form with the box left unticked: an empty form.
    unticked = await client.post(
        "/sesion/no-he-sido-yo",
        content=b"",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert flash_of(unticked, settings) == accounts.NOT_ME_UNCONFIRMED
    with unit_of_work(engine) as session:
        assert session.get(Account, account.id).password_hash is not None
        assert resume_session(session=session, token=token, idle=settings.session_idle)

    done = await client.post("/sesion/no-he-sido-yo", data={"confirmo": "on"})
    assert done.headers["location"].startswith("/entrar")
    assert flash_of(done, settings) == accounts.NOT_ME_DONE
    assert 'portal_session=""' in session_cookie(done) or "Max-Age=0" in session_cookie(done)
    with unit_of_work(engine) as session:
        assert session.get(Account, account.id).password_hash is None
        for dead in (token, other):
            assert resume_session(session=session, token=dead, idle=settings.session_idle) is None
        assert [r.kind for r in session.exec(select(OutboxEmail))] == ["password_reset"]
