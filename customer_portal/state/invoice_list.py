"""Mis facturas: the list of the signed-in customer's invoices, filtered by the URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from customer_portal import routes
from customer_portal.domain import formats
from customer_portal.domain.invoice_search import (
    NOUN,
    SORT_NAMES,
    InvoiceFilters,
    InvoicePage,
    InvoiceRow,
    InvoiceSort,
    active_filters,
    filter_problems,
    filters_to_query,
    parse_filters,
    search_invoices,
)
from customer_portal.domain.status import today_in
from customer_portal.models import Account
from customer_portal.settings import get_settings
from customer_portal.state.kit import AuthState, ListPageState, UrlListing, in_read_session


@dataclass(frozen=True)
class InvoiceRowView:
    """One invoice as a row or card of Mis facturas reads it."""

    number: str
    href: str
    issue_date: str
    due_date: str
    total: str
    pending: str
    status: str
    overdue: bool


def present_row(row: InvoiceRow) -> InvoiceRowView:
    """``row`` in Spanish formats, with the link to its page."""
    return InvoiceRowView(
        number=row.number,
        href=routes.invoice_detail(row.number),
        issue_date=formats.short_date(row.issue_date),
        due_date=formats.optional_date(row.due_date),
        total=formats.money(row.total_cents, row.currency),
        pending=formats.money(row.pending_cents, row.currency),
        status=row.status.value,
        overdue=row.overdue,
    )


class InvoiceListState(ListPageState, AuthState):
    """The rows, count and pending total of the customer's invoices under the URL's filters."""

    listing: ClassVar[UrlListing] = UrlListing(
        route=routes.INVOICES,
        parse=parse_filters,
        to_query=filters_to_query,
        problems=filter_problems,
        describe=active_filters,
        noun=NOUN,
        sort_names=SORT_NAMES,
        ascending_first=frozenset({InvoiceSort.NUMBER, InvoiceSort.STATUS}),
    )

    rows: list[InvoiceRowView] = []
    pending_total: str = ""
    # Exportar CSV / Excel: the file route with this list's filters and order.
    csv_href: str = ""
    xlsx_href: str = ""
    # Descargar ZIP: every filtered invoice (a link) or those ticked (a form posting here).
    zip_href: str = ""
    # Why a ZIP was not made ("elija al menos una"...), brought by its redirect.
    problem: str = ""
    # "Contraseña actualizada...", brought by the redirect after setting a password.
    notice: str = ""

    async def _load(self, account: Account, filters: InvoiceFilters) -> InvoicePage:
        self.problem, self.notice = self._flash()
        found: InvoicePage = await in_read_session(
            search_invoices,
            customer_id=self._customer_id(),
            filters=filters,
            today=today_in(get_settings().timezone),
        )
        self.rows = [present_row(row) for row in found.rows]
        self.pending_total = formats.money_totals(found.pending)
        query = filters_to_query(filters)
        origin = get_settings().backend_origin  # `make dev`: the route is on the backend's port
        self.csv_href = origin + self._with_customer(routes.export_invoices("csv", query))
        self.xlsx_href = origin + self._with_customer(routes.export_invoices("xlsx", query))
        self.zip_href = origin + self._with_customer(routes.zip_invoices(query))
        return found
