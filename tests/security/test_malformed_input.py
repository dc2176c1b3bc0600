"""Malformed requests to the publishing API: one clear 4xx each, and nothing stored.

Each test replays one way a body used to become a server error (an exception
and a 500) or to reach the database before being refused, through the real
ASGI app on both databases, and checks the status, the message and that not a
single invoice or payment was written.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from customer_portal.db import unit_of_work
from customer_portal.domain.batches import MAX_JSON_DEPTH, MAX_JSON_NUMBER_DIGITS
from customer_portal.models import Invoice, Payment
from customer_portal.settings import get_settings
from tests.api import test_publishing_api as api_tests
from tests.factories import customer_input, invoice_input, line_input, payment_input

# The publishing API tests' client fixture and helpers, used as they are there.
client = api_tests.client
auth, invoices_stored = api_tests.auth, api_tests.invoices_stored

CSV_HEADER = (
    "number,issue_date,customer_code,customer_name,customer_tax_id,customer_email,"
    "description,quantity,unit_price,tax_name,tax_rate\n"
)


def csv_row(number: str, description: str = "Fibra") -> str:
    return f"{number},2019-04-30,K1,Ana,12345678Z,ana@example.com,{description},1,39.90,IGIC,7\n"


def payments_stored(engine) -> int:
    with unit_of_work(engine) as session:
        return session.exec(select(func.count()).select_from(Payment)).one()


def paid_cents(engine, number: str) -> int:
    with unit_of_work(engine) as session:
        return session.exec(select(Invoice.paid_cents).where(Invoice.number == number)).one()


def limit_batches_to(monkeypatch, items: int) -> None:
    """PORTAL_MAX_BATCH_ITEMS for this test, read again on the next request.

    Only the settings are forgotten: the app keeps the ``engine`` fixture's
    engine, which the fixture disposes of (a fresh one would leak connections).
    """
    monkeypatch.setenv("PORTAL_MAX_BATCH_ITEMS", str(items))
    get_settings.cache_clear()


async def post_json(client, path: str, body: bytes):
    return await client.post(
        path, content=body, headers={**auth(), "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("path", ["/api/v1/invoices", "/api/v1/payments"])
async def test_deeply_nested_json_is_a_400(client, engine, path):
    # json.loads used to recurse into this and raise RecursionError.
    body = b"[" * 2000 + b"]" * 2000
    response = await post_json(client, path, body)
    assert response.status_code == 400
    assert response.json() == {"error": f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels"}
    assert invoices_stored(engine) == 0 and payments_stored(engine) == 0


async def test_a_number_with_thousands_of_digits_is_a_400(client, engine):
    # int() refuses more than 4,300 digits with a ValueError.
    raw = json.dumps([invoice_input("F-1", total="__TOTAL__")]).encode()
    body = raw.replace(b'"__TOTAL__"', b"4" * 5000)
    response = await post_json(client, "/api/v1/invoices", body)
    assert response.status_code == 400
    assert response.json() == {
        "error": f"a number in the JSON has more than {MAX_JSON_NUMBER_DIGITS} digits"
    }
    assert invoices_stored(engine) == 0


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        (b"1e400", "a number in the JSON is out of range: 1e400"),
        (b"-1E400", "a number in the JSON is out of range: -1E400"),
        (b"1e9999999999999999999", "out of range"),
        (b"NaN", "NaN is not a JSON number"),
        (b"Infinity", "Infinity is not a JSON number"),
        (b"-Infinity", "-Infinity is not a JSON number"),
    ],
)
async def test_numbers_json_cannot_hold_are_a_400(client, engine, literal, message):
    # Python's json accepts NaN and Infinity; Decimal raised on a 19-digit exponent.
    raw = json.dumps({"payments": [payment_input("F-1", "__AMOUNT__", "R-1")]}).encode()
    body = raw.replace(b'"__AMOUNT__"', literal)
    response = await post_json(client, "/api/v1/payments", body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert invoices_stored(engine) == 0 and payments_stored(engine) == 0


@pytest.mark.parametrize("path", ["/api/v1/invoices", "/api/v1/payments"])
async def test_more_items_than_the_limit_is_a_413(client, engine, monkeypatch, path):
    limit_batches_to(monkeypatch, 2)
    if path.endswith("invoices"):
        body, key = [invoice_input(f"F-{i}") for i in range(3)], "invoices"
    else:
        body, key = [payment_input("F-1", "1", f"R-{i}") for i in range(3)], "payments"
    response = await client.post(path, json={key: body}, headers=auth())
    assert response.status_code == 413
    assert response.json() == {
        "error": f"the request carries 3 {key}; at most 2 are accepted per request "
        "(PORTAL_MAX_BATCH_ITEMS)"
    }
    assert invoices_stored(engine) == 0 and payments_stored(engine) == 0


async def test_a_csv_with_more_invoices_than_the_limit_is_a_413(client, engine, monkeypatch):
    limit_batches_to(monkeypatch, 2)
    headers = {**auth(), "Content-Type": "text/csv"}
    # Three lines of one invoice are one item...
    one = CSV_HEADER + csv_row("C-1") + csv_row("C-1", "Móvil") + csv_row("C-1", "TV")
    accepted = await client.post("/api/v1/invoices", content=one.encode(), headers=headers)
    assert accepted.status_code == 200 and invoices_stored(engine) == 1
    # ...three invoices are three.
    three = CSV_HEADER + csv_row("C-2") + csv_row("C-3") + csv_row("C-4")
    response = await client.post("/api/v1/invoices", content=three.encode(), headers=headers)
    assert response.status_code == 413
    assert "carries 3 invoices; at most 2" in response.json()["error"]
    assert "PORTAL_MAX_BATCH_ITEMS" in response.json()["error"]
    assert invoices_stored(engine) == 1


async def test_a_csv_field_over_the_csv_module_limit_is_a_400(client, engine):
    # The csv module raises csv.Error past 128 KiB in one field.
    body = CSV_HEADER + csv_row("C-1", "x" * 200_000)
    response = await client.post(
        "/api/v1/invoices", content=body.encode(), headers={**auth(), "Content-Type": "text/csv"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("malformed CSV at line 2: field larger than")
    assert invoices_stored(engine) == 0


async def test_a_numeric_string_longer_than_decimal_precision_is_a_422(client, engine):
    # quantize() raised InvalidOperation on 40 digits, past the context's 28.
    body = [invoice_input("F-1", lines=[line_input(unit_price="9" * 40)])]
    response = await client.post("/api/v1/invoices", json=body, headers=auth())
    assert response.status_code == 422
    assert response.json()["results"][0]["errors"] == [
        {"field": "lines[0].unit_price", "message": "is too large"}
    ]
    assert invoices_stored(engine) == 0


async def test_amounts_the_database_cannot_store_are_a_422(client, engine):
    # Accepted, signed, then an OverflowError (SQLite) or "integer out of
    # range" (PostgreSQL's 32-bit INTEGER) at INSERT time.
    huge = invoice_input("F-1", lines=[line_input(quantity="999999999999", unit_price="999999")])
    big = invoice_input("F-2", lines=[line_input(quantity="1000", unit_price="30000")])
    response = await client.post("/api/v1/invoices", json=[huge, big], headers=auth())
    assert response.status_code == 422
    fields = [[e["field"] for e in r["errors"]] for r in response.json()["results"]]
    assert fields == [["lines[0].quantity", "lines[0].unit_price", "total"], ["total"]]
    assert "at most 21474836.47" in response.json()["results"][1]["errors"][0]["message"]
    assert invoices_stored(engine) == 0


async def test_a_nul_character_in_invoice_text_is_a_422(client, engine):
    # PostgreSQL refuses NUL in text; SQLite stored it.
    body = [invoice_input("F-1", customer=customer_input(name="Ana\x00Martín"))]
    response = await client.post("/api/v1/invoices", json=body, headers=auth())
    assert response.status_code == 422
    assert response.json()["results"][0]["errors"] == [
        {"field": "customer.name", "message": "must not contain control characters"}
    ]
    assert invoices_stored(engine) == 0


async def test_a_nul_character_in_a_payment_reference_is_a_422(client, engine):
    await client.post("/api/v1/invoices", json=[invoice_input("F-1")], headers=auth())
    body = [payment_input("F-1", "1", "R-\x00-1")]
    response = await client.post("/api/v1/payments", json=body, headers=auth())
    assert response.status_code == 422
    assert response.json()["results"][0]["errors"] == [
        {"field": "reference", "message": "must not contain control characters"}
    ]
    assert invoices_stored(engine) == 1  # the one published above
    assert payments_stored(engine) == 0 and paid_cents(engine, "F-1") == 0


@pytest.mark.parametrize(
    ("declared", "status"),
    [
        ("²".encode("latin-1"), 200),  # "²".isdigit() is true, but int("²") raises
        (b"9" * 5000, 413),  # int() refuses more than 4,300 digits
    ],
)
async def test_a_content_length_int_cannot_read_is_handled(client, engine, declared, status):
    headers = {**auth(), "Content-Type": "application/json", "Content-Length": declared}
    response = await client.post("/api/v1/invoices", content=b"[]", headers=headers)
    # Unreadable: ignored, the body is read up to the limit (here "[]").
    assert response.status_code == status
    assert invoices_stored(engine) == 0
