"""Mis pagos: the payments one customer has made across all their invoices.

Built like Mis facturas on :mod:`customer_portal.domain.listing`: filters in
the URL (``factura``, ``desde``, ``hasta``), sorted and paged in SQL, every
query joined to the customer's own invoices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, func, select

from customer_portal.domain import listing
from customer_portal.domain.listing import Ordering, Page, clean_text
from customer_portal.i18n import N_, _, ngettext
from customer_portal.models import Invoice, Payment


class PaymentSort(StrEnum):
    """The columns Mis pagos sorts by, as the URL names them; the first is the default."""

    DATE = "fecha"
    INVOICE = "factura"
    AMOUNT = "importe"


#: How each sort reads in the list's summary ("ordenados por fecha, más recientes primero").
SORT_NAMES: dict[str, listing.SortName] = {
    PaymentSort.DATE: listing.SortName(
        N_("ordenados por fecha, más antiguos primero"),
        N_("ordenados por fecha, más recientes primero"),
    ),
    PaymentSort.INVOICE: listing.SortName(
        N_("ordenados por factura, de menor a mayor"),
        N_("ordenados por factura, de mayor a menor"),
    ),
    PaymentSort.AMOUNT: listing.SortName(
        N_("ordenados por importe, de menor a mayor"),
        N_("ordenados por importe, de mayor a menor"),
    ),
}


def _payments(count: int) -> str:
    return ngettext("{n} pago", "{n} pagos", count).format(n=count)


NOUN = listing.Noun(_payments)


_SORT_COLUMNS: dict[str, Any] = {
    PaymentSort.DATE: col(Payment.paid_on),
    PaymentSort.INVOICE: col(Invoice.number),
    PaymentSort.AMOUNT: col(Payment.amount_cents),
}


@dataclass(frozen=True)
class PaymentFilters:
    """What narrows, orders and pages Mis pagos; bounds itself however it is built."""

    invoice: str = ""
    date_from: date | None = None
    date_to: date | None = None
    ordering: Ordering = field(default_factory=lambda: Ordering(sorts=tuple(PaymentSort)))

    def __post_init__(self) -> None:
        object.__setattr__(self, "invoice", clean_text(self.invoice))

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (sorting and paging do not)."""
        return bool(self.invoice or self.date_from or self.date_to)


def parse_filters(query: Mapping[str, Any]) -> PaymentFilters:
    """Filters from a URL query; anything unusable is ignored, never an error."""
    date_from, date_to = listing.read_date_range(query)
    return PaymentFilters(
        invoice=clean_text(query.get("factura", "")),
        date_from=date_from,
        date_to=date_to,
        ordering=listing.read_ordering(query, tuple(PaymentSort)),
    )


def filter_problems(query: Mapping[str, Any]) -> dict[str, str]:
    """What the customer must correct in the filters, by URL key, in the current language."""
    return listing.date_range_problems(query)


def active_filters(filters: PaymentFilters) -> list[tuple[str, str]]:
    """Each filter in use as (URL key, what it reads like), in the form's order."""
    found: list[tuple[str, str]] = []
    if filters.invoice:
        found.append(("factura", _("Factura: {invoice}").format(invoice=filters.invoice)))
    found.extend(listing.date_range_filters(filters.date_from, filters.date_to))
    return found


def filters_to_query(filters: PaymentFilters) -> dict[str, str]:
    """The URL query for ``filters``, leaving out defaults so links stay short."""
    out = {"factura": filters.invoice} if filters.invoice else {}
    dates = listing.date_range_query(filters.date_from, filters.date_to)
    return out | dates | listing.ordering_query(filters.ordering)


@dataclass(frozen=True)
class PaymentRow:
    """One payment as Mis pagos lists it."""

    paid_on: date
    invoice_number: str
    currency: str
    amount_cents: int
    reference: str


@dataclass(frozen=True)
class PaymentPage(Page[PaymentRow]):
    """A page of Mis pagos, with the sum received per currency over every match."""

    received: dict[str, int] = field(default_factory=dict)


def search_payments(*, session: Session, customer_id: int, filters: PaymentFilters) -> PaymentPage:
    """One page of the payments on ``customer_id``'s invoices under ``filters``.

    Args:
        session: The database session.
        customer_id: Whose payments; the join to the customer's invoices is
            in every query, so no filter reaches another customer.
        filters: What narrows, orders and pages the list.
    """
    conditions: list[Any] = [col(Invoice.customer_id) == customer_id]
    if filters.invoice:
        conditions.append(
            func.lower(Invoice.number).contains(filters.invoice.lower(), autoescape=True)
        )
    if filters.date_from:
        conditions.append(col(Payment.paid_on) >= filters.date_from)
    if filters.date_to:
        conditions.append(col(Payment.paid_on) <= filters.date_to)
    joined = select(Payment, Invoice.number, Invoice.currency).join(
        Invoice, col(Invoice.id) == col(Payment.invoice_id)
    )
    # One aggregate gives both the count and the sums received per currency.
    sums = session.exec(
        select(Invoice.currency, func.count(), func.sum(Payment.amount_cents))
        .join(Payment, col(Payment.invoice_id) == col(Invoice.id))
        .where(*conditions)
        .group_by(col(Invoice.currency))
        .order_by(col(Invoice.currency))
    ).all()
    received = {currency: int(cents) for currency, _, cents in sums}
    found = listing.fetch_page(
        session=session,
        statement=joined.where(*conditions),
        order_by=_SORT_COLUMNS[filters.ordering.sort],
        tiebreak=col(Payment.id),
        ordering=filters.ordering,
        count=sum(n for _, n, _ in sums),
    )
    has_any = found.count > 0 or (
        filters.active
        and session.exec(
            select(Payment.id)
            .join(Invoice, col(Invoice.id) == col(Payment.invoice_id))
            .where(col(Invoice.customer_id) == customer_id)
            .limit(1)
        ).first()
        is not None
    )
    return PaymentPage(
        rows=[
            PaymentRow(
                paid_on=payment.paid_on,
                invoice_number=number,
                currency=currency,
                amount_cents=payment.amount_cents,
                reference=payment.reference,
            )
            for payment, number, currency in found.rows
        ],
        count=found.count,
        page=found.page,
        pages=found.pages,
        received=received,
        has_any=has_any,
    )
