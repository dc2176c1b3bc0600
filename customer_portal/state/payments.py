"""Mis pagos: the payments received across the signed-in customer's invoices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from customer_portal import routes
from customer_portal.domain import formats
from customer_portal.domain.payment_history import (
    NOUN,
    SORT_NAMES,
    PaymentFilters,
    PaymentPage,
    PaymentSort,
    active_filters,
    filter_problems,
    filters_to_query,
    parse_filters,
    search_payments,
)
from customer_portal.models import Account
from customer_portal.state.kit import AuthState, ListPageState, UrlListing, in_read_session


@dataclass(frozen=True)
class PaymentRowView:
    """One payment as a row or card of Mis pagos reads it."""

    date: str
    invoice: str
    invoice_href: str
    amount: str
    reference: str


class PaymentsState(ListPageState, AuthState):
    """The customer's payments under the URL's filters, and how much they add up to."""

    listing: ClassVar[UrlListing] = UrlListing(
        route=routes.PAYMENTS,
        parse=parse_filters,
        to_query=filters_to_query,
        problems=filter_problems,
        describe=active_filters,
        noun=NOUN,
        sort_names=SORT_NAMES,
        ascending_first=frozenset({PaymentSort.INVOICE}),
    )

    rows: list[PaymentRowView] = []
    received_total: str = ""

    async def _load(self, account: Account, filters: PaymentFilters) -> PaymentPage:
        found: PaymentPage = await in_read_session(
            search_payments, customer_id=self._customer_id(), filters=filters
        )
        self.rows = [
            PaymentRowView(
                date=formats.short_date(row.paid_on),
                invoice=row.invoice_number,
                invoice_href=routes.invoice_detail(row.invoice_number),
                amount=formats.money(row.amount_cents, row.currency),
                reference=row.reference,
            )
            for row in found.rows
        ]
        self.received_total = formats.money_totals(found.received)
        return found
