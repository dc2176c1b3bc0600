"""ZIPs of signed PDFs: each byte for byte, a manifest, streamed with memory flat, capped."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tracemalloc
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from customer_portal.db import unit_of_work
from customer_portal.domain import bundles
from customer_portal.domain.bundles import TooManyInvoices, choose, zip_pieces
from customer_portal.domain.invoice_search import parse_filters
from customer_portal.models import Invoice, SignedDocument, utcnow
from tests.factories import make_customer, make_invoice

TODAY = date(2026, 11, 28)


def store(engine, count: int, size: int = 8 * 1024) -> tuple[int, dict[str, bytes]]:
    """``count`` invoices of one customer, each with a random "PDF" of ``size`` bytes."""
    pdfs = {}
    with unit_of_work(engine) as session:
        customer = make_customer(session)
        for n in range(count):
            invoice = make_invoice(session, customer=customer, number=f"Z-{n:05d}")
            pdf = b"%PDF-1.7\n" + os.urandom(size)
            pdfs[invoice.number] = pdf
            session.execute(
                sa.insert(SignedDocument),
                [
                    {
                        "invoice_id": invoice.id,
                        "pdf": pdf,
                        "sha256": hashlib.sha256(pdf).hexdigest(),
                        "size": len(pdf),
                        "signed_at": utcnow(),
                        "signer_subject": "CN=test",
                        "signer_fingerprint": "0" * 64,
                        "timestamped": False,
                    }
                ],
            )
        return customer.id, pdfs


def bundle(engine, customer_id, numbers=None) -> bytes:
    with unit_of_work(engine, read_only=True) as session:
        chosen = choose(
            session=session,
            customer_id=customer_id,
            filters=parse_filters({}),
            today=TODAY,
            numbers=numbers,
        )
        return b"".join(zip_pieces(session=session, chosen=chosen, now=utcnow()))


def test_a_zip_holds_each_pdf_byte_for_byte_and_a_manifest(engine):
    customer_id, pdfs = store(engine, 5)
    with unit_of_work(engine) as session:  # another customer's invoice is never in it
        make_invoice(session, number="OTRO-1")
    data = bundle(engine, customer_id, numbers=["Z-00001", "Z-00003", "OTRO-1"])
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        assert zipped.testzip() is None
        names = sorted(zipped.namelist())
        assert names == ["Factura-Z-00001.pdf", "Factura-Z-00003.pdf", "facturas.csv"]
        assert zipped.read("Factura-Z-00003.pdf") == pdfs["Z-00003"]
        manifest = zipped.read("facturas.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(manifest), delimiter=";"))
    assert rows[0][-1] == "Archivo"
    assert sorted((r[0], r[-1]) for r in rows[1:]) == [
        ("Z-00001", "Factura-Z-00001.pdf"),
        ("Z-00003", "Factura-Z-00003.pdf"),
    ]


def test_a_pdf_that_fails_its_check_is_left_out_and_the_manifest_says_so(engine, caplog):
    customer_id, _ = store(engine, 3)
    with unit_of_work(engine) as session:
        invoice_id = session.scalar(sa.select(Invoice.id).where(Invoice.number == "Z-00002"))
        session.execute(
            sa.update(SignedDocument)
            .where(SignedDocument.invoice_id == invoice_id)
            .values(pdf=b"%PDF-1.7 changed")
        )
    with zipfile.ZipFile(io.BytesIO(bundle(engine, customer_id))) as zipped:
        assert "Factura-Z-00002.pdf" not in zipped.namelist()
        manifest = zipped.read("facturas.csv").decode("utf-8-sig")
    assert "Z-00002;" in manifest and "No disponible" in manifest
    assert "left invoice 'Z-00002' out of a ZIP" in caplog.text


def test_more_than_the_limit_is_refused(engine, monkeypatch):
    customer_id, _ = store(engine, 4, size=64)
    monkeypatch.setattr(bundles, "MAX_INVOICES", 3)
    with pytest.raises(TooManyInvoices):
        bundle(engine, customer_id)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_memory_stays_flat_for_5000_invoices(engine):
    # 5,000 PDFs of 16 KB: 80 MB through the ZIP, a few MB held at most (the
    # ZIP's directory and the manifest grow by about a kilobyte an invoice).
    customer_id, _ = store(engine, 5000, size=16 * 1024)
    with unit_of_work(engine, read_only=True) as session:
        chosen = choose(
            session=session, customer_id=customer_id, filters=parse_filters({}), today=TODAY
        )
        tracemalloc.start()
        total = sum(
            len(piece) for piece in zip_pieces(session=session, chosen=chosen, now=utcnow())
        )
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert len(chosen) == 5000 and total > 5000 * 16 * 1024
    assert peak < total / 10
