"""Mis facturas: one customer's invoices, searched, filtered, sorted and paged in SQL.

Everything happens in the database: the page's rows with LIMIT/OFFSET, the
count and the pending total with aggregates, never by fetching rows, so a
customer with 50,000 invoices costs the same as one with fifty. Every query
starts from the customer's id, so no filter can reach another customer.

Filters travel in the page's URL (Spanish keys, so a bookmarked view reads
well): ``numero``, ``estado`` (comma list), ``desde``, ``hasta``, ``min``,
``max``, ``orden``, ``dir``, ``pagina``, ``tam``. Whatever a URL or a UI
event holds, reading it never fails: an unusable value is ignored, a page
number is clamped to :data:`MAX_PAGE`, an amount past :data:`MAX_FILTER_CENTS`
is ignored, and :class:`InvoiceFilters` bounds itself however it is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from customer_portal.domain import formats
from customer_portal.domain.money import cents_to_decimal, to_cents
from customer_portal.domain.status import InvoiceStatus, invoice_status
from customer_portal.models import Invoice

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
#: Highest page number a filter keeps. A million pages of ten is ten million
#: invoices, more than any one customer has, and it keeps (page - 1) * page_size
#: below 10^8, nowhere near the 2^63 - 1 an OFFSET may reach on SQLite or
#: PostgreSQL. search_invoices clamps again to the real last page.
MAX_PAGE = 1_000_000
#: Amount filters above this many cents (100,000 million euros) are ignored.
#: No stored total comes near it (see money.MAX_STORED_INTEGER), and a larger
#: bound parameter would approach SQLite's 64-bit INTEGER, past which its
#: driver raises OverflowError instead of comparing.
MAX_FILTER_CENTS = 10**13
#: Longest value read from the URL: an invoice number has at most 40 characters.
MAX_QUERY_VALUE = 40
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
# Plain ASCII notation only: Decimal would also read "1e20", "NaN" or "١٢".
_AMOUNT = re.compile(r"[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+")


def clean_text(value: object) -> str:
    """Printable text of at most MAX_QUERY_VALUE characters; anything else is "".

    Non-printable characters go: PostgreSQL refuses NUL in a query parameter,
    and a lone surrogate cannot be encoded for either database.
    """
    if not isinstance(value, str):
        return ""
    text = "".join(filter(str.isprintable, value[: 10 * MAX_QUERY_VALUE])).strip()
    return text[:MAX_QUERY_VALUE].strip()


def _bounded(value: object, *, low: int, high: int, default: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        return default
    return min(max(value, low), high)


def _cents_or_none(value: object) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if 0 <= value <= MAX_FILTER_CENTS else None


@dataclass(frozen=True)
class InvoiceFilters:
    """What narrows, orders and pages Mis facturas.

    Filters are built from the URL, from form events and with ``replace``, so
    the constructor itself bounds every value (see ``__post_init__``): however
    they were made, they never carry a value the SQL cannot take.
    """

    number: str = ""
    statuses: frozenset[str] = frozenset()  # keys of STATUS_KEYS
    date_from: date | None = None
    date_to: date | None = None
    amount_min_cents: int | None = None
    amount_max_cents: int | None = None
    sort: str = "fecha"
    descending: bool = True
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        # Pages are clamped (a page past the end shows the last one); amounts
        # out of range, unknown sorts, statuses and page sizes fall back to "none".
        bounded = {
            "number": clean_text(self.number),
            "statuses": frozenset(s for s in self.statuses if s in STATUS_KEYS),
            "amount_min_cents": _cents_or_none(self.amount_min_cents),
            "amount_max_cents": _cents_or_none(self.amount_max_cents),
            "sort": self.sort if self.sort in SORT_COLUMNS else "fecha",
            "page": _bounded(self.page, low=1, high=MAX_PAGE, default=1),
            "page_size": self.page_size if self.page_size in PAGE_SIZES else DEFAULT_PAGE_SIZE,
        }
        for name, value in bounded.items():
            object.__setattr__(self, name, value)

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
    """Cents of a plain amount ("10", "10.5", "10,50"); None when unusable or too large."""
    if not _AMOUNT.fullmatch(value):
        return None
    amount = Decimal(value.replace(",", "."))
    # Compared before to_cents, so no arithmetic ever meets a huge number.
    if amount > Decimal(MAX_FILTER_CENTS) / 100:
        return None
    return to_cents(amount)


def _digits(value: str) -> int | None:
    # isascii: "²".isdigit() is true too, and int("²") raises.
    return int(value) if value.isascii() and value.isdigit() else None


def parse_filters(query: Mapping[str, str]) -> InvoiceFilters:
    """Filters from a URL query; anything unusable is ignored, never an error.

    Values longer than MAX_QUERY_VALUE are cut there; a page number past
    MAX_PAGE is clamped to it. Never raises, whatever ``query`` holds.
    """

    def get(key: str) -> str:
        value = query.get(key, "")
        return value.strip()[:MAX_QUERY_VALUE] if isinstance(value, str) else ""

    page = _digits(get("pagina"))
    size = _digits(get("tam"))
    return InvoiceFilters(
        number=clean_text(query.get("numero", "")),
        statuses=frozenset(get("estado").split(",")),
        date_from=_date(get("desde")),
        date_to=_date(get("hasta")),
        amount_min_cents=_cents(get("min")),
        amount_max_cents=_cents(get("max")),
        sort=get("orden"),
        descending=get("dir") != "asc",
        page=page if page is not None else 1,
        page_size=size if size is not None else DEFAULT_PAGE_SIZE,
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
        out["min"] = str(cents_to_decimal(filters.amount_min_cents))
    if filters.amount_max_cents is not None:
        out["max"] = str(cents_to_decimal(filters.amount_max_cents))
    if filters.sort != "fecha":
        out["orden"] = filters.sort
    if not filters.descending:
        out["dir"] = "asc"
    if filters.page != 1:
        out["pagina"] = str(filters.page)
    if filters.page_size != DEFAULT_PAGE_SIZE:
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
    """``filters`` at ``page``, clamped to 1..MAX_PAGE (a UI event may send any number)."""
    return replace(filters, page=page)
