"""/verificar's HTTP routes: compare an upload, download the original; for anyone, limited."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from customer_portal.api.app import build_api
from customer_portal.api.edge import build_edge
from customer_portal.api.verification import MAX_UPLOAD_BYTES, NO_FILE, TOO_BIG
from customer_portal.db import unit_of_work
from customer_portal.domain import verification
from customer_portal.domain.flash import read_flash
from customer_portal.domain.verification import NOT_FOUND, grouped
from customer_portal.models import Invoice, SignedDocument
from tests.factories import invoice_input

ORIGIN = "http://localhost:3000"


@pytest.fixture
async def client(engine, settings):
    app = build_edge(settings)(build_api())
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 5000))
    async with httpx.AsyncClient(
        transport=transport, base_url=ORIGIN, headers={"Origin": ORIGIN}
    ) as client:
        yield client


@pytest.fixture
def published(publisher, engine):
    publisher.publish(invoice_input("F-VER-1"))
    with unit_of_work(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "F-VER-1")).one()
        pdf = session.exec(
            select(SignedDocument.pdf).where(SignedDocument.invoice_id == invoice.id)
        ).one()
    return grouped(invoice.verification_code), pdf


def answer(response: httpx.Response, settings) -> tuple[str, str, str]:
    """Where the 303 leads (its code) and the message it carries, with its tone."""
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    flash = read_flash(settings.secret_key, query.get("aviso", [""])[0])
    return query.get("codigo", [""])[0], flash.text if flash else "", flash.tone if flash else ""


async def upload(client, code: str, content: bytes | None):
    files = (
        {"archivo": ("factura.pdf", content, "application/pdf")} if content is not None else None
    )
    return await client.post("/verificar/comprobar", data={"codigo": code}, files=files)


async def test_the_original_uploaded_is_identical_and_anything_else_is_not(
    client, published, settings
):
    code, pdf = published
    said = answer(await upload(client, code.lower(), pdf), settings)
    assert said[0] == code and "idéntico, byte a byte" in said[1] and said[2] == "green"
    tampered = bytearray(pdf)
    tampered[len(pdf) // 3] ^= 0x01
    said = answer(await upload(client, code, bytes(tampered)), settings)
    assert said[1].startswith("El archivo no es la factura original") and said[2] == "red"


async def test_unknown_and_mistyped_codes_get_the_same_answer(client, published, settings):
    _, pdf = published
    unknown = answer(await upload(client, "7KQ2-9XMD-4H1B-ZC0R-W5TE", pdf), settings)
    mistyped = answer(await upload(client, "nonsense", pdf), settings)
    assert unknown[1] == mistyped[1] == NOT_FOUND
    for path in ("/verificar/original?codigo=7KQ2-9XMD-4H1B-ZC0R-W5TE", "/verificar/original"):
        refused = await client.get(path)
        assert refused.status_code == 404 and NOT_FOUND in refused.text


async def test_no_file_and_too_big_a_file_are_told_and_change_nothing(client, published, settings):
    code, _ = published
    assert answer(await upload(client, code, None), settings)[1] == NO_FILE
    big = answer(await upload(client, code, b"%PDF" + b"0" * MAX_UPLOAD_BYTES), settings)
    assert big[1] == TOO_BIG


async def test_the_original_downloads_byte_for_byte(client, published):
    code, pdf = published
    response = await client.get(f"/verificar/original?codigo={code}")
    assert response.status_code == 200 and response.content == pdf
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="Factura-F-VER-1.pdf"' in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"


async def test_an_address_over_its_limit_waits(client, published, settings, monkeypatch):
    code, pdf = published
    monkeypatch.setattr(verification, "LOOKUP_LIMIT", 3)
    for _ in range(3):
        assert (await client.get(f"/verificar/original?codigo={code}")).status_code == 200
    refused = await client.get(f"/verificar/original?codigo={code}")
    assert refused.status_code == 429 and "Demasiadas comprobaciones" in refused.text
    said = answer(await upload(client, code, pdf), settings)
    assert said[1].startswith("Demasiadas comprobaciones")


async def test_a_post_from_another_site_is_refused(client, published):
    code, pdf = published
    refused = await client.post(
        "/verificar/comprobar",
        data={"codigo": code},
        files={"archivo": ("f.pdf", pdf, "application/pdf")},
        headers={"Origin": "https://evil.example"},
    )
    assert refused.status_code == 403
