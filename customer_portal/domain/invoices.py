"""Reading invoices for the customer who owns them: every query filters by owner.

Values come out formatted for Spanish readers (``1.234,56 €``,
``30/04/2019``), so pages only display them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from customer_portal.domain import formats
from customer_portal.domain.money import compute_totals
from customer_portal.domain.status import invoice_status
from customer_portal.models import Invoice, InvoiceLine, Payment, SignedDocument


@dataclass(frozen=True)
class InvoiceView:
    number: str
    issue_date: str
    due_date: str
    status: str
    subtotal: str
    tax: str
    total: str
    paid: str
    pending: str
    signed_by: str
    signed_at: str
    lines: list[dict[str, str]] = field(default_factory=list)
    taxes: list[dict[str, str]] = field(default_factory=list)
    payments: list[dict[str, str]] = field(default_factory=list)


def invoice_for_customer(session: Session, *, customer_id: int, number: str) -> InvoiceView | None:
    """The invoice ``number`` if it belongs to ``customer_id``; None otherwise.

    "Not yours" and "does not exist" are the same answer, so nobody can
    probe for other customers' invoice numbers.
    """
    invoice = session.exec(
        select(Invoice).where(Invoice.number == number, Invoice.customer_id == customer_id)
    ).first()
    if invoice is None:
        return None
    lines = session.exec(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id)
        .order_by(col(InvoiceLine.position))
    ).all()
    payments = session.exec(
        select(Payment).where(Payment.invoice_id == invoice.id).order_by(col(Payment.paid_on))
    ).all()
    document = session.exec(
        select(SignedDocument).where(SignedDocument.invoice_id == invoice.id)
    ).first()
    currency = invoice.currency
    taxes = compute_totals((ln.amount_cents, ln.tax_name, ln.tax_rate_bp) for ln in lines).taxes
    return InvoiceView(
        number=invoice.number,
        issue_date=formats.short_date(invoice.issue_date),
        due_date=formats.short_date(invoice.due_date) if invoice.due_date else "—",
        status=invoice_status(invoice.total_cents, invoice.paid_cents).value,
        subtotal=formats.money(invoice.subtotal_cents, currency),
        tax=formats.money(invoice.tax_cents, currency),
        total=formats.money(invoice.total_cents, currency),
        paid=formats.money(invoice.paid_cents, currency),
        pending=formats.money(invoice.total_cents - invoice.paid_cents, currency),
        signed_by=document.signer_subject if document else "",
        signed_at=formats.timestamp(document.signed_at) if document else "",
        lines=[
            {
                "description": ln.description,
                "quantity": formats.quantity(ln.quantity_milli),
                "unit_price": formats.unit_price(ln.unit_price_e4, currency),
                "tax": f"{ln.tax_name} {formats.rate(ln.tax_rate_bp)}",
                "amount": formats.money(ln.amount_cents, currency),
            }
            for ln in lines
        ],
        taxes=[
            {
                "tax": f"{group.name} {formats.rate(group.rate_bp)}",
                "base": formats.money(group.base_cents, currency),
                "amount": formats.money(group.tax_cents, currency),
            }
            for group in taxes
        ],
        payments=[
            {
                "date": formats.short_date(p.paid_on),
                "amount": formats.money(p.amount_cents, currency),
                "reference": p.reference,
            }
            for p in payments
        ],
    )
