"""Signed-PDF downloads: only for the session that asked, only for a minute."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from customer_portal.api.app import build_api
from customer_portal.db import session_scope
from customer_portal.domain import downloads
from customer_portal.domain.downloads import download_filename, mint_download_path
from customer_portal.domain.sessions import start_session
from customer_portal.models import Account, Customer, SignedDocument, utcnow
from tests.factories import make_customer, make_invoice

SECRET = "test-secret-key-0123456789"
IDLE = timedelta(hours=1)


@pytest.fixture
def two_customers(publisher, engine):
    publisher.publish(make_invoice("F-2019/1"))
    publisher.publish(make_invoice("G-1", customer=make_customer(code="B", email="b@x.com")))
    tokens = {}
    with session_scope(engine) as session:
        for code in ("CLI-TEST-1", "B"):
            customer = session.exec(select(Customer).where(Customer.code == code)).one()
            account = Account(
                customer_id=customer.id,
                email=customer.email,
                password_hash="x",
                activated_at=utcnow(),
            )
            session.add(account)
            session.flush()
            tokens[code] = (account, start_session(session, account, idle=IDLE))
    return tokens


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"portal_session={token}"}


def mint(engine, account, token, number="F-2019/1"):
    with Session(engine) as session:
        return mint_download_path(
            session, SECRET, account=account, number=number, session_token=token
        )


@pytest.fixture
async def client(engine):
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        yield client


async def test_owner_gets_the_stored_bytes(engine, two_customers, client):
    account, token = two_customers["CLI-TEST-1"]
    path = mint(engine, account, token)
    response = await client.get(path, headers=cookie(token))
    with Session(engine) as session:
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
