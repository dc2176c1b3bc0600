"""What a timed publishing run produced, checked as anyone would check it: pdfsig and pyHanko.

A rate means nothing if the PDFs it counted do not verify. ``bench/publishing.py``
hands this module the database of its 1-to-60-line run. This module reads back
the published invoices with the fewest and the most lines and a few drawn at
random, and checks each one:

- ``pdfsig`` (poppler, independent of our code) says its signature is valid;
- pyHanko says it is valid, intact, covering the whole file and trusted by
  the run's demo root;
- the same PDF with one byte changed inside the signed content fails both.

Any failure stops the benchmark before it reports a rate.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from customer_portal import db
from customer_portal.documents.verify import load_certificates, verify_pdf
from tests.pdf_checks import flip_one_byte, pdfsig

#: How many published invoices are checked besides the shortest and the longest.
DRAWN = 6
VALID = "Signature Validation: Signature is Valid."


@dataclass(frozen=True)
class Checked:
    """How many invoices were checked, and their line counts (fewest, most)."""

    invoices: int
    fewest_lines: int
    most_lines: int


def _published(url: str) -> list[tuple[str, int, bytes]]:
    """``(number, lines, signed pdf)`` of the shortest, the longest and a few drawn invoices."""
    engine = db.create_db_engine(url)
    try:
        with engine.connect() as connection:
            counts = connection.execute(
                sa.text(
                    "SELECT invoice.id, invoice.number, count(invoice_line.id) AS lines"
                    " FROM invoice JOIN invoice_line ON invoice_line.invoice_id = invoice.id"
                    " GROUP BY invoice.id, invoice.number ORDER BY lines, invoice.id"
                )
            ).all()
            if not counts:
                raise SystemExit("the publishing run stored no invoice to check")
            drawn = random.Random(7).sample(counts[1:-1], min(DRAWN, max(len(counts) - 2, 0)))
            chosen = {row.id: row for row in [counts[0], counts[-1], *drawn]}
            pdfs = dict(
                connection.execute(
                    sa.text(
                        "SELECT invoice_id, pdf FROM signed_document WHERE invoice_id IN :ids"
                    ).bindparams(sa.bindparam("ids", expanding=True)),
                    {"ids": list(chosen)},
                ).all()
            )
    finally:
        engine.dispose()
    return [(row.number, row.lines, bytes(pdfs[row.id])) for row in chosen.values()]


def check_published(url: str, trust_root: Path) -> Checked:
    """Check the run's published PDFs (see the module); raise SystemExit on the first failure."""
    roots = load_certificates([trust_root])
    invoices = _published(url)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for number, lines, pdf in invoices:
            what = f"published invoice {number} ({lines} lines)"
            if VALID not in pdfsig(pdf, folder):
                raise SystemExit(f"pdfsig does not find the signature of {what} valid")
            report = verify_pdf(pdf, roots)
            if not (report.valid and report.intact and report.trusted):
                raise SystemExit(f"pyHanko does not find {what} valid and trusted")
            if not report.covers_whole_file:
                raise SystemExit(f"the signature of {what} does not cover the whole file")
            # Inside the signed content: the invoice's own bytes, well before the signature.
            changed = flip_one_byte(pdf, len(pdf) // 3)
            if VALID in pdfsig(changed, folder) or verify_pdf(changed, roots).valid:
                raise SystemExit(f"{what} still verifies with one byte changed")
    lines = [lines for _number, lines, _pdf in invoices]
    return Checked(len(invoices), min(lines), max(lines))
