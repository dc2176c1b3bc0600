"""Mis facturas: one customer's invoices, searched, filtered, sorted and paged in SQL.

Everything happens in the database: the page's rows with LIMIT/OFFSET, the
count and the pending total with aggregates, never by fetching rows, so a
customer with 50,000 invoices costs the same as one with fifty. Every query
starts from the customer's id, so no filter can reach another customer.

Filters travel in the page's URL (Spanish keys, so a bookmarked view reads
well): ``numero``, ``estado`` (comma list), ``desde``, ``hasta``, ``min``,
``max``, ``orden``, ``dir``, ``pagina``, ``tam``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from customer_portal.domain import formats
from customer_portal.domain.money import to_cents
from customer_portal.domain.status import InvoiceStatus, invoice_status
from customer_portal.models import Invoice

PAGE_SIZES = (10, 25, 50, 100)
STATUS_KEYS = {
    "cobrado": InvoiceStatus.PAID,
    "parcial": InvoiceStatus.PARTIALLY_PAID,
    "pendiente": InvoiceStatus.PENDING,
}
_PENDING = Invoice.total_cents - Invoice.paid_cents
SORT_COLUMNS = {
    "numero": col(Invoice.number),
    "fecha": col(Invoice.issue_date),
    "vencimiento": col(Invoice.due_date),
    "total": col(Invoice.total_cents),
    "pendiente": _PENDING,
}


@dataclass(frozen=True)
class InvoiceFilters:
    number: str = ""
    statuses: frozenset[str] = frozenset()  # keys of STATUS_KEYS
    date_from: date | None = None
    date_to: date | None = None
    amount_min_cents: int | None = None
    amount_max_cents: int | None = None
    sort: str = "fecha"
    descending: bool = True
    page: int = 1
    page_size: int = 25

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (sorting and paging do not)."""
        return bool(
            self.number
            or self.statuses
            or self.date_from
            or self.date_to
            or self.amount_min_cents is not None
            or self.amount_max_cents is not None
        )


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _cents(value: str) -> int | None:
    try:
        amount = Decimal(value.replace(",", ".")) if value else None
    except InvalidOperation:
        return None
    return to_cents(amount) if amount is not None and amount.is_finite() and amount >= 0 else None


def _int(value: str, default: int) -> int:
    return int(value) if value.isdigit() and len(value) < 7 else default


def parse_filters(query: Mapping[str, str]) -> InvoiceFilters:
    """Filters from a URL query; anything unusable is ignored, never an error."""

    def get(key: str) -> str:
        value = query.get(key, "")
        return value.strip()[:40] if isinstance(value, str) else ""

    statuses = frozenset(s for s in get("estado").split(",") if s in STATUS_KEYS)
    sort = get("orden") if get("orden") in SORT_COLUMNS else "fecha"
    size = _int(get("tam"), 25)
    return InvoiceFilters(
        number=get("numero"),
        statuses=statuses,
        date_from=_date(get("desde")),
        date_to=_date(get("hasta")),
        amount_min_cents=_cents(get("min")),
        amount_max_cents=_cents(get("max")),
        sort=sort,
        descending=get("dir") != "asc",
        page=max(1, _int(get("pagina"), 1)),
        page_size=size if size in PAGE_SIZES else 25,
    )


def filters_to_query(filters: InvoiceFilters) -> dict[str, str]:
    """The URL query for ``filters``, leaving out defaults so links stay short."""
    out: dict[str, str] = {}
    if filters.number:
        out["numero"] = filters.number
    if filters.statuses:
        out["estado"] = ",".join(sorted(filters.statuses))
    if filters.date_from:
        out["desde"] = filters.date_from.isoformat()
    if filters.date_to:
        out["hasta"] = filters.date_to.isoformat()
    if filters.amount_min_cents is not None:
        out["min"] = f"{filters.amount_min_cents / 100:.2f}"
    if filters.amount_max_cents is not None:
        out["max"] = f"{filters.amount_max_cents / 100:.2f}"
    if filters.sort != "fecha":
        out["orden"] = filters.sort
    if not filters.descending:
        out["dir"] = "asc"
    if filters.page != 1:
        out["pagina"] = str(filters.page)
    if filters.page_size != 25:
        out["tam"] = str(filters.page_size)
    return out


@dataclass(frozen=True)
class InvoicePage:
    rows: list[dict[str, str]] = field(default_factory=list)
    count: int = 0
    pending_total: str = ""
    page: int = 1
    pages: int = 1
    customer_has_invoices: bool = False


def _status_condition(key: str):
    paid, total = col(Invoice.paid_cents), col(Invoice.total_cents)
    if key == "cobrado":
        return paid >= total
    if key == "parcial":
        return sa.and_(paid > 0, paid < total)
    return sa.and_(paid == 0, total > 0)


def _conditions(customer_id: int, filters: InvoiceFilters) -> list:
    conditions = [col(Invoice.customer_id) == customer_id]
    if filters.number:
        conditions.append(
            func.lower(Invoice.number).contains(filters.number.lower(), autoescape=True)
        )
    if filters.statuses:
        conditions.append(sa.or_(*(_status_condition(k) for k in sorted(filters.statuses))))
    if filters.date_from:
        conditions.append(col(Invoice.issue_date) >= filters.date_from)
    if filters.date_to:
        conditions.append(col(Invoice.issue_date) <= filters.date_to)
    if filters.amount_min_cents is not None:
        conditions.append(col(Invoice.total_cents) >= filters.amount_min_cents)
    if filters.amount_max_cents is not None:
        conditions.append(col(Invoice.total_cents) <= filters.amount_max_cents)
    return conditions


def search_invoices(
    session: Session, *, customer_id: int, filters: InvoiceFilters, today: date | None = None
) -> InvoicePage:
    """One page of the customer's invoices under ``filters``, with the count and pending sum."""
    today = today or date.today()
    conditions = _conditions(customer_id, filters)
    count, pending = session.exec(
        select(func.count(), func.coalesce(func.sum(_PENDING), 0)).where(*conditions)
    ).one()
    has_any = count > 0 or (
        filters.active
        and session.exec(
            select(Invoice.id).where(col(Invoice.customer_id) == customer_id).limit(1)
        ).first()
        is not None
    )
    pages = max(1, -(-count // filters.page_size))
    page = min(filters.page, pages)
    column = SORT_COLUMNS[filters.sort]
    order = [column.desc() if filters.descending else column.asc(), col(Invoice.id).desc()]
    invoices = session.exec(
        select(Invoice)
        .where(*conditions)
        .order_by(*order)
        .offset((page - 1) * filters.page_size)
        .limit(filters.page_size)
    ).all()
    rows = []
    for invoice in invoices:
        status = invoice_status(invoice.total_cents, invoice.paid_cents)
        overdue = (
            status is not InvoiceStatus.PAID
            and invoice.due_date is not None
            and invoice.due_date < today
        )
        rows.append(
            {
                "number": invoice.number,
                "issue_date": formats.short_date(invoice.issue_date),
                "due_date": formats.short_date(invoice.due_date) if invoice.due_date else "—",
                "total": formats.money(invoice.total_cents, invoice.currency),
                "pending": formats.money(
                    invoice.total_cents - invoice.paid_cents, invoice.currency
                ),
                "status": status.value,
                "overdue": "yes" if overdue else "",
            }
        )
    return InvoicePage(
        rows=rows,
        count=count,
        pending_total=formats.money(int(pending)),
        page=page,
        pages=pages,
        customer_has_invoices=has_any,
    )


def with_page(filters: InvoiceFilters, page: int) -> InvoiceFilters:
    return replace(filters, page=max(1, page))
