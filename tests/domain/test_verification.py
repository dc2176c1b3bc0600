"""Verification codes: random, forgiving to type, looked up in one query, rate-limited."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import sqlalchemy as sa
import zxingcpp
from PIL import Image
from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.domain import verification
from customer_portal.domain.verification import (
    ALPHABET,
    LENGTH,
    LOOKUP_LIMIT,
    LOOKUP_WINDOW,
    admit_lookup,
    find_by_code,
    grouped,
    new_code,
    normalize,
    too_many_lookups,
)
from customer_portal.models import Invoice, PublicLookup, SignedDocument, utcnow
from tests.factories import invoice_input


def test_codes_are_random_100_bit_and_read_aloud_in_groups():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert len(ALPHABET) ** LENGTH >= 2**100
    assert not set("ILOU") & set(ALPHABET)
    assert grouped("7KQ29XMD4H1BZC0RW5TE") == "7KQ2-9XMD-4H1B-ZC0R-W5TE"


def test_typing_is_forgiving_but_only_a_code_is_a_code():
    code = "7KQ29XMD4H1BZC0RW5TE"
    for typed in (code, grouped(code), grouped(code).lower(), " 7kq2 9xmd 4h1b zcOr w5te "):
        assert normalize(typed) == code
    assert normalize("7KQ2-9XMD-4HIB-ZC0R-W5TE") == code  # I read as 1
    for wrong in ("", code[:-1], code + "7", "7KQ2-9XMD-4H1B-ZC0R-W5T!", "U" * 20, "x" * 10_000):
        assert normalize(wrong) is None


def test_a_published_invoice_has_a_code_printed_and_in_its_qr(publisher, engine, tmp_path):
    publisher.publish(invoice_input("F-CSV-1"))
    with unit_of_work(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == "F-CSV-1")).one()
        pdf = session.exec(
            select(SignedDocument.pdf).where(SignedDocument.invoice_id == invoice.id)
        ).one()
    code = invoice.verification_code
    assert normalize(code) == code
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert f"Código seguro de verificación: {grouped(code)}" in text
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "p")], check=True)
    scanned = [b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "p-1.png"))]
    assert scanned == [f"http://localhost:3000/verificar?codigo={grouped(code)}"]

    # Published again unchanged: the same invoice, the same code.
    publisher.publish(invoice_input("F-CSV-1"))
    with unit_of_work(engine) as session:
        again = session.exec(select(Invoice).where(Invoice.number == "F-CSV-1")).one()
    assert again.verification_code == code


def test_a_code_finds_its_invoice_and_nothing_else_in_one_query(publisher, engine):
    publisher.publish(invoice_input("F-CSV-2"))
    with unit_of_work(engine) as session:
        code = session.exec(select(Invoice.verification_code)).one()
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with unit_of_work(engine, read_only=True) as session:
        found = find_by_code(session=session, typed=grouped(code).lower())
        unknown = find_by_code(session=session, typed=new_code())
        mistyped = find_by_code(session=session, typed="not a code at all")
    assert found is not None and found.number == "F-CSV-2" and found.status.value == "Pendiente"
    assert unknown is None and mistyped is None
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3  # a typo costs the same query as an unknown code


def test_an_address_gets_its_limit_then_waits_and_others_do_not(engine, monkeypatch):
    monkeypatch.setattr(verification, "LOOKUP_LIMIT", 5)
    now = utcnow()
    with unit_of_work(engine) as session:
        answers = [admit_lookup(session=session, ip="203.0.113.9", now=now) for _ in range(6)]
        other = admit_lookup(session=session, ip="198.51.100.1", now=now)
    assert answers[:5] == [None] * 5 and answers[5] == LOOKUP_WINDOW
    assert other is None
    later = now + LOOKUP_WINDOW + timedelta(seconds=1)
    with unit_of_work(engine) as session:
        assert admit_lookup(session=session, ip="203.0.113.9", now=later) is None
        # Every old check went, the other address's too: the table stays small.
        left = session.exec(select(PublicLookup)).all()
    assert [row.ip for row in left] == ["203.0.113.9"]
    assert "Espere 10 minutos" in too_many_lookups(LOOKUP_WINDOW)
    assert "Espere 1 minuto " in too_many_lookups(timedelta(seconds=5))
    assert LOOKUP_LIMIT >= 60  # an auditor checking a few dozen invoices is not stopped
