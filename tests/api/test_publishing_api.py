"""The billing system's HTTP API, through the real ASGI app on both databases."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import func, select

from customer_portal.api.app import build_api
from customer_portal.db import unit_of_work
from customer_portal.models import Invoice
from customer_portal.settings import get_settings
from tests.factories import invoice_input, line_input, payment_input, reset_process_caches

KEY = "test-api-key-0123456789"


@pytest.fixture
async def client(engine):
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        yield client


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def invoices_stored(engine) -> int:
    with unit_of_work(engine) as session:
        return session.exec(select(func.count()).select_from(Invoice)).one()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        auth("wrong-key-0123456789"),
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": "Bearer"},
    ],
)
async def test_without_the_api_key_nothing_is_published(client, engine, headers):
    response = await client.post("/api/v1/invoices", json=[invoice_input("F-1")], headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert (await client.post("/api/v1/payments", json=[], headers=headers)).status_code == 401
    assert invoices_stored(engine) == 0


async def test_publish_then_unchanged_then_conflict(client, engine):
    body = {"invoices": [invoice_input("F-1")]}
    first = await client.post("/api/v1/invoices", json=body, headers=auth())
    assert first.status_code == 200
    assert first.json() == {
        "summary": {"published": 1},
        "results": [{"id": "F-1", "status": "published"}],
    }

    again = await client.post("/api/v1/invoices", json=body, headers=auth())
    assert again.json()["results"][0]["status"] == "unchanged"

    changed = {"invoices": [invoice_input("F-1", lines=[line_input(unit_price="1")])]}
    conflict = await client.post("/api/v1/invoices", json=changed, headers=auth())
    assert conflict.status_code == 409
    assert conflict.json()["results"][0]["reason"] == "conflict"
    assert invoices_stored(engine) == 1


async def test_invalid_invoices_get_422_with_field_errors(client, engine):
    batch = [invoice_input("F-1"), invoice_input("F-2", issue_date="2019-13-01")]
    response = await client.post("/api/v1/invoices", json=batch, headers=auth())
    assert response.status_code == 422
    results = response.json()["results"]
    assert results[0] == {"id": "F-1", "status": "published"}
    assert results[1]["errors"] == [
        {"field": "issue_date", "message": "'2019-13-01' is not a real date"}
    ]
    assert invoices_stored(engine) == 1


async def test_malformed_json_is_a_400(client, engine):
    response = await client.post("/api/v1/invoices", content=b"[{", headers=auth())
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["error"]


async def test_oversized_request_is_a_413(engine, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_REQUEST_BYTES", "2048")
    reset_process_caches()
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        big = [invoice_input("F-1", lines=[line_input(description="x" * 900)] * 3)]
        response = await client.post("/api/v1/invoices", json=big, headers=auth())
    assert response.status_code == 413
    assert invoices_stored(engine) == 0


async def test_a_batch_of_exactly_the_item_limit_is_accepted(client, engine, monkeypatch):
    monkeypatch.setenv("PORTAL_MAX_BATCH_ITEMS", "2")
    get_settings.cache_clear()  # keep the engine fixture's engine (it is disposed of)
    body = {"invoices": [invoice_input("F-1"), invoice_input("F-2")]}
    response = await client.post("/api/v1/invoices", json=body, headers=auth())
    assert response.status_code == 200 and response.json()["summary"] == {"published": 2}
    # One more is refused whole; tests/security/test_malformed_input.py has the rest.
    body["invoices"].append(invoice_input("F-3"))
    assert (await client.post("/api/v1/invoices", json=body, headers=auth())).status_code == 413
    assert invoices_stored(engine) == 2


async def test_csv_body(client, engine):
    csv_body = (
        "number,issue_date,customer_code,customer_name,customer_tax_id,customer_email,"
        "description,quantity,unit_price,tax_name,tax_rate\n"
        "C-1,2019-04-30,K1,Ana,12345678Z,ana@example.com,Fibra,1,39.90,IGIC,7\n"
    )
    response = await client.post(
        "/api/v1/invoices",
        content=csv_body.encode(),
        headers={**auth(), "Content-Type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200 and response.json()["summary"] == {"published": 1}


async def test_payments(client, engine):
    await client.post("/api/v1/invoices", json=[invoice_input("F-1")], headers=auth())
    ok = await client.post(
        "/api/v1/payments",
        json={"payments": [payment_input("F-1", "42.69", "R-1")]},
        headers=auth(),
    )
    assert ok.status_code == 200 and ok.json()["results"] == [{"id": "R-1", "status": "recorded"}]
    unknown = await client.post(
        "/api/v1/payments", json=[payment_input("F-9", "1", "R-2")], headers=auth()
    )
    assert unknown.status_code == 404
    over = await client.post(
        "/api/v1/payments", json=[payment_input("F-1", "0.01", "R-3")], headers=auth()
    )
    assert (
        over.status_code == 422 and "pending" in over.json()["results"][0]["errors"][0]["message"]
    )


async def test_health(client):
    assert (await client.get("/api/v1/health")).json() == {"status": "ok"}
