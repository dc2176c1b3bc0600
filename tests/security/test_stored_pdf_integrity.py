"""Someone with database access rewrites a stored signed PDF: it never leaves the portal.

Each test replays one way of changing the ``signed_document.pdf`` column by
SQL, leaving its recorded ``sha256`` and ``size`` alone, and checks that the
download route, the ``pdf`` command and ``verify-store`` all notice.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from tests.api.test_downloads import (
    api_client,
    cookie,
    flip_byte,
    mint,
    publish_two_customers,
    stored_pdf,
    tamper,
)
from tests.factories import invoice_input
from tests.test_cli import cli


@pytest.fixture
def customers(publisher, engine):
    return publish_two_customers(publisher, engine)


def append_in_sql(engine, number: str) -> None:
    """``SET pdf = pdf || <newline>``, as an operator would type it on each database.

    On SQLite ``||`` makes text, not a BLOB: the column then holds text that is
    not valid UTF-8, which must fail the check rather than crash the reader.
    """
    newline = "x'0a'" if engine.dialect.name == "sqlite" else "'\\x0a'::bytea"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"UPDATE signed_document SET pdf = pdf || {newline}"
                " WHERE invoice_id = (SELECT id FROM invoice WHERE number = :number)"
            ),
            {"number": number},
        )


async def _download_refused(engine, customers, caplog) -> None:
    """Download F-2019/1 as its owner and check it is refused, on the page and in the log."""
    account, token = customers["CLI-TEST-1"]
    path = mint(engine, account, token)
    with caplog.at_level(logging.ERROR, logger="customer_portal.api.downloads"):
        async with api_client() as client:
            response = await client.get(path, headers=cookie(token))
    assert response.status_code == 500, response.status_code
    assert "Factura no disponible" in response.text
    assert b"%PDF" not in response.content
    assert "content-disposition" not in response.headers
    assert "F-2019/1" in caplog.text
    assert token not in caplog.text and path.rsplit("/", 1)[1] not in caplog.text


async def test_a_flipped_byte_of_the_same_size_is_not_downloaded(engine, customers, caplog):
    tamper(engine, "F-2019/1", flip_byte)
    await _download_refused(engine, customers, caplog)


async def test_another_customers_signed_pdf_copied_in_is_not_downloaded(engine, customers, caplog):
    # A genuine, validly signed PDF, so a signature check alone would pass it;
    # serving it would also show customer B's invoice to customer CLI-TEST-1.
    other = stored_pdf(engine, "G-1")
    tamper(engine, "F-2019/1", lambda _pdf: other)
    await _download_refused(engine, customers, caplog)


async def test_a_byte_appended_by_a_hand_written_update_is_not_downloaded(
    engine, customers, caplog
):
    append_in_sql(engine, "F-2019/1")
    await _download_refused(engine, customers, caplog)


def test_verify_store_lists_exactly_the_tampered_invoices(engine, publisher):
    for number in ("V-1", "V-2", "V-3", "V-4"):
        publisher.publish(invoice_input(number))
    tamper(engine, "V-2", flip_byte)
    append_in_sql(engine, "V-3")

    run = cli("verify-store", check_code=1)
    tampered = [line.split()[1] for line in run.stdout.splitlines() if line.startswith("TAMPERED")]
    assert tampered == ["V-2:", "V-3:"]
    assert "4 signed PDFs checked: 2 intact, 2 tampered" in run.stdout


def test_verify_store_finds_tampering_in_every_batch(engine, publisher):
    from customer_portal.documents.integrity import verify_store

    numbers = [f"B-{i}" for i in range(5)]
    for number in numbers:
        publisher.publish(invoice_input(number))
    for number in (numbers[1], numbers[4]):  # one inside a batch, one alone in the last
        tamper(engine, number, lambda pdf: pdf[:-10])

    batches: list[int] = []
    report = verify_store(engine=engine, batch_size=2, progress=batches.append)
    assert [m.number for m in report.mismatches] == ["B-1", "B-4"]
    assert (report.checked, batches) == (5, [2, 2, 1])


def test_the_pdf_command_does_not_write_a_tampered_pdf(engine, publisher, tmp_path):
    publisher.publish(invoice_input("P-1"))
    tamper(engine, "P-1", flip_byte)
    output = tmp_path / "factura.pdf"
    run = cli("pdf", "P-1", "--output", str(output), check_code=1)
    assert "Refused" in run.stderr and "'P-1'" in run.stderr
    assert "does not match its record" in run.stderr
    assert not output.exists()
