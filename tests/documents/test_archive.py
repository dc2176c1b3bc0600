"""Archive timestamps (PAdES B-LTA) on stored invoices, against a live test PKI on loopback.

What must hold: the new timestamp only appends (the PDF customers already
hold stays a prefix, every earlier signature valid); the stored hash and
size move with the bytes in one transaction; pyHanko's validator, offline
after the PKI is gone, accepts the result as long-term validated; a PDF that
cannot be stamped, or whose stored bytes were tampered with, stays exactly as
it was; a rerun finds nothing to do.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.validation.ades import ades_lta_validation
from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.documents.archive import (
    AUDIT_ACTION,
    ArchiveError,
    ArchiveStamper,
    archive_due,
    count_due,
)
from customer_portal.documents.integrity import intact_pdf_by_number
from customer_portal.documents.render import render_invoice_pdf
from customer_portal.documents.verify import compare_with_original, verify_pdf
from customer_portal.domain.invoice_input import parse_invoice
from customer_portal.domain.publishing import Publisher
from customer_portal.models import AuditEvent, Invoice, SignedDocument, utcnow
from customer_portal.settings import Branding
from tests.documents.ltv_pki import LivePki, offline_spec
from tests.documents.test_long_term import signer_for
from tests.factories import invoice_input
from tests.test_cli import cli

LATER = timedelta(days=3)  # "now", as a run in three days would see it
AGE = timedelta(days=1)


@pytest.fixture
def live_pki(tmp_path):
    pki = LivePki(tmp_path / "pki")
    yield pki
    pki.stop()


def lta_offline(pdf: bytes, root) -> object:
    """pyHanko's AdES B-LTA validation with no network: only what the file carries."""
    spec = offline_spec(root)
    signature = PdfFileReader(BytesIO(pdf)).embedded_regular_signatures[0]
    return asyncio.run(ades_lta_validation(signature, spec)).ades_subindic


def stored(engine) -> dict[str, tuple[bytes, str, int, object]]:
    with unit_of_work(engine, read_only=True) as session:
        rows = session.exec(
            select(
                Invoice.number,
                SignedDocument.pdf,
                SignedDocument.sha256,
                SignedDocument.size,
                SignedDocument.archived_at,
            ).join(Invoice, Invoice.id == SignedDocument.invoice_id)
        ).all()
    return {number: (bytes(pdf), sha, size, at) for number, pdf, sha, size, at in rows}


@pytest.fixture
def published(engine, live_pki):
    publisher = Publisher(engine=engine, signer=signer_for(live_pki), branding=Branding())
    for number in ("F-ARC-1", "F-ARC-2", "F-ARC-3"):
        assert publisher.publish(invoice_input(number)).status == "published"
    return stored(engine)


def test_due_invoices_get_an_archive_timestamp_that_validates_offline(
    engine, live_pki, published, tmp_path
):
    stamper = ArchiveStamper(live_pki.tsa_url, [live_pki.root])
    # Just signed: nothing is due yet.
    assert count_due(engine=engine, older_than=AGE) == 0
    assert archive_due(engine=engine, stamper=stamper, older_than=AGE).stamped == []
    assert stored(engine) == published

    later = utcnow() + LATER
    assert count_due(engine=engine, older_than=AGE, now=later) == 3
    report = archive_due(engine=engine, stamper=stamper, older_than=AGE, now=later)
    assert sorted(report.stamped) == ["F-ARC-1", "F-ARC-2", "F-ARC-3"] and report.ok

    after = stored(engine)
    for number, (old_pdf, old_sha, _, old_at) in published.items():
        pdf, sha, size, archived_at = after[number]
        assert old_at is None and archived_at is not None
        assert pdf.startswith(old_pdf) and len(pdf) > len(old_pdf)  # appended, nothing rewritten
        assert sha == hashlib.sha256(pdf).hexdigest() != old_sha and size == len(pdf)
    with unit_of_work(engine, read_only=True) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == AUDIT_ACTION)).all()
        # Downloads read through the integrity check: the new record matches the new bytes.
        assert intact_pdf_by_number(session=session, number="F-ARC-1") == after["F-ARC-1"][0]
    assert sorted(e.subject for e in events) == ["F-ARC-1", "F-ARC-2", "F-ARC-3"]
    assert published["F-ARC-1"][1] in next(e.detail for e in events if e.subject == "F-ARC-1")

    # A rerun at the same moment: the timestamps just added are young.
    assert archive_due(engine=engine, stamper=stamper, older_than=AGE).stamped == []
    assert stored(engine) == after

    live_pki.stop()  # years later: the CA, its responders and the TSA are gone
    pdf = after["F-ARC-2"][0]
    assert lta_offline(pdf, live_pki.root) == AdESPassed.OK
    assert lta_offline(published["F-ARC-2"][0], live_pki.root) != AdESPassed.OK  # the control
    report = verify_pdf(pdf, [live_pki.root])
    assert report.valid and report.archived and not report.problems
    assert any(line.startswith("Archive timestamp: ") for line in report.lines())
    path = tmp_path / "lta.pdf"
    path.write_bytes(pdf)
    pdfsig = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True)
    assert "Signature is Valid." in pdfsig.stdout


def test_a_second_archive_timestamp_extends_the_chain(engine, live_pki, published):
    stamper = ArchiveStamper(live_pki.tsa_url, [live_pki.root])
    archive_due(engine=engine, stamper=stamper, older_than=AGE, now=utcnow() + LATER)
    first = stored(engine)
    report = archive_due(engine=engine, stamper=stamper, older_than=AGE, now=utcnow() + 2 * LATER)
    assert len(report.stamped) == 3
    second = stored(engine)["F-ARC-3"][0]
    assert second.startswith(first["F-ARC-3"][0])
    assert len(PdfFileReader(BytesIO(second)).embedded_timestamp_signatures) == 2
    live_pki.stop()
    assert lta_offline(second, live_pki.root) == AdESPassed.OK


def test_without_the_tsa_nothing_changes_and_the_run_says_so(engine, live_pki, published):
    stamper = ArchiveStamper(live_pki.tsa_url, [live_pki.root])
    live_pki.stop()
    report = archive_due(engine=engine, stamper=stamper, older_than=AGE, now=utcnow() + LATER)
    assert not report.ok and report.stamped == []
    assert sorted(number for number, _ in report.failed) == ["F-ARC-1", "F-ARC-2", "F-ARC-3"]
    assert stored(engine) == published


def test_a_tampered_pdf_is_reported_not_stamped(engine, live_pki, published):
    with unit_of_work(engine) as session:
        invoice_id = session.exec(select(Invoice.id).where(Invoice.number == "F-ARC-2")).one()
        document = session.exec(
            select(SignedDocument).where(SignedDocument.invoice_id == invoice_id)
        ).one()
        damaged = bytearray(document.pdf)
        damaged[500] ^= 0x01
        document.pdf = bytes(damaged)
    stamper = ArchiveStamper(live_pki.tsa_url, [live_pki.root])
    report = archive_due(engine=engine, stamper=stamper, older_than=AGE, now=utcnow() + LATER)
    assert sorted(report.stamped) == ["F-ARC-1", "F-ARC-3"]
    assert [n for n, _ in report.failed] == ["F-ARC-2"]
    assert "does not match its record" in report.failed[0][1]
    assert stored(engine)["F-ARC-2"][0] == bytes(damaged)


def test_a_pdf_rewritten_meanwhile_is_left_to_the_other_writer(engine, live_pki, published):
    real = ArchiveStamper(live_pki.tsa_url, [live_pki.root])

    class RacedStamper:
        """Another run writes the row while this one waits for the TSA."""

        def stamp(self, pdf: bytes) -> bytes:
            stamped = real.stamp(pdf)
            with unit_of_work(engine) as session:
                session.connection().execute(
                    sa.update(SignedDocument.__table__)
                    .where(SignedDocument.__table__.c.sha256 == hashlib.sha256(pdf).hexdigest())
                    .values(sha256="0" * 64)
                )
            return stamped

    report = archive_due(
        engine=engine, stamper=RacedStamper(), older_than=AGE, now=utcnow() + LATER
    )
    assert report.stamped == [] and len(report.changed_meanwhile) == 3
    assert all(pdf == published[n][0] for n, (pdf, *_rest) in stored(engine).items())


def test_the_pdf_from_before_the_archive_timestamp_is_still_the_original(live_pki):
    unsigned = render_invoice_pdf(parse_invoice(invoice_input("F-ARC-9")), Branding())
    issued = signer_for(live_pki).sign(unsigned).pdf
    archived = ArchiveStamper(live_pki.tsa_url, [live_pki.root]).stamp(issued)
    roots = [live_pki.root]

    answer = compare_with_original(issued, archived, roots)
    assert answer.identical and answer.tone == "green"
    assert "antes de su sello de tiempo de archivo" in answer.text
    assert "intacta y es de confianza" in answer.text
    assert compare_with_original(archived, archived, roots).identical
    # Other prefixes of the original are not it: the unsigned render, a file cut short.
    for not_it in (unsigned, issued[:-200], archived[: len(issued) + 100]):
        assert not compare_with_original(not_it, archived, roots).identical
    # Before any archive timestamp, a shorter revision is not "from before" one.
    signed_revision = PdfFileReader(BytesIO(issued)).embedded_regular_signatures[0]
    end = sum(int(n) for n in list(signed_revision.sig_object["/ByteRange"])[2:])
    assert end < len(issued)  # B-LT: the revocation data came after the signature
    assert not compare_with_original(issued[:end], issued, roots).identical


def test_a_stamp_that_does_not_append_is_refused(live_pki):
    stamper = ArchiveStamper(live_pki.tsa_url, [live_pki.root])
    with pytest.raises(ArchiveError):
        stamper.stamp(b"%PDF-1.7\nnot really a pdf\n%%EOF\n")


def test_the_command_stamps_what_is_due_and_a_rerun_has_nothing_to_do(
    engine, live_pki, published, monkeypatch
):
    monkeypatch.delenv("PORTAL_TSA_URL", raising=False)
    refused = cli("archive-timestamp", check_code=2)
    assert "PORTAL_TSA_URL" in refused.stderr

    monkeypatch.setenv("PORTAL_TSA_URL", live_pki.tsa_url)
    monkeypatch.setenv("PORTAL_TRUST_ROOTS", str(live_pki.root_pem))
    young = cli("archive-timestamp", check_code=0)
    assert "0 archive timestamps added, 0 failed (last timestamp older than 730 days)" in (
        young.stdout
    )
    run = cli("archive-timestamp", "--older-than-days", "0", check_code=0)
    assert "3 archive timestamps added, 0 failed" in run.stdout
    assert all(at is not None for *_rest, at in stored(engine).values())
    monkeypatch.setenv("PORTAL_ARCHIVE_TIMESTAMP_AGE_DAYS", "1")
    assert "0 archive timestamps added" in cli("archive-timestamp", check_code=0).stdout

    live_pki.stop()
    failed = cli("archive-timestamp", "--older-than-days", "0", check_code=1)
    assert (
        failed.stdout.count("FAILED F-ARC-") == 3 and "0 archive timestamps added" in failed.stdout
    )
