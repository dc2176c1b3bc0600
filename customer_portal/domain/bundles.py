"""Several invoices in one ZIP: their signed PDFs, byte for byte, and a ``facturas.csv``.

The ZIP is written as it is sent: each PDF read from the database a few at
a time, checked against its recorded hash as a single download is, and
stored in the ZIP uncompressed (PDFs are compressed already); the manifest
last, once it knows which PDFs made it in. So 5,000 invoices cost the memory of a few,
and the first bytes leave before the last PDF is read. A PDF that fails its
check is left out and its row in the manifest says so; the operator's log
says which.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.documents.integrity import check_pdf
from customer_portal.domain.downloads import download_filename
from customer_portal.domain.exports import csv_pieces
from customer_portal.domain.invoice_search import InvoiceFilters, InvoiceRow, all_invoice_rows
from customer_portal.i18n import _
from customer_portal.models import Invoice, SignedDocument

log = logging.getLogger(__name__)

#: Invoices one ZIP may hold: "todas las filtradas" beyond it asks to narrow.
MAX_INVOICES = 5000
MANIFEST = "facturas.csv"
#: PDFs read per query.
_PER_READ = 50


class TooManyInvoices(Exception):
    """More invoices match than one ZIP may hold."""


class _Pipe:
    """A write-only file whose bytes are taken out as they come (ZipFile writes to it)."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._written = 0

    def write(self, data: bytes) -> int:
        self._pieces.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._pieces = b"".join(self._pieces), []
        return data


def choose(
    *,
    session: Session,
    customer_id: int,
    filters: InvoiceFilters,
    today: date,
    numbers: Sequence[str] | None = None,
) -> list[tuple[int, InvoiceRow]]:
    """The invoices a ZIP will hold, in the list's order; raises TooManyInvoices past the limit."""
    chosen = list(
        all_invoice_rows(
            session=session,
            customer_id=customer_id,
            filters=filters,
            today=today,
            numbers=numbers,
            limit=MAX_INVOICES + 1,
        )
    )
    if len(chosen) > MAX_INVOICES:
        raise TooManyInvoices
    return chosen


def zip_pieces(
    *, session: Session, chosen: list[tuple[int, InvoiceRow]], now: datetime
) -> Iterator[bytes]:
    """The ZIP of ``chosen`` (from :func:`choose`), in pieces of about one PDF each."""
    pipe = _Pipe()
    stamp = now.timetuple()[:6]
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED) as bundle:
        included: set[str] = set()
        # The PDFs first, so the manifest can say which could not be included.
        for start in range(0, len(chosen), _PER_READ):
            ids = [invoice_id for invoice_id, _row in chosen[start : start + _PER_READ]]
            for number, pdf, sha256, size in session.exec(
                select(
                    Invoice.number,
                    sa.cast(col(SignedDocument.pdf), sa.LargeBinary),
                    SignedDocument.sha256,
                    SignedDocument.size,
                )
                .join(SignedDocument, col(SignedDocument.invoice_id) == col(Invoice.id))
                .where(col(Invoice.id).in_(ids))
                .order_by(col(Invoice.id))
            ):
                mismatch = check_pdf(number, pdf, sha256=sha256, size=size)
                if mismatch is not None:
                    log.error(
                        "left invoice %r out of a ZIP: its stored signed PDF does not match its"
                        " record (%s)",
                        number,
                        mismatch.describe(),
                    )
                    continue
                bundle.writestr(zipfile.ZipInfo(download_filename(number), stamp), bytes(pdf))
                included.add(number)
                yield pipe.take()
        missing = _("No disponible")
        manifest = b"".join(
            csv_pieces(
                (row for _invoice_id, row in chosen),
                file_column=lambda row: (
                    download_filename(row.number) if row.number in included else missing
                ),
            )
        )
        bundle.writestr(zipfile.ZipInfo(MANIFEST, stamp), manifest, zipfile.ZIP_DEFLATED)
    yield pipe.take()
