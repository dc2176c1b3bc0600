"""Signed-PDF downloads: only for the session that asked, only for a minute."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import select

from customer_portal.api.app import build_api
from customer_portal.db import unit_of_work
from customer_portal.documents.integrity import TamperedDocument
from customer_portal.domain import downloads
from customer_portal.domain.downloads import (
    download_filename,
    mint_download_path,
    open_download,
    read_download_link,
)
from customer_portal.domain.sessions import (
    ABSOLUTE_LIFETIME,
    end_session,
    start_session,
    token_hash,
)
from customer_portal.driver_sql import DriverTransaction, driver_transaction
from customer_portal.models import (
    Account,
    AuditEvent,
    AuthSession,
    Customer,
    Invoice,
    SignedDocument,
    utcnow,
)
from tests.factories import customer_input, invoice_input, make_account
from tests.pdf_checks import flip_one_byte

SECRET = "test-secret-key-0123456789"
IDLE = timedelta(hours=1)


def publish_two_customers(publisher, engine) -> dict[str, tuple[Account, str]]:
    """F-2019/1 for CLI-TEST-1 and G-1 for B; each customer's login and session token."""
    publisher.publish(invoice_input("F-2019/1"))
    publisher.publish(invoice_input("G-1", customer=customer_input(code="B", email="b@x.com")))
    tokens = {}
    with unit_of_work(engine) as session:
        for code in ("CLI-TEST-1", "B"):
            customer = session.exec(select(Customer).where(Customer.code == code)).one()
            account = make_account(session, customer=customer)
            tokens[code] = (account, start_session(session=session, account=account, idle=IDLE))
    return tokens


@pytest.fixture
def two_customers(publisher, engine):
    return publish_two_customers(publisher, engine)


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"portal_session={token}"}


def mint(engine, account, token, number="F-2019/1"):
    with unit_of_work(engine) as session:
        return mint_download_path(
            session=session, secret_key=SECRET, account=account, number=number, session_token=token
        )


def stored_pdf(engine, number: str) -> bytes:
    with unit_of_work(engine) as session:
        return session.exec(
            select(SignedDocument.pdf)
            .join(Invoice, Invoice.id == SignedDocument.invoice_id)
            .where(Invoice.number == number)
        ).one()


def tamper(engine, number: str, change: Callable[[bytes], bytes]) -> bytes:
    """Rewrite the stored PDF of ``number`` as someone with database access would: in SQL."""
    new = change(stored_pdf(engine, number))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE signed_document SET pdf = :pdf"
                " WHERE invoice_id = (SELECT id FROM invoice WHERE number = :number)"
            ),
            {"pdf": new, "number": number},
        )
    return new


def flip_byte(pdf: bytes) -> bytes:
    """The same PDF, same size, with one bit changed in the middle."""
    return flip_one_byte(pdf, len(pdf) // 2)


@asynccontextmanager
async def api_client() -> AsyncIterator[httpx.AsyncClient]:
    """A client talking to the API in this process, no server needed."""
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        yield client


@pytest.fixture
async def client(engine):
    async with api_client() as client:
        yield client


async def test_owner_gets_the_stored_bytes(engine, two_customers, client):
    account, token = two_customers["CLI-TEST-1"]
    path = mint(engine, account, token)
    response = await client.get(path, headers=cookie(token))
    with unit_of_work(engine) as session:
        stored = session.exec(select(SignedDocument.pdf)).first()
    assert response.status_code == 200 and response.content == stored
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="Factura-F-2019-1.pdf"'
    )
    assert response.headers["cache-control"] == "no-store"


async def test_nobody_else_can_use_the_link(engine, two_customers, client):
    account, token = two_customers["CLI-TEST-1"]
    _, other_token = two_customers["B"]
    path = mint(engine, account, token)
    for headers in ({}, cookie(other_token), cookie("forged")):
        response = await client.get(path, headers=headers)
        assert response.status_code == 403 and b"%PDF" not in response.content
    tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    assert (await client.get(tampered, headers=cookie(token))).status_code == 403


def test_minting_checks_ownership(engine, two_customers):
    account, token = two_customers["B"]
    assert mint(engine, account, token, "F-2019/1") is None
    assert mint(engine, account, token, "G-1") is not None


async def test_links_expire_after_a_minute(engine, two_customers, client, monkeypatch):
    monkeypatch.setattr(downloads, "DOWNLOAD_MAX_AGE_SECONDS", 0)
    account, token = two_customers["CLI-TEST-1"]
    path = mint(engine, account, token)
    time.sleep(1.1)
    assert (await client.get(path, headers=cookie(token))).status_code == 403


def test_filenames_are_safe():
    assert download_filename('F/2019\\1"; x.exe') == "Factura-F-2019-1---x.exe.pdf"


async def test_a_tampered_pdf_gets_a_page_and_a_log_line_not_the_bytes(
    engine, two_customers, client, caplog
):
    account, token = two_customers["CLI-TEST-1"]
    original = stored_pdf(engine, "F-2019/1")
    tamper(engine, "F-2019/1", flip_byte)
    path = mint(engine, account, token)
    with caplog.at_level(logging.ERROR, logger="customer_portal.api.downloads"):
        response = await client.get(path, headers=cookie(token))

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "content-disposition" not in response.headers
    for name, value in {
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }.items():
        assert response.headers[name] == value
    page = response.text
    assert '<html lang="es">' in page and "<title>Factura no disponible</title>" in page
    assert "no podemos entregarte esta factura" in page and "ponte en contacto" in page
    assert b"%PDF" not in response.content

    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    message = record.getMessage()
    assert "'F-2019/1'" in message
    assert hashlib.sha256(original).hexdigest()[:12] in message  # what the record says
    assert hashlib.sha256(flip_byte(original)).hexdigest()[:12] in message  # what is stored
    assert token not in caplog.text and path.rsplit("/", 1)[1] not in caplog.text

    with unit_of_work(engine) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "invoice.downloaded" not in actions


async def test_intact_pdfs_are_still_served_beside_a_tampered_one(engine, two_customers, client):
    tamper(engine, "F-2019/1", flip_byte)
    account, token = two_customers["B"]
    response = await client.get(mint(engine, account, token, "G-1"), headers=cookie(token))
    assert response.status_code == 200
    assert response.content == stored_pdf(engine, "G-1")


def test_the_domain_tells_a_tampered_pdf_from_a_refused_link(engine, two_customers):
    account, token = two_customers["CLI-TEST-1"]
    path = mint(engine, account, token)
    tamper(engine, "F-2019/1", lambda pdf: pdf[:-1])
    link = path.removeprefix(downloads.DOWNLOAD_PREFIX)
    good = read_download_link(secret_key=SECRET, token=link, session_token=token)
    assert good is not None
    with pytest.raises(TamperedDocument) as raised, driver_transaction(engine) as transaction:
        open_download(transaction=transaction, link=good, idle=IDLE, ip=None, detail=None)
    # A link that would be refused anyway is refused, tampered bytes or not.
    assert read_download_link(secret_key=SECRET, token=link, session_token="other") is None
    mismatch = raised.value.mismatch
    assert (mismatch.number, mismatch.expected_size - mismatch.actual_size) == ("F-2019/1", 1)


def test_a_link_is_read_without_the_database(engine, two_customers, monkeypatch):
    """Forged, stale and borrowed links are refused from the link alone, before any transaction."""
    account, token = two_customers["CLI-TEST-1"]
    link = mint(engine, account, token).removeprefix(downloads.DOWNLOAD_PREFIX)
    read = read_download_link(secret_key=SECRET, token=link, session_token=token)
    assert read is not None and read.session_token_hash == token_hash(token)
    assert read.account_id == account.id
    assert (
        read_download_link(secret_key="another-key-0123456789", token=link, session_token=token)
        is None
    )
    # A character inside the signature: the last one also carries two bits
    # base64 drops, so changing it could leave the signature as it was.
    forged = link[:-10] + ("A" if link[-10] != "A" else "B") + link[-9:]
    assert read_download_link(secret_key=SECRET, token=forged, session_token=token) is None
    assert read_download_link(secret_key=SECRET, token=link, session_token="") is None
    monkeypatch.setattr(downloads, "DOWNLOAD_MAX_AGE_SECONDS", -1)
    assert read_download_link(secret_key=SECRET, token=link, session_token=token) is None


def _kill_by_revoking(session, account, token):
    end_session(session=session, token=token)


def _kill_by_idling(session, account, token):
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == token_hash(token))).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)


def _kill_by_age(session, account, token):
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == token_hash(token))).one()
    row.created_at = utcnow() - ABSOLUTE_LIFETIME - timedelta(seconds=1)
    session.add(row)


def _kill_by_deactivating(session, account, token):
    stored = session.get(Account, account.id)
    stored.activated_at = None
    session.add(stored)


def _kill_by_moving_the_invoice(session, account, token):
    other = session.exec(select(Customer).where(Customer.code == "B")).one()
    invoice = session.exec(select(Invoice).where(Invoice.number == "F-2019/1")).one()
    invoice.customer_id = other.id
    session.add(invoice)


@pytest.mark.parametrize(
    "kill",
    [
        _kill_by_revoking,
        _kill_by_idling,
        _kill_by_age,
        _kill_by_deactivating,
        _kill_by_moving_the_invoice,
    ],
)
async def test_a_link_dies_with_its_session_account_or_owner(engine, two_customers, client, kill):
    """The single download query applies every rule resume() and the ownership check did."""
    account, token = two_customers["CLI-TEST-1"]
    path = mint(engine, account, token)
    with unit_of_work(engine) as session:
        kill(session, account, token)
    response = await client.get(path, headers=cookie(token))
    assert response.status_code == 403 and b"%PDF" not in response.content


def _the_one_audit_line(engine, account) -> None:
    with unit_of_work(engine) as session:
        (event,) = session.exec(
            select(AuditEvent).where(AuditEvent.action == "invoice.downloaded")
        ).all()
    assert (event.action, event.subject, event.actor) == (
        "invoice.downloaded",
        "F-2019/1",
        account.email,
    )
    assert event.detail == '{"user_agent": "Navegador/1.0"}'


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_on_sqlite_a_download_is_one_query_and_one_audit_insert(
    engine, two_customers, client, monkeypatch
):
    """bench/downloads.py: was two transactions and five ORM loads and a flush per download."""
    account, token = two_customers["CLI-TEST-1"]
    path = mint(engine, account, token)
    statements: list[str] = []
    run = DriverTransaction.execute

    def record(transaction, statement, values):
        statements.append(str(statement.compiled(engine.dialect).sql).split()[0].upper())
        return run(transaction, statement, values)

    monkeypatch.setattr(DriverTransaction, "execute", record)
    headers = {**cookie(token), "User-Agent": "Navegador/1.0"}
    response = await client.get(path, headers=headers)
    assert response.status_code == 200
    assert statements == ["SELECT", "INSERT"]
    _the_one_audit_line(engine, account)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_on_postgresql_a_download_is_one_statement(
    engine, two_customers, client, monkeypatch
):
    """bench/downloads.py: five round trips from a thread kept downloads at 26 % of static."""
    account, token = two_customers["CLI-TEST-1"]
    path = mint(engine, account, token)
    statements: list[str] = []
    run = downloads.first_on_loop

    async def record(engine, statement, values):
        statements.append(statement.compiled(engine.dialect).sql)
        return await run(engine, statement, values)

    monkeypatch.setattr(downloads, "first_on_loop", record)
    monkeypatch.setattr(DriverTransaction, "execute", None)  # no transaction on the driver
    headers = {**cookie(token), "User-Agent": "Navegador/1.0"}
    response = await client.get(path, headers=headers)
    assert response.status_code == 200 and response.content == stored_pdf(engine, "F-2019/1")
    (statement,) = statements
    assert "INSERT INTO audit_event" in statement and "UPDATE auth_session" in statement
    _the_one_audit_line(engine, account)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_on_postgresql_a_tampered_pdf_writes_nothing(engine, two_customers, client):
    """The statement's writes apply check_pdf's rule in SQL: no audit line, no slid session."""
    account, token = two_customers["CLI-TEST-1"]
    long_ago = _last_seen(engine, token, utcnow() - timedelta(minutes=5))
    for change in (flip_byte, lambda pdf: pdf[:-1]):
        tamper(engine, "F-2019/1", change)
        response = await client.get(mint(engine, account, token), headers=cookie(token))
        assert response.status_code == 500 and b"%PDF" not in response.content
    with unit_of_work(engine) as session:
        assert "invoice.downloaded" not in session.exec(select(AuditEvent.action)).all()
        row = session.exec(select(AuthSession).where(AuthSession.token_hash == token_hash(token)))
        assert row.one().last_seen_at == long_ago


def _last_seen(engine, token: str, when):
    """Set the session of ``token`` last seen at ``when`` (and its expiry from then)."""
    with unit_of_work(engine) as session:
        row = session.exec(
            select(AuthSession).where(AuthSession.token_hash == token_hash(token))
        ).one()
        row.last_seen_at = when
        row.expires_at = when + IDLE
        session.add(row)
    return when


async def test_a_download_slides_the_session_like_any_use(engine, two_customers, client):
    account, token = two_customers["CLI-TEST-1"]
    path = mint(engine, account, token)
    long_ago = _last_seen(engine, token, utcnow() - timedelta(minutes=5))
    assert (await client.get(path, headers=cookie(token))).status_code == 200
    with unit_of_work(engine) as session:
        row = session.exec(
            select(AuthSession).where(AuthSession.token_hash == token_hash(token))
        ).one()
    assert row.last_seen_at > long_ago + timedelta(minutes=4)
    assert row.expires_at > utcnow() + IDLE - timedelta(minutes=1)


async def test_ver_pdf_shows_the_pdf_in_the_tab_through_the_same_session_bound_link(
    publisher, engine, settings
):
    accounts = publish_two_customers(publisher, engine)
    _, token = accounts["CLI-TEST-1"]
    app = build_api()
    transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        client.cookies.set("portal_session", token)
        hop = await client.get("/factura/pdf", params={"numero": "F-2019/1"})
        assert hop.status_code == 303
        link = hop.headers["location"]
        assert link.startswith("/api/v1/descargas/") and link.endswith("?ver=1")
        shown = await client.get(link)
        assert shown.status_code == 200 and shown.content.startswith(b"%PDF")
        assert shown.headers["content-disposition"].startswith("inline; ")
        assert "object-src 'self'" in shown.headers["content-security-policy"]
        # Another customer's invoice: not found; the same link without the cookie: refused.
        other = await client.get("/factura/pdf", params={"numero": "G-1"})
        assert other.status_code == 404 and "Factura no encontrada" in other.text
        client.cookies.clear()
        assert (await client.get(link)).status_code == 403
        anonymous = await client.get("/factura/pdf", params={"numero": "F-2019/1"})
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/entrar?next=")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_download_waits_for_a_held_write_lock_in_a_thread_not_on_the_event_loop(
    engine, two_customers, client
):
    """The transaction runs on the event loop only when it need not wait (a billing run's lock)."""
    account, token = two_customers["CLI-TEST-1"]
    path = mint(engine, account, token)
    holder = engine.connect()
    holder.begin()  # BEGIN IMMEDIATE: SQLite's one write lock, held as a publishing run holds it
    holder.exec_driver_sql("SELECT 1")
    try:
        waiting = asyncio.create_task(client.get(path, headers=cookie(token)))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        # Meanwhile the loop still serves: a refused link answers at once.
        started = time.monotonic()
        assert (await client.get(path, headers=cookie("other"))).status_code == 403
        assert time.monotonic() - started < 0.5
    finally:
        holder.commit()
        holder.close()
    response = await asyncio.wait_for(waiting, 10)
    assert response.status_code == 200 and response.content == stored_pdf(engine, "F-2019/1")
    with unit_of_work(engine) as session:
        assert session.exec(
            select(AuditEvent.subject).where(AuditEvent.action == "invoice.downloaded")
        ).all() == ["F-2019/1"]


async def test_a_download_needs_no_thread_while_sqlites_lock_is_free_or_on_postgresql(
    engine, two_customers, client, monkeypatch
):
    """bench/downloads.py: the hop to a thread cost more than the transaction (38 % → 111 %)."""
    from customer_portal.api import downloads as route

    def no_thread(*args, **kwargs):
        raise AssertionError("the download went to a thread")

    monkeypatch.setattr(route, "run_in_threadpool", no_thread)
    account, token = two_customers["CLI-TEST-1"]
    response = await client.get(mint(engine, account, token), headers=cookie(token))
    assert response.status_code == 200 and response.content == stored_pdf(engine, "F-2019/1")
