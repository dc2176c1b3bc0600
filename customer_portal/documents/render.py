"""The invoice PDF (reportlab): a clean Spanish A4 invoice.

Data and drawing are kept apart: :func:`line_rows`, :func:`tax_rows` and
:func:`total_rows` are pure and return the strings each table shows, so tests
check content without parsing a PDF; :func:`render_invoice_pdf` only lays
them out. Every page repeats the company header, the invoice number and the
table header, and says "Página n de m".

Its words are in the current language (:func:`customer_portal.i18n.use_language`,
set by whoever asks for the PDF): Spanish unless told otherwise.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

import zxingcpp
from PIL import Image
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from customer_portal import routes
from customer_portal.domain import formats
from customer_portal.domain.invoice_input import InvoiceData, TaxAgencyQr
from customer_portal.domain.verification import grouped
from customer_portal.i18n import N_, _, current_language
from customer_portal.settings import Branding

DEFAULT_LOGO = Path(__file__).with_name("logo.png")

# reportlab wraps binary streams (the logo) in ASCII85 text by default, in pure
# Python here: most of the rendering time left, for a PDF a fifth bigger. PDF
# has carried binary streams since 1.0. reportlab reads this setting when it
# writes, so it is set for the process, which only renders invoices.
rl_config.useA85 = 0

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
HEADER_HEIGHT = 38 * mm
FOOTER_HEIGHT = 14 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

BRAND = colors.HexColor("#0b5394")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#d0d7de")
ZEBRA = colors.HexColor("#f5f7fa")

#: The tables' headers, in Spanish: translated as each PDF is drawn.
LINE_HEADER = [
    N_("Descripción"),
    N_("Cantidad"),
    N_("Precio unitario"),
    N_("Impuesto"),
    N_("Importe"),
]
LINE_WIDTHS = [CONTENT_WIDTH - 98 * mm, 18 * mm, 28 * mm, 24 * mm, 28 * mm]
TAX_HEADER = [N_("Impuesto"), N_("Base imponible"), N_("Cuota")]
TAX_WIDTHS = [40 * mm, 40 * mm, 36 * mm]

_BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=11.5)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=10, textColor=MUTED)
_LABEL = ParagraphStyle("label", parent=_BODY, fontName="Helvetica-Bold", textColor=BRAND)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=8.5, leading=10.5)


def line_rows(invoice: InvoiceData) -> list[list[str]]:
    """The lines table as text, header first."""
    rows = [[_(label) for label in LINE_HEADER]]
    for line in invoice.lines:
        rows.append(
            [
                line.description,
                formats.quantity(line.quantity_milli),
                formats.unit_price(line.unit_price_e4, invoice.currency),
                f"{line.tax_name} {formats.rate(line.tax_rate_bp)}",
                formats.money(line.amount_cents, invoice.currency),
            ]
        )
    return rows


def tax_rows(invoice: InvoiceData) -> list[list[str]]:
    """The tax breakdown: one row per tax and rate (IGIC 7 %, IVA 21 %...)."""
    rows = [[_(label) for label in TAX_HEADER]]
    for group in invoice.totals.taxes:
        rows.append(
            [
                f"{group.name} {formats.rate(group.rate_bp)}",
                formats.money(group.base_cents, invoice.currency),
                formats.money(group.tax_cents, invoice.currency),
            ]
        )
    return rows


def total_rows(invoice: InvoiceData) -> list[list[str]]:
    """The totals box as ``[label, amount]`` rows: base, taxes, then the invoice total."""
    totals, currency = invoice.totals, invoice.currency
    return [
        [_("Base imponible"), formats.money(totals.subtotal_cents, currency)],
        [_("Impuestos"), formats.money(totals.tax_cents, currency)],
        [_("TOTAL FACTURA"), formats.money(totals.total_cents, currency)],
    ]


def detail_rows(invoice: InvoiceData) -> list[list[str]]:
    """The invoice's particulars beside the customer box, as ``[label, value]`` rows.

    Number, issue date, due date (only when the invoice has one) and customer code.
    """
    rows = [
        [_("Nº de factura"), invoice.number],
        [_("Fecha de emisión"), formats.short_date(invoice.issue_date)],
    ]
    if invoice.due_date:
        rows.append([_("Fecha de vencimiento"), formats.short_date(invoice.due_date)])
    rows.append([_("Código de cliente"), invoice.customer.code])
    return rows


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    # Paragraph reads a small markup language: escape so "<" or "&" in a
    # description print as themselves.
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


_TABLE_BASE = [
    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
    ("FONTSIZE", (0, 0), (-1, -1), 8.5),
    ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
    ("BACKGROUND", (0, 0), (-1, 0), BRAND),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
]


# The description column's room for text: its width less the table's padding.
_DESCRIPTION_ROOM = LINE_WIDTHS[0] - 12


def _fitted(text: str, style: ParagraphStyle, room: float) -> str | Paragraph:
    """``text`` as a table cell: a Paragraph only when it must wrap.

    A plain string is drawn as it is; a Paragraph is parsed as markup, measured
    word by word and laid out, which for a 20-line invoice was a fifth of the
    rendering time. Most descriptions and customer lines fit on one line.
    """
    if "\n" in text or stringWidth(text, style.fontName, style.fontSize) > room:
        return _paragraph(text, style)
    return text


def _description(text: str) -> str | Paragraph:
    """A description as the lines table draws it."""
    return _fitted(text, _CELL, _DESCRIPTION_ROOM)


def _lines_table(invoice: InvoiceData) -> Table:
    rows = line_rows(invoice)
    # Only the description can need wrapping. The figures are plain strings,
    # drawn directly; a Paragraph each was a fifth of the rendering time.
    body = [[_description(row[0]), *row[1:]] for row in rows[1:]]
    style = [
        *_TABLE_BASE,
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        *(("BACKGROUND", (0, i), (-1, i), ZEBRA) for i in range(2, len(rows), 2)),
    ]
    return Table([rows[0], *body], colWidths=LINE_WIDTHS, repeatRows=1, style=TableStyle(style))


def _tax_table(invoice: InvoiceData) -> Table:
    style = [*_TABLE_BASE, ("ALIGN", (1, 0), (-1, -1), "RIGHT")]
    return Table(tax_rows(invoice), colWidths=TAX_WIDTHS, hAlign="RIGHT", style=TableStyle(style))


def _totals_table(invoice: InvoiceData) -> Table:
    style = [
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
        ("FONTSIZE", (0, -1), (-1, -1), 11),
        ("TEXTCOLOR", (0, -1), (-1, -1), BRAND),
        ("LINEABOVE", (0, -1), (-1, -1), 1, BRAND),
        ("TOPPADDING", (0, -1), (-1, -1), 5),
    ]
    return Table(
        total_rows(invoice), colWidths=[40 * mm, 36 * mm], hAlign="RIGHT", style=TableStyle(style)
    )


# The customer box's room for text: its column less the box's padding.
_CUSTOMER_ROOM = CONTENT_WIDTH - 80 * mm - 14


def _customer_box(invoice: InvoiceData) -> Table:
    """The "Facturar a" box: the customer's name, tax id and address, one row per line.

    Rows of plain text where they fit, as in the lines table: a Paragraph is
    kept for a line too long for the box, which wraps.
    """
    customer = invoice.customer
    tax_id = _("NIF: {tax_id}").format(tax_id=customer.tax_id)
    lines = [customer.name, tax_id, *(customer.address or "").splitlines()]
    rows = [[_("Facturar a")]] + [
        [_fitted(text, _BODY, _CUSTOMER_ROOM)] for text in lines if text.strip()
    ]
    return Table(
        rows,
        colWidths=[_CUSTOMER_ROOM],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), _BODY.fontName),
                ("FONTSIZE", (0, 0), (-1, -1), _BODY.fontSize),
                ("LEADING", (0, 0), (-1, -1), _BODY.leading),
                ("FONTNAME", (0, 0), (0, 0), _LABEL.fontName),
                ("TEXTCOLOR", (0, 0), (0, 0), BRAND),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


def _parties(invoice: InvoiceData) -> Table:
    customer_cell = _customer_box(invoice)
    detail = Table(
        detail_rows(invoice),
        colWidths=[36 * mm, 40 * mm],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
    )
    return Table(
        [[customer_cell, detail]],
        colWidths=[CONTENT_WIDTH - 80 * mm, 80 * mm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (0, 0), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (0, 0), 8),
                ("TOPPADDING", (0, 0), (0, 0), 6),
                ("BOTTOMPADDING", (0, 0), (0, 0), 6),
            ]
        ),
    )


class NumberedCanvas(Canvas):
    """Holds pages back until the end so each can say "Página n de m"."""

    def __init__(self, *args, **kwargs):
        self._page_footer = kwargs.pop("page_footer")
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict] = []

    def showPage(self):  # noqa: N802 (reportlab's name)
        """Keep the page to draw its footer once the page count is known."""
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        """Draw every kept page with its footer ("Página n de m"), then write the file."""
        total = len(self._saved_pages)
        for page in self._saved_pages:
            self.__dict__.update(page)
            self._page_footer(self, self._pageNumber, total)
            super().showPage()
        super().save()


@functools.lru_cache(maxsize=4)
def _logo_jpeg(path: Path, modified: float) -> str:
    """The logo flattened on white as a JPEG file, made once per file version.

    reportlab decodes a PNG and compresses its pixels again for every PDF
    (a third of the rendering time for a one-page invoice); a JPEG it copies
    as it is. Given a file name it also names the image by that name, where
    an in-memory image is decoded and hashed pixel by pixel for every PDF.
    The header's background is white, so the flattening shows nothing.

    Returns:
        The JPEG's path, in the temporary folder, named by its content.
    """
    with Image.open(path) as image:
        rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    out = BytesIO()
    flat.save(out, "JPEG", quality=92, subsampling=0)
    jpeg = out.getvalue()
    target = _private_folder() / f"logo-{hashlib.sha256(jpeg).hexdigest()}.jpg"
    if not target.is_file():
        # Written aside and renamed: another process may be reading the same name.
        partial = target.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(jpeg)
        partial.replace(target)
    return str(target)


@functools.cache
def _private_folder() -> Path:
    """A folder only this user can write to, for the files rendering makes once.

    Signed invoices carry what is in it: in the shared temporary folder, a
    name known in advance could have been written first by another user.
    ``portal-<uid>`` (mode 0700) is reused across runs when it is ours and
    private; otherwise a fresh private folder is made.
    """
    folder = Path(tempfile.gettempdir()) / f"portal-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
            return folder
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="portal-"))


def draw_letterhead(
    canvas: Canvas, title: str, subtitle: str, branding: Branding, logo: Path | None
):
    """The company's header of every page: logo, legal details, ``title`` and ``subtitle``."""
    top = PAGE_HEIGHT - MARGIN
    if logo is not None and logo.is_file():
        canvas.drawImage(
            _logo_jpeg(logo, logo.stat().st_mtime),
            MARGIN,
            top - 16 * mm,
            width=40 * mm,
            height=16 * mm,
            preserveAspectRatio=True,
            anchor="sw",
        )
    else:
        canvas.setFont("Helvetica-Bold", 16)
        canvas.setFillColor(BRAND)
        canvas.drawString(MARGIN, top - 10 * mm, branding.company_name)

    right = PAGE_WIDTH - MARGIN
    canvas.setFillColor(colors.black)
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawRightString(right, top - 3 * mm, branding.legal_name)
    canvas.setFont("Helvetica", 8)
    canvas.setFillColor(MUTED)
    info = [
        _("NIF: {tax_id}").format(tax_id=branding.tax_id),
        branding.address,
        _("Tel. {phones}").format(phones=" · ".join(branding.phones)),
        branding.web,
    ]
    for i, text in enumerate(info, start=1):
        canvas.drawRightString(right, top - 3 * mm - i * 3.6 * mm, text)

    canvas.setFillColor(BRAND)
    canvas.setFont("Helvetica-Bold", 15)
    canvas.drawString(MARGIN, top - 27 * mm, title)
    canvas.setFont("Helvetica", 10)
    canvas.setFillColor(colors.black)
    canvas.drawString(
        MARGIN + stringWidth(title, "Helvetica-Bold", 15) + 4 * mm, top - 27 * mm, subtitle
    )
    canvas.setStrokeColor(BRAND)
    canvas.setLineWidth(1.2)
    canvas.line(MARGIN, top - 30 * mm, right, top - 30 * mm)


#: Side of the verification QR, in the bottom right corner of every page.
QR_SIZE = 16 * mm
_QR_FORM = "verification_qr"


def verification_link(portal_url: str, code: str) -> str:
    """What the QR of an invoice opens: /verificar with its code."""
    return f"{portal_url.rstrip('/')}{routes.VERIFY}?{urlencode({'codigo': grouped(code)})}"


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code of ``text`` (error correction M: a crease or a stamp still scans), dark=True.

    zxing-cpp encodes it in about half a millisecond; reportlab's own QR
    widget took 35 ms to encode and over 100 ms to draw an invoice's pages,
    ten times the rest of the rendering (see README, Publishing).
    """
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = memoryview(symbol.to_image(scale=1, add_quiet_zones=False))
    rows, columns = image.shape
    flat = image.tobytes()
    return [[flat[r * columns + c] < 128 for c in range(columns)] for r in range(rows)]


def qr_runs(modules: list[list[bool]]) -> Iterator[tuple[int, int, int]]:
    """``(row, first column, length)`` of each run of dark modules: one rectangle each."""
    for r, row in enumerate(modules):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            yield r, start, c - start


def _draw_qr(canvas: Canvas, modules: list[list[bool]], x: float, y: float, size: float) -> None:
    """``modules`` as one filled path: a rectangle per run of dark modules in a row."""
    cell = size / len(modules)
    path = canvas.beginPath()
    for r, start, length in qr_runs(modules):
        path.rect(x + start * cell, y + size - (r + 1) * cell, length * cell, cell)
    canvas.drawPath(path, stroke=0, fill=1)


#: The tax agency's QR: between 30 and 40 mm a side (Orden HAC/1177/2024 and the
#: agency's QR specification), error correction M, once, at the start of page 1.
TAX_AGENCY_QR_SIZE = 30 * mm
TAX_AGENCY_TITLE = "QR tributario:"  # not translated: the wording the regulation requires
#: What a VERI*FACTU system prints with it (the shorter of the two forms allowed).
VERIFACTU_PHRASE = "VERI*FACTU"


class _TaxAgencyQr(Flowable):
    """«QR tributario:», the agency's QR under it and, for VERI*FACTU, that phrase, centred."""

    def __init__(self, qr: TaxAgencyQr):
        super().__init__()
        self._qr = qr
        self._lines = 2 if qr.verifactu else 1

    def wrap(self, available_width, available_height):
        self._width = available_width
        return available_width, TAX_AGENCY_QR_SIZE + self._lines * 4.5 * mm + 2 * mm

    def draw(self):
        canvas = self.canv
        middle = self._width / 2
        height = self.wrap(self._width, 0)[1]
        canvas.setFont("Helvetica-Bold", 8)
        canvas.setFillColor(colors.black)
        canvas.drawCentredString(middle, height - 3 * mm, TAX_AGENCY_TITLE)
        bottom = height - 4.5 * mm - TAX_AGENCY_QR_SIZE
        _draw_qr(
            canvas,
            qr_modules(self._qr.url),
            middle - TAX_AGENCY_QR_SIZE / 2,
            bottom,
            TAX_AGENCY_QR_SIZE,
        )
        if self._qr.verifactu:
            canvas.drawCentredString(middle, bottom - 4 * mm, VERIFACTU_PHRASE)


def _draw_footer(canvas: Canvas, page: int, total: int, branding: Branding, invoice: InvoiceData):
    canvas.saveState()
    canvas.setFillColor(MUTED)
    right = PAGE_WIDTH - MARGIN
    y = MARGIN - 6 * mm
    if invoice.verification_code:
        # Every page carries the code and its QR: a page on its own can be checked.
        # The QR is one form, drawn on the first page and placed on every page.
        if not canvas.hasForm(_QR_FORM):
            link = verification_link(branding.portal_url, invoice.verification_code)
            canvas.beginForm(_QR_FORM, lowerx=0, lowery=0, upperx=QR_SIZE, uppery=QR_SIZE)
            canvas.setFillColor(colors.black)
            _draw_qr(canvas, qr_modules(link), 0, 0, QR_SIZE)
            canvas.endForm()
        canvas.saveState()
        canvas.translate(right - QR_SIZE, y - 6 * mm)
        canvas.doForm(_QR_FORM)
        canvas.restoreState()
        right -= QR_SIZE + 3 * mm
        canvas.setFont("Helvetica-Bold", 8)
        canvas.setFillColor(colors.black)
        canvas.drawString(
            MARGIN,
            y + 8 * mm,
            _("Código seguro de verificación: {code}").format(
                code=grouped(invoice.verification_code)
            ),
        )
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(
            MARGIN,
            y + 4 * mm,
            _("Compruebe su autenticidad en {address}").format(
                address=f"{branding.portal_url.rstrip('/')}{routes.VERIFY}"
            ),
        )
    canvas.setFont("Helvetica", 7.5)
    canvas.drawString(
        MARGIN,
        y,
        _("Documento firmado digitalmente por {company} · Factura {number}").format(
            company=branding.legal_name, number=invoice.number
        ),
    )
    canvas.drawRightString(right, y, page_of(page, total))
    canvas.restoreState()


def page_of(page: int, total: int) -> str:
    """A page's number in the footer: "Página 2 de 3"."""
    return _("Página {page} de {total}").format(page=page, total=total)


#: The PDF's language tag (/Lang) for a portal language, where it names a country too.
_PDF_LANGUAGE_TAGS = {"es": "es-ES"}


def pdf_language() -> str:
    """The /Lang of a PDF in the current language: ``es-ES``, ``en``..."""
    code = current_language()
    return _PDF_LANGUAGE_TAGS.get(code, code)


def letterhead_pdf(
    story: list[Flowable],
    *,
    heading: tuple[str, str],
    title: str,
    subject: str,
    branding: Branding,
    footer: Callable[[Canvas, int, int], None],
) -> bytes:
    """An A4 PDF of ``story`` under the company's letterhead, ``footer`` on every page.

    Args:
        story: the flowables of the body.
        heading: the big word and what follows it on every page ("FACTURA", "Nº F-1").
        title: the document's title in its properties.
        subject: its subject there.
        branding: the company.
        footer: draws a page's footer, given the page's number and the page count.
    """
    buffer = BytesIO()
    logo = branding.logo_path or DEFAULT_LOGO
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT,
        bottomMargin=MARGIN + FOOTER_HEIGHT - 8 * mm,
        title=title,
        author=branding.legal_name,
        subject=subject,
        creator=branding.portal_name,
        lang=pdf_language(),
    )
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates(
        PageTemplate(
            id="page",
            frames=[frame],
            onPage=lambda canvas, _doc: draw_letterhead(canvas, *heading, branding, logo),
        )
    )
    doc.build(story, canvasmaker=lambda *a, **kw: NumberedCanvas(*a, page_footer=footer, **kw))
    return buffer.getvalue()


def render_invoice_pdf(invoice: InvoiceData, branding: Branding) -> bytes:
    """The unsigned PDF of ``invoice``."""
    # The tax agency's QR, when the ERP sent one, comes before the content (its rules).
    story: list[Flowable] = (
        [_TaxAgencyQr(invoice.tax_agency_qr), Spacer(1, 3 * mm)] if invoice.tax_agency_qr else []
    )
    story += [
        _parties(invoice),
        Spacer(1, 7 * mm),
        _lines_table(invoice),
        Spacer(1, 6 * mm),
        KeepTogether([_tax_table(invoice), Spacer(1, 4 * mm), _totals_table(invoice)]),
    ]

    def footer(canvas, page, total):
        _draw_footer(canvas, page, total, branding, invoice)

    return letterhead_pdf(
        story,
        heading=(_("FACTURA"), _("Nº {number}").format(number=invoice.number)),
        title=_("Factura {number}").format(number=invoice.number),
        subject=_("Factura {number} de {company} a {customer}").format(
            number=invoice.number, company=branding.legal_name, customer=invoice.customer.name
        ),
        branding=branding,
        footer=footer,
    )
