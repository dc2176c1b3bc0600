"""Mis facturas as a file for the customer's bookkeeping: CSV for Spanish Excel, and XLSX.

The CSV is what Excel opens correctly in Spain with a double click: columns
separated by semicolons (the comma is the decimal mark there), amounts with
a decimal comma and no thousands mark, dates dd/mm/aaaa, UTF-8 with a byte
order mark (without it Excel reads "Ã³" for "ó"), CRLF line ends. The XLSX
holds real numbers and dates, formatted the same way.

Both are written row by row from :func:`all_invoice_rows`: a customer with
50,000 invoices gets them streamed, never all in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import xlsxwriter

from customer_portal.domain.invoice_search import InvoiceRow
from customer_portal.domain.status import status_label
from customer_portal.i18n import N_, _

#: The columns' titles (msgids: the files are written in the current language).
HEADER = (
    N_("Número"),
    N_("Fecha"),
    N_("Vencimiento"),
    N_("Moneda"),
    N_("Total"),
    N_("Pendiente"),
    N_("Estado"),
)
#: Rows per piece of a streamed CSV.
_ROWS_PER_PIECE = 500
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _amount(cents: int) -> str:
    """``1210,50``: the decimal comma, no thousands mark (Excel in Spain reads it as a number)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole},{rest:02d}"


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _status(row: InvoiceRow) -> str:
    return status_label(row.status, row.overdue).text


def csv_pieces(
    rows: Iterable[InvoiceRow], *, file_column: Callable[[InvoiceRow], str] | None = None
) -> Iterator[bytes]:
    """The CSV file, in pieces of a few hundred rows, the first starting with the BOM.

    ``file_column`` adds an «Archivo» column (a ZIP's manifest: each PDF's name in it).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    titles = tuple(_(title) for title in HEADER)
    writer.writerow(titles + ((_("Archivo"),) if file_column else ()))
    count = 0
    for row in rows:
        cells = (
            _text(row.number),
            _date(row.issue_date),
            _date(row.due_date),
            row.currency,
            _amount(row.total_cents),
            _amount(row.pending_cents),
            _status(row),
        )
        writer.writerow(cells + ((_text(file_column(row)),) if file_column else ()))
        count += 1
        if count % _ROWS_PER_PIECE == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(rows: Iterable[InvoiceRow], path: Path) -> None:
    """The XLSX file at ``path``: numbers as numbers, dates as dates, one row at a time."""
    # constant_memory: each row goes to disk once the next begins.
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(_("Facturas"))
    bold = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    for column, (title, width) in enumerate(zip(HEADER, (16, 12, 12, 8, 14, 14, 30), strict=True)):
        sheet.set_column(column, column, width)
        sheet.write_string(0, column, _(title), bold)
    sheet.freeze_panes(1, 0)
    for index, row in enumerate(rows, start=1):
        sheet.write_string(index, 0, row.number)
        sheet.write_datetime(index, 1, row.issue_date, day)
        if row.due_date:
            sheet.write_datetime(index, 2, row.due_date, day)
        sheet.write_string(index, 3, row.currency)
        sheet.write_number(index, 4, row.total_cents / 100, money)
        sheet.write_number(index, 5, row.pending_cents / 100, money)
        sheet.write_string(index, 6, _status(row))
    workbook.close()
