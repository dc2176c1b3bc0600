"""An invoice's payment status, derived from what has been paid; never stored."""

from __future__ import annotations

from enum import StrEnum


class InvoiceStatus(StrEnum):
    """The three statuses of the seed manual, in its words."""

    PAID = "Cobrado"
    PARTIALLY_PAID = "Cobrado parcialmente"
    PENDING = "Pendiente"


def invoice_status(total_cents: int, paid_cents: int) -> InvoiceStatus:
    if paid_cents >= total_cents:
        return InvoiceStatus.PAID
    if paid_cents > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.PENDING
