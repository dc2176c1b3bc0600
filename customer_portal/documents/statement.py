"""The Extracto de cuenta as a PDF: the invoice's letterhead, one table per currency.

Signed like an invoice (the caller signs it) but not stored: it is made for
the moment it is asked, and says so ("a fecha de …"). Its words are in the
current language (the reader's, set by whoever asks for it).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table

from customer_portal.documents.render import (
    BRAND,
    CONTENT_WIDTH,
    MARGIN,
    MUTED,
    PAGE_WIDTH,
    RULE,
    ZEBRA,
    letterhead_pdf,
    page_of,
)
from customer_portal.domain import formats
from customer_portal.domain.statements import Statement
from customer_portal.i18n import N_, _
from customer_portal.settings import Branding

_BODY = ParagraphStyle("statement-body", fontName="Helvetica", fontSize=9, leading=12)
_LABEL = ParagraphStyle("statement-label", parent=_BODY, fontName="Helvetica-Bold", textColor=BRAND)
#: The table's header, in Spanish: translated as each PDF is drawn.
HEADER = [N_("Fecha"), N_("Concepto"), N_("Cargo"), N_("Abono"), N_("Saldo")]
WIDTHS = [24 * mm, CONTENT_WIDTH - 24 * mm - 3 * 30 * mm, 30 * mm, 30 * mm, 30 * mm]


def statement_rows(statement: Statement) -> list[list[str]]:
    """The table's rows as text: the opening balance, each movement, the closing balance."""
    money = lambda cents: formats.money(cents, statement.currency)  # noqa: E731
    rows = [
        [
            formats.short_date(statement.date_from),
            _("Saldo inicial"),
            "",
            "",
            money(statement.opening_cents),
        ]
    ]
    for movement in statement.movements:
        rows.append(
            [
                formats.short_date(movement.day),
                movement.concept,
                money(movement.charge_cents) if movement.charge_cents else "",
                money(movement.credit_cents) if movement.credit_cents else "",
                money(movement.balance_cents),
            ]
        )
    rows.append(
        [
            formats.short_date(statement.date_to),
            _("Saldo final"),
            money(statement.charged_cents),
            money(statement.credited_cents),
            money(statement.closing_cents),
        ]
    )
    return rows


def _table(statement: Statement) -> Table:
    rows = [[_(label) for label in HEADER], *statement_rows(statement)]
    table = Table(rows, colWidths=WIDTHS, repeatRows=1)
    last = len(rows) - 1
    table.setStyle(
        [
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
            ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
            ("BACKGROUND", (0, 0), (-1, 0), BRAND),
            ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
            ("FONT", (0, 1), (-1, 1), "Helvetica-Bold", 8.5),
            ("FONT", (0, last), (-1, last), "Helvetica-Bold", 8.5),
            ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ("LINEABOVE", (0, last), (-1, last), 1, BRAND),
        ]
    )
    return table


def render_statement_pdf(
    statements: list[Statement],
    *,
    customer_name: str,
    customer_tax_id: str,
    customer_code: str,
    made_on: str,
    branding: Branding,
) -> bytes:
    """The unsigned PDF of a customer's statements for one period."""
    first = statements[0] if statements else None
    period = (
        _("del {start} al {end}").format(
            start=formats.short_date(first.date_from), end=formats.short_date(first.date_to)
        )
        if first
        else ""
    )
    # Paragraphs read markup: every text is escaped ("&" in a name prints as itself).
    tax_id = _("NIF {tax_id}").format(tax_id=customer_tax_id)
    code = _("Cliente {code}").format(code=customer_code)
    story = [
        Paragraph(f"<b>{escape(customer_name)}</b> · {escape(tax_id)} · {escape(code)}", _BODY),
        Paragraph(escape(_("Emitido el {date}.").format(date=made_on)), _BODY),
        Spacer(1, 5 * mm),
    ]
    if not statements:
        story.append(Paragraph(escape(_("No hay facturas ni cobros en este periodo.")), _BODY))
    for statement in statements:
        if len(statements) > 1:
            currency = _("En {currency}").format(currency=statement.currency)
            story += [Paragraph(escape(currency), _LABEL), Spacer(1, 2 * mm)]
        story += [_table(statement), Spacer(1, 6 * mm)]

    def footer(canvas, page, total):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        y = MARGIN - 6 * mm
        canvas.drawString(
            MARGIN,
            y,
            _("Documento firmado digitalmente por {company} · Extracto").format(
                company=branding.legal_name
            ),
        )
        canvas.drawRightString(PAGE_WIDTH - MARGIN, y, page_of(page, total))
        canvas.restoreState()

    return letterhead_pdf(
        story,
        heading=(_("EXTRACTO DE CUENTA"), period),
        title=_("Extracto de cuenta {period}").format(period=period),
        subject=_("Extracto de cuenta de {customer} {period}").format(
            customer=customer_name, period=period
        ),
        branding=branding,
        footer=footer,
    )
