"""Verificación en dos pasos over HTTP: cookies, redirects, the server-rendered setup page."""

from __future__ import annotations

import re
from html import unescape

import pyotp
from sqlmodel import select

from customer_portal.api import second_factor as routes_2fa
from customer_portal.db import unit_of_work
from customer_portal.domain import auth
from customer_portal.domain.second_factor import SecondFactorKeys
from customer_portal.domain.sessions import start_session
from customer_portal.models import Account
from tests.api.test_accounts import client, flash_of  # noqa: F401 (the fixture)
from tests.domain.test_auth import PASSWORD, create_account
from tests.factories import first_customer, previous_totp
from tests.test_cli import cli

SIGN_IN = {"email": "ana@example.com", "password": PASSWORD, "next": "/factura?numero=F-9"}


def cookie_header(response, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))


async def set_up_factor(client, engine, settings) -> tuple[str, list[str]]:  # noqa: F811
    """Through the pages, as a signed-in person would; returns the secret and the codes."""
    account = create_account(engine)
    with unit_of_work(engine) as session:
        token = start_session(session=session, account=account, idle=settings.session_idle)
    client.cookies.set("portal_session", token)
    page = await client.get("/cuenta/verificacion")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    secret = unescape(re.search(r'<code [^>]*id="clave">([^<]+)</code>', page.text)[1])
    secret = secret.replace(" ", "")
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
    with unit_of_work(engine) as session:
        stored = session.get(Account, account.id)
        assert SecondFactorKeys(settings.secret_key).open(stored.totp_pending_secret) == secret

    wrong = await client.post("/sesion/verificacion", data={"codigo": "000000"})
    assert wrong.status_code == 303 and flash_of(wrong, settings) == auth.CODE_WRONG
    previous = previous_totp(secret)
    done = await client.post("/sesion/verificacion", data={"codigo": previous})
    assert done.status_code == 200 and done.headers["cache-control"] == "no-store"
    codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.text)
    assert len(codes) == 10
    client.cookies.clear()
    return secret, codes


async def test_entrar_asks_for_the_code_before_any_session(engine, settings, client):  # noqa: F811
    secret, _ = await set_up_factor(client, engine, settings)
    first = await client.post("/sesion/entrar", data=SIGN_IN)
    assert first.headers["location"].startswith("/entrar/codigo")
    assert "portal_session=" not in first.headers.get("set-cookie", "")
    header = cookie_header(first, "portal_2fa")
    assert "HttpOnly" in header and "SameSite=strict" in header and "Max-Age=300" in header

    wrong = await client.post("/sesion/codigo", data={"codigo": "111111"})
    assert wrong.headers["location"].startswith("/entrar/codigo")
    assert flash_of(wrong, settings) == auth.CODE_WRONG
    done = await client.post("/sesion/codigo", data={"codigo": pyotp.TOTP(secret).now()})
    assert done.headers["location"] == "/factura?numero=F-9"
    assert "HttpOnly" in cookie_header(done, "portal_session")
    assert "Max-Age=0" in cookie_header(done, "portal_2fa")


async def test_without_the_challenge_the_code_step_goes_back_to_entrar(engine, settings, client):  # noqa: F811
    secret, _ = await set_up_factor(client, engine, settings)
    response = await client.post("/sesion/codigo", data={"codigo": pyotp.TOTP(secret).now()})
    assert response.headers["location"].startswith("/entrar?")
    assert flash_of(response, settings) == auth.CHALLENGE_EXPIRED


async def test_the_setup_page_needs_a_session_or_an_enrolment_challenge(engine, settings, client):  # noqa: F811
    create_account(engine)
    nobody = await client.get("/cuenta/verificacion")
    assert nobody.status_code == 303 and nobody.headers["location"].startswith("/entrar")
    assert (
        (await client.post("/sesion/verificacion", data={"codigo": "123456"}))
        .headers["location"]
        .startswith("/entrar")
    )


async def test_a_required_factor_is_set_up_at_entrar_and_cannot_be_turned_off(
    engine,
    settings,
    client,  # noqa: F811
):
    account = create_account(engine)
    with unit_of_work(engine) as session:
        customer = first_customer(session, account)
        customer.requires_second_factor = True
        session.add(customer)
    first = await client.post("/sesion/entrar", data=SIGN_IN)
    assert first.headers["location"] == "/cuenta/verificacion"
    page = await client.get("/cuenta/verificacion")
    secret = unescape(re.search(r'id="clave">([^<]+)<', page.text)[1]).replace(" ", "")
    previous = previous_totp(secret)
    done = await client.post("/sesion/verificacion", data={"codigo": previous})
    assert done.status_code == 200 and 'href="/factura?numero=F-9"' in done.text
    assert "HttpOnly" in cookie_header(done, "portal_session")

    refused = await client.post("/sesion/verificacion/desactivar", data={"codigo": "000000"})
    assert flash_of(refused, settings) == routes_2fa.REQUIRED
    with unit_of_work(engine, read_only=True) as session:
        assert session.get(Account, account.id).totp_secret is not None


async def test_turning_it_off_and_new_codes_need_a_right_code(engine, settings, client):  # noqa: F811
    secret, codes = await set_up_factor(client, engine, settings)
    with unit_of_work(engine) as session:
        account = session.exec(select(Account)).one()
        token = start_session(session=session, account=account, idle=settings.session_idle)
    client.cookies.set("portal_session", token)
    wrong = await client.post("/sesion/verificacion/desactivar", data={"codigo": "000000"})
    assert flash_of(wrong, settings) == auth.CODE_WRONG
    renewed = await client.post("/sesion/verificacion/codigos", data={"codigo": codes[0]})
    new_codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", renewed.text)
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    # The old codes stopped working; a new one turns the factor off.
    stale = await client.post("/sesion/verificacion/desactivar", data={"codigo": codes[1]})
    assert flash_of(stale, settings) == auth.CODE_WRONG
    off = await client.post("/sesion/verificacion/desactivar", data={"codigo": new_codes[0]})
    assert flash_of(off, settings) == routes_2fa.DISABLED
    with unit_of_work(engine, read_only=True) as session:
        assert session.get(Account, account.id).totp_secret is None
    assert pyotp.TOTP(secret).now()  # (the secret is simply forgotten)


def test_the_operator_requires_it_and_resets_a_lost_one(engine, settings):
    account = create_account(engine)
    with unit_of_work(engine) as session:
        code = first_customer(session, account).code
        stored = session.get(Account, account.id)
        stored.totp_secret = SecondFactorKeys(settings.secret_key).seal("A" * 32)
        stored.totp_enabled_at = stored.created_at
        session.add(stored)
    shown = cli("second-factor", code, "--require", check_code=0).stdout
    assert f"{code}: second factor required" in shown and "ana@example.com: on" in shown
    reset = cli("second-factor", code, "--reset", "ANA@example.com", check_code=0).stdout
    assert "ana@example.com: off" in reset
    assert "no customer" in cli("second-factor", "NOPE", check_code=2).stderr
    with unit_of_work(engine, read_only=True) as session:
        assert first_customer(session, account).requires_second_factor
        assert session.get(Account, account.id).totp_secret is None


async def test_a_reset_link_leads_to_the_code_step_not_to_a_session(engine, settings, client):  # noqa: F811
    from customer_portal.domain.tokens import TokenKeys, TokenPurpose

    secret, _ = await set_up_factor(client, engine, settings)
    with unit_of_work(engine) as session:
        account = session.exec(select(Account)).one()
        link = TokenKeys(settings.secret_key).issue(TokenPurpose.PASSWORD_RESET, account)
    opened = await client.get(f"/restablecer/{link}")
    assert opened.status_code == 303
    form = {"email": "ana@example.com", "password": "Nueva-Clave8", "repeat": "Nueva-Clave8"}
    done = await client.post("/sesion/contrasena", data=form)
    assert done.headers["location"].startswith("/entrar/codigo")
    assert "portal_session=" not in done.headers.get("set-cookie", "")
    assert "HttpOnly" in cookie_header(done, "portal_2fa")
    finished = await client.post("/sesion/codigo", data={"codigo": pyotp.TOTP(secret).now()})
    assert finished.headers["location"] == "/facturas"
    assert "HttpOnly" in cookie_header(finished, "portal_session")
