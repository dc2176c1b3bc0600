"""Exports of Mis facturas: Spanish Excel's CSV and a real XLSX, streamed."""

from __future__ import annotations

import csv
import io
import tracemalloc
import zipfile
from datetime import date

from customer_portal.domain.exports import HEADER, csv_pieces, write_xlsx
from customer_portal.domain.invoice_search import InvoiceRow
from customer_portal.domain.status import InvoiceStatus


def row(number="F-1", total=121050, pending=0, due=date(2026, 2, 1), overdue=False, **kw):
    status = kw.pop("status", InvoiceStatus.PAID if pending == 0 else InvoiceStatus.PENDING)
    return InvoiceRow(
        number=number,
        issue_date=date(2026, 1, 2),
        due_date=due,
        currency="EUR",
        total_cents=total,
        pending_cents=pending,
        status=status,
        overdue=overdue,
    )


def test_the_csv_is_what_excel_in_spain_opens():
    data = b"".join(
        csv_pieces(
            [
                row("F-1", 121050, 0),
                row("F/2;x", 5, 5, due=None, overdue=False),
                row("G-3", 99999, 40000, status=InvoiceStatus.PARTIALLY_PAID, overdue=True),
            ]
        )
    )
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, or Excel misreads "ó"
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and text.count("\r\n") == 4
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert tuple(rows[0]) == HEADER
    assert rows[1] == ["F-1", "02/01/2026", "01/02/2026", "EUR", "1210,50", "0,00", "Cobrado"]
    assert rows[2][0] == "F/2;x" and rows[2][2] == "" and rows[2][4] == "0,05"
    assert rows[3][6] == "Cobrado parcialmente · vencida"


def test_a_cell_that_would_be_a_formula_is_kept_as_text():
    text = b"".join(csv_pieces([row("=HYPERLINK(1)")])).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_the_csv_streams_in_pieces_with_memory_flat():
    def peak(count: int) -> int:
        rows = (row(f"F-{n}") for n in range(count))
        tracemalloc.start()
        for _ in csv_pieces(rows):
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    assert peak(5000) < 2 * peak(500) + 64 * 1024


def test_the_xlsx_holds_numbers_and_dates(tmp_path):
    path = tmp_path / "f.xlsx"
    write_xlsx([row("F-1", 121050, 0), row("F-2", 5, 5, due=None)], path)
    with zipfile.ZipFile(path) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = (
            book.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in (book.namelist())
            else sheet
        )
    assert "<v>1210.5</v>" in sheet and "<v>0.05</v>" in sheet
    assert "<v>46024</v>" in sheet  # 2026-01-02 as an Excel date serial
    assert "F-1" in strings and "Cobrado" in strings and "Número" in strings
