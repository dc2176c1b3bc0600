"""Are the stored signed PDFs still the bytes that were signed?

Publishing writes each signed PDF once, with its SHA-256 and size beside it,
and nothing in the portal ever updates it. Someone with write access to the
database could still change the bytes, so every way out of the store (the
customer's download, the ``pdf`` command) checks them against their record
first, and ``customer-portal verify-store`` checks the whole store.

The record lives in the same row as the bytes, so this catches a PDF changed
on its own (a flipped byte, a truncation, another invoice's PDF copied in),
not someone who also rewrites ``sha256`` and ``size``; verifying the PAdES
signature (:mod:`customer_portal.documents.verify`) is the check for that.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.db import unit_of_work
from customer_portal.models import Invoice, SignedDocument

# Enough of a hash to tell two apart in a log line or a report, not the whole record.
HASH_PREFIX_LENGTH = 12
# PDFs per read in verify-store: a few MB in memory at a time, whatever the store's size.
STORE_BATCH_SIZE = 50


@dataclass(frozen=True)
class Mismatch:
    """A stored PDF that is not what its record says was signed."""

    number: str
    expected_sha256: str
    actual_sha256: str
    expected_size: int
    actual_size: int

    def describe(self) -> str:
        """One line for an operator: hash prefixes and sizes, expected against found."""
        return (
            f"sha256 {_prefix(self.expected_sha256)} expected, "
            f"{_prefix(self.actual_sha256)} found; "
            f"{self.expected_size} bytes expected, {self.actual_size} found"
        )


class TamperedDocument(Exception):
    """The stored PDF of an invoice does not match its recorded hash or size."""

    def __init__(self, mismatch: Mismatch) -> None:
        super().__init__(f"the signed PDF of invoice {mismatch.number!r} does not match its record")
        self.mismatch = mismatch


def _prefix(sha256: str) -> str:
    return f"{sha256[:HASH_PREFIX_LENGTH]}..."


def check_pdf(number: str, pdf: bytes, *, sha256: str, size: int) -> Mismatch | None:
    """The mismatch between ``pdf`` and its record, or None when they agree."""
    data = bytes(pdf)
    actual = hashlib.sha256(data).hexdigest()
    # Constant time, so how much of the hash matches is not measurable from outside.
    same_hash = hmac.compare_digest(actual.encode("ascii"), sha256.encode("utf-8"))
    if same_hash and len(data) == size:
        return None
    return Mismatch(
        number=number,
        expected_sha256=sha256,
        actual_sha256=actual,
        expected_size=size,
        actual_size=len(data),
    )


def stored_rows():
    """``(id, number, pdf, sha256, size)`` of every signed PDF, to be filtered.

    The PDF is read through ``CAST(pdf AS BLOB)``: SQLite's dynamic typing lets
    an UPDATE leave text in this BLOB column (``pdf || x'00'`` does), which
    pysqlite then fails to decode as UTF-8 and raises on, so the damaged row
    would crash whoever reads it instead of failing the check. As a BLOB it
    reads back as its raw bytes. On PostgreSQL the cast changes nothing.
    """
    return select(
        SignedDocument.id,
        Invoice.number,
        sa.cast(col(SignedDocument.pdf), sa.LargeBinary),
        SignedDocument.sha256,
        SignedDocument.size,
    ).join(Invoice, col(Invoice.id) == col(SignedDocument.invoice_id))


def _read_intact(session: Session, condition: sa.ColumnElement[bool]) -> bytes | None:
    row = session.exec(stored_rows().where(condition)).first()
    if row is None:
        return None
    _id, number, pdf, sha256, size = row
    mismatch = check_pdf(number, pdf, sha256=sha256, size=size)
    if mismatch is not None:
        raise TamperedDocument(mismatch)
    return bytes(pdf)


def intact_pdf(*, session: Session, invoice_id: int) -> bytes | None:
    """The checked signed PDF of invoice ``invoice_id``; None if it has none.

    Raises:
        TamperedDocument: the stored bytes are not the ones that were signed.
    """
    return _read_intact(session, col(SignedDocument.invoice_id) == invoice_id)


def intact_pdf_by_number(*, session: Session, number: str) -> bytes | None:
    """The checked signed PDF of invoice ``number``; None if no such invoice is published.

    Raises:
        TamperedDocument: the stored bytes are not the ones that were signed.
    """
    return _read_intact(session, col(Invoice.number) == number)


@dataclass
class StoreReport:
    """What ``verify_store`` found: how many PDFs it checked, and which failed."""

    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Whether every checked PDF matched its record."""
        return not self.mismatches


def count_stored(*, session: Session) -> int:
    """How many signed PDFs the store holds (for a progress bar)."""
    return session.exec(select(sa.func.count()).select_from(SignedDocument)).one()


def verify_store(
    *,
    engine: sa.Engine,
    batch_size: int = STORE_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> StoreReport:
    """Check every stored signed PDF against its recorded hash and size.

    Reads ``batch_size`` rows at a time by keyset (``id`` after the last one
    seen), each batch in its own short transaction, rather than one long
    streaming cursor: SQLite transactions here begin IMMEDIATE, so a cursor
    held for a whole scan would lock out publishing and the web process, and
    on PostgreSQL it would pin one snapshot for the whole run. A PDF
    published during the scan is checked if its id comes after the cursor.
    That is why it takes ``engine``, not a session: it opens one unit of work
    per batch.

    Args:
        engine: the portal's database.
        batch_size: PDFs held in memory at once.
        progress: called with the number of PDFs checked in each batch.
    """
    report = StoreReport()
    last_id = 0
    while True:
        with unit_of_work(engine) as session:
            rows = session.exec(
                stored_rows()
                .where(col(SignedDocument.id) > last_id)
                .order_by(col(SignedDocument.id))
                .limit(batch_size)
            ).all()
        if not rows:
            return report
        for _id, number, pdf, sha256, size in rows:
            mismatch = check_pdf(number, pdf, sha256=sha256, size=size)
            if mismatch is not None:
                report.mismatches.append(mismatch)
        report.checked += len(rows)
        if progress is not None:
            progress(len(rows))
        last_id = rows[-1][0]
        del rows  # let this batch's PDFs go before the next one is read
