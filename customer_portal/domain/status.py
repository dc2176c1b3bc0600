"""An invoice's payment status, derived from what has been paid; never stored."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class InvoiceStatus(StrEnum):
    """The three statuses of the seed manual, in its words."""

    PAID = "Cobrado"
    PARTIALLY_PAID = "Cobrado parcialmente"
    PENDING = "Pendiente"


def invoice_status(total_cents: int, paid_cents: int) -> InvoiceStatus:
    """The status the manual names for an invoice with these totals."""
    if paid_cents >= total_cents:
        return InvoiceStatus.PAID
    if paid_cents > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.PENDING


def is_overdue(status: InvoiceStatus, due_date: date | None, today: date) -> bool:
    """Whether an invoice still owes money after its due date."""
    return status is not InvoiceStatus.PAID and due_date is not None and due_date < today
