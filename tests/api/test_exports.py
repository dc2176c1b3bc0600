"""Exportar CSV / Excel over HTTP: the signed-in customer's filtered invoices, nobody else's."""

from __future__ import annotations

import csv
import io
import zipfile

import httpx

from customer_portal.api.app import build_api
from tests.api.test_downloads import publish_two_customers
from tests.factories import invoice_input


async def get(path: str, token: str | None, **params) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        if token:
            client.cookies.set("portal_session", token)
        return await client.get(path, params=params)


async def test_the_csv_holds_every_filtered_invoice_of_the_customer_only(publisher, engine):
    accounts = publish_two_customers(publisher, engine)
    for n in range(3):
        publisher.publish(invoice_input(f"F-EXP-{n}"))  # the same customer as F-2019/1
    _, token = accounts["CLI-TEST-1"]

    everything = await get("/facturas/exportar", token, formato="csv", por_pagina="10")
    assert everything.status_code == 200
    assert everything.headers["content-type"].startswith("text/csv")
    assert everything.headers["content-disposition"].startswith('attachment; filename="facturas-')
    rows = list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig")), delimiter=";"))
    numbers = sorted(r[0] for r in rows[1:])
    assert numbers == ["F-2019/1", "F-EXP-0", "F-EXP-1", "F-EXP-2"]  # not G-1: another's

    filtered = await get("/facturas/exportar", token, formato="csv", numero="EXP-1")
    rows = list(csv.reader(io.StringIO(filtered.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["F-EXP-1"]

    book = await get("/facturas/exportar", token, formato="xlsx", numero="EXP")
    assert book.status_code == 200 and book.headers["content-type"].endswith(".sheet")
    with zipfile.ZipFile(io.BytesIO(book.content)) as workbook:
        assert "xl/worksheets/sheet1.xml" in workbook.namelist()


async def test_the_xlsx_is_sent_whole_without_range_headers_and_its_file_removed(
    publisher, engine, monkeypatch, tmp_path
):
    """Headless Chromium cancelled 5 of 12 such downloads sent as a FileResponse (e2e)."""
    import tempfile

    accounts = publish_two_customers(publisher, engine)
    _, token = accounts["CLI-TEST-1"]
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    book = await get("/facturas/exportar", token, formato="xlsx")
    assert book.status_code == 200
    assert int(book.headers["content-length"]) == len(book.content) > 0
    assert not {"accept-ranges", "etag", "last-modified"} & set(book.headers)
    assert list(temporary.iterdir()) == []  # the workbook's folder went once it was sent


async def test_without_a_session_it_asks_to_sign_in_and_a_bad_format_is_refused(publisher, engine):
    accounts = publish_two_customers(publisher, engine)
    anonymous = await get("/facturas/exportar", None, formato="csv", numero="F")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/entrar?next=%2Ffacturas%3F")
    _, token = accounts["CLI-TEST-1"]
    assert (await get("/facturas/exportar", token, formato="pdf")).status_code == 400


async def test_a_zip_of_the_chosen_or_all_filtered_invoices_of_the_customer_only(
    publisher, engine, settings, monkeypatch
):
    from customer_portal.api import exports
    from customer_portal.domain import bundles

    accounts = publish_two_customers(publisher, engine)
    for n in range(3):
        publisher.publish(invoice_input(f"F-ZIP-{n}"))
    _, token = accounts["CLI-TEST-1"]
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        client.cookies.set("portal_session", token)
        chosen = await client.post(
            "/facturas/zip", data={"numero": ["F-ZIP-0", "F-ZIP-2", "G-1"]}
        )  # G-1 is another customer's
        assert chosen.status_code == 200 and chosen.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(chosen.content)) as zipped:
            assert sorted(zipped.namelist()) == [
                "Factura-F-ZIP-0.pdf",
                "Factura-F-ZIP-2.pdf",
                "facturas.csv",
            ]
            assert zipped.read("Factura-F-ZIP-0.pdf").startswith(b"%PDF")
        everything = await client.get("/facturas/zip", params={"numero": "ZIP"})
        with zipfile.ZipFile(io.BytesIO(everything.content)) as zipped:
            assert len([n for n in zipped.namelist() if n.endswith(".pdf")]) == 3

        nothing = await client.post("/facturas/zip?estado=pendiente", data={})
        assert nothing.status_code == 303
        assert nothing.headers["location"].startswith("/facturas?estado=pendiente&aviso=")
        monkeypatch.setattr(bundles, "MAX_INVOICES", 2)
        too_many = await client.get("/facturas/zip", params={"numero": "ZIP"})
        assert too_many.status_code == 303 and "aviso=" in too_many.headers["location"]
        assert exports._too_many().startswith("Hay más de 5.000 facturas")
