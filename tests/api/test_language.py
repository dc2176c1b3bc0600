"""«Idioma» over HTTP: the choice in this browser, on the signed-in account, nothing else."""

from __future__ import annotations

from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.domain.sessions import start_session
from customer_portal.models import Account, AuditEvent
from tests.api.test_accounts import client, flash_of
from tests.domain.test_auth import PASSWORD, create_account

__all__ = ["client"]


def signed_in(engine, settings, client) -> Account:
    """A customer account whose session cookie the client now sends."""
    account = create_account(engine)
    with unit_of_work(engine) as session:
        token = start_session(session=session, account=account, idle=settings.session_idle)
        session.commit()
    client.cookies.set("portal_session", token)
    return account


def language_cookie(response) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if "portal_idioma=" in h)


async def test_a_visitor_choice_is_kept_in_the_browser_and_the_page_comes_back(client):
    response = await client.post(
        "/sesion/idioma", data={"idioma": "en", "next": "/entrar?next=%2Fpagos&aviso=viejo"}
    )
    assert response.status_code == 303
    # The old page's message is not carried over (it was said in the other language).
    assert response.headers["location"] == "/entrar?next=%2Fpagos"
    cookie = language_cookie(response)
    assert "portal_idioma=en" in cookie and "Path=/" in cookie and "SameSite=lax" in cookie
    assert "HttpOnly" not in cookie  # portal.js reads it to guess before the page is live
    assert "Max-Age=34560000" in cookie


async def test_a_signed_in_choice_is_saved_on_the_account_and_audited(engine, settings, client):
    account = signed_in(engine, settings, client)
    response = await client.post(
        "/sesion/idioma", data={"idioma": "EN", "next": "/cuenta", "account_id": "999"}
    )
    assert response.headers["location"] == "/cuenta"
    with unit_of_work(engine) as session:
        assert session.get(Account, account.id).language == "en"
        (event,) = session.exec(
            select(AuditEvent).where(AuditEvent.action == "language.changed")
        ).all()
        assert event.actor == "ana@example.com"


async def test_an_unknown_language_or_a_foreign_page_changes_nothing(engine, settings, client):
    account = signed_in(engine, settings, client)
    for code in ("fr", "../../etc/passwd", "", "en" * 200):
        response = await client.post("/sesion/idioma", data={"idioma": code, "next": "/pagos"})
        assert response.headers["location"] == "/pagos"
        assert "portal_idioma=" not in response.headers.get("set-cookie", "")
    foreign = await client.post(
        "/sesion/idioma", data={"idioma": "en"}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    with unit_of_work(engine) as session:
        assert session.get(Account, account.id).language is None
    # A page of another site to come back to: the home page instead (no open redirect).
    outside = await client.post(
        "/sesion/idioma", data={"idioma": "en", "next": "https://evil.example/"}
    )
    assert outside.headers["location"] == "/"


async def test_messages_of_the_forms_follow_the_browser_language(engine, settings, client):
    create_account(engine)
    form = {"email": "ana@example.com", "password": "Mala-Clave-77"}
    spanish = await client.post("/sesion/entrar", data=form)
    english = await client.post("/sesion/entrar", data=form, headers={"Accept-Language": "en"})
    chosen = await client.post(
        "/sesion/entrar",
        data=form,
        headers={"Accept-Language": "en", "Cookie": "portal_idioma=es"},
    )
    assert flash_of(spanish, settings) == flash_of(chosen, settings)
    assert flash_of(english, settings) != flash_of(spanish, settings)
    assert "password" in flash_of(english, settings).lower()
    assert PASSWORD not in flash_of(english, settings)


async def test_signing_in_brings_the_saved_choice_and_notes_the_browser(engine, settings, client):
    account = create_account(engine)
    with unit_of_work(engine) as session:
        session.get(Account, account.id).language = "en"
        session.commit()
    response = await client.post(
        "/sesion/entrar",
        data={"email": "ana@example.com", "password": PASSWORD},
        headers={"Accept-Language": "es-ES,es;q=0.9"},
    )
    assert response.status_code == 303 and "portal_session=" in str(response.headers)
    assert "portal_idioma=en" in language_cookie(response)
    with unit_of_work(engine) as session:
        stored = session.get(Account, account.id)
        assert (stored.language, stored.browser_language) == ("en", "es")


async def test_signing_in_without_a_choice_only_notes_the_browser(engine, settings, client):
    account = create_account(engine)
    response = await client.post(
        "/sesion/entrar",
        data={"email": "ana@example.com", "password": PASSWORD},
        headers={"Accept-Language": "en-GB"},
    )
    assert "portal_idioma=" not in response.headers.get("set-cookie", "").replace(
        "portal_session", ""
    )
    with unit_of_work(engine) as session:
        stored = session.get(Account, account.id)
        assert (stored.language, stored.browser_language) == (None, "en")


async def test_the_billing_system_api_publishes_in_the_company_language(client):
    from customer_portal.api.language import RequestLanguage
    from customer_portal.i18n import current_language

    seen = []

    async def app(scope, receive, send):
        seen.append(current_language())

    middleware = RequestLanguage(app)
    english = [(b"accept-language", b"en")]
    for path in ("/api/v1/invoices", "/api/v1/descargas/abc", "/sesion/entrar"):
        await middleware({"type": "http", "path": path, "headers": english}, None, None)
    # The signed PDF is the company's document: Spanish whatever the client asks;
    # a customer's download link and forms follow the browser.
    assert seen == ["es", "en", "en"]
