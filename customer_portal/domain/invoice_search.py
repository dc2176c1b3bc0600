"""Mis facturas: one customer's invoices, searched, filtered, sorted and paged in SQL.

Everything happens in the database: the page's rows with LIMIT/OFFSET, the
count and the pending totals with aggregates, never by fetching rows, so a
customer with 50,000 invoices costs the same as one with fifty. Every query
starts from the customer's id, so no filter can reach another customer.

Filters travel in the page's URL (Spanish keys, so a bookmarked view reads
well): ``numero``, ``estado`` (comma list of :data:`STATUS_FILTERS` keys),
``desde``, ``hasta``, ``min``, ``max``, and the keys every list has (see
:mod:`customer_portal.domain.listing`). Whatever a URL or a UI event holds,
reading it never fails, and :class:`InvoiceFilters` bounds itself however it
is built.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from customer_portal.domain import listing
from customer_portal.domain.listing import Ordering, Page, clean_text
from customer_portal.domain.status import InvoiceStatus, invoice_status, is_overdue
from customer_portal.i18n import N_, _, ngettext
from customer_portal.models import Invoice


class InvoiceSort(StrEnum):
    """The columns Mis facturas sorts by, as the URL names them; the first is the default."""

    DATE = "fecha"
    NUMBER = "numero"
    DUE = "vencimiento"
    TOTAL = "total"
    PENDING = "pendiente"
    STATUS = "estado"


#: How each sort reads in the list's summary ("ordenadas por fecha, más recientes primero").
SORT_NAMES: dict[str, listing.SortName] = {
    InvoiceSort.DATE: listing.SortName(
        N_("ordenadas por fecha, más antiguas primero"),
        N_("ordenadas por fecha, más recientes primero"),
    ),
    InvoiceSort.NUMBER: listing.SortName(
        N_("ordenadas por número, de menor a mayor"),
        N_("ordenadas por número, de mayor a menor"),
    ),
    InvoiceSort.DUE: listing.SortName(
        N_("ordenadas por vencimiento, las que vencen antes primero"),
        N_("ordenadas por vencimiento, las que vencen más tarde primero"),
    ),
    InvoiceSort.TOTAL: listing.SortName(
        N_("ordenadas por total, de menor a mayor"),
        N_("ordenadas por total, de mayor a menor"),
    ),
    InvoiceSort.PENDING: listing.SortName(
        N_("ordenadas por importe pendiente, de menor a mayor"),
        N_("ordenadas por importe pendiente, de mayor a menor"),
    ),
    InvoiceSort.STATUS: listing.SortName(
        N_("ordenadas por estado, pendientes primero"),
        N_("ordenadas por estado, cobradas primero"),
    ),
}


def _invoices(count: int) -> str:
    return ngettext("{n} factura", "{n} facturas", count).format(n=count)


NOUN = listing.Noun(_invoices)


#: The status filter's URL keys and what each selects, in the order the page lists them.
STATUS_FILTERS: dict[str, InvoiceStatus] = {
    "cobrado": InvoiceStatus.PAID,
    "parcial": InvoiceStatus.PARTIALLY_PAID,
    "pendiente": InvoiceStatus.PENDING,
}

_PENDING = Invoice.total_cents - Invoice.paid_cents
# Pendiente, then Cobrado parcialmente, then Cobrado: ascending is "what is owed first".
_STATUS_RANK = sa.case(
    (col(Invoice.paid_cents) >= col(Invoice.total_cents), 2),
    (col(Invoice.paid_cents) > 0, 1),
    else_=0,
)
_SORT_COLUMNS: dict[str, Any] = {
    InvoiceSort.DATE: col(Invoice.issue_date),
    InvoiceSort.NUMBER: col(Invoice.number),
    InvoiceSort.DUE: col(Invoice.due_date),
    InvoiceSort.TOTAL: col(Invoice.total_cents),
    InvoiceSort.PENDING: _PENDING,
    InvoiceSort.STATUS: _STATUS_RANK,
}


def _ordering(**values: Any) -> Ordering:
    return Ordering(sorts=tuple(InvoiceSort), **values)


@dataclass(frozen=True)
class InvoiceFilters:
    """What narrows, orders and pages Mis facturas.

    Filters are built from the URL, from form events and with ``replace``, so
    the constructor itself bounds every value (see ``__post_init__``): however
    they were made, they never carry a value the SQL cannot take.
    """

    number: str = ""
    statuses: frozenset[str] = frozenset()  # keys of STATUS_FILTERS
    date_from: date | None = None
    date_to: date | None = None
    amount_min_cents: int | None = None
    amount_max_cents: int | None = None
    #: Only invoices still owing money after their due date ("vencidas").
    overdue: bool = False
    ordering: Ordering = field(default_factory=_ordering)

    def __post_init__(self) -> None:
        # Amounts out of range and unknown statuses fall back to "no filter".
        bounded = {
            "number": clean_text(self.number),
            "statuses": frozenset(s for s in self.statuses if s in STATUS_FILTERS),
            "amount_min_cents": listing.cents_or_none(self.amount_min_cents),
            "amount_max_cents": listing.cents_or_none(self.amount_max_cents),
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
            or self.overdue
        )


def parse_filters(query: Mapping[str, Any]) -> InvoiceFilters:
    """Filters from a URL query; anything unusable is ignored, never an error."""
    date_from, date_to = listing.read_date_range(query)
    return InvoiceFilters(
        number=clean_text(query.get("numero", "")),
        statuses=frozenset(listing.query_value(query, "estado").split(",")),
        date_from=date_from,
        date_to=date_to,
        amount_min_cents=listing.read_cents(listing.query_value(query, "min")),
        amount_max_cents=listing.read_cents(listing.query_value(query, "max")),
        overdue=listing.query_value(query, "vencidas") == "si",
        ordering=listing.read_ordering(query, tuple(InvoiceSort)),
    )


def filter_problems(query: Mapping[str, Any]) -> dict[str, str]:
    """What the customer must correct in the filters, by URL key, in the current language.

    :func:`parse_filters` ignores what it cannot use; this says so, so that
    the page shows the message beside the field instead of a list that looks
    filtered but is not.
    """
    problems = {key: listing.amount_problem(query, key) for key in ("min", "max")}
    low = listing.read_cents(listing.query_value(query, "min"))
    high = listing.read_cents(listing.query_value(query, "max"))
    if low is not None and high is not None and low > high:
        problems["max"] = _("El importe máximo es menor que el mínimo.")
    return {key: text for key, text in problems.items() if text} | listing.date_range_problems(
        query
    )


def active_filters(filters: InvoiceFilters) -> list[tuple[str, str]]:
    """Each filter in use as (URL key, what it reads like), in the form's order.

    The page lists them under "Filtros (n)", each with a button that removes it.
    """
    found: list[tuple[str, str]] = []
    if filters.number:
        found.append(("numero", _("Número: {number}").format(number=filters.number)))
    found.extend(listing.date_range_filters(filters.date_from, filters.date_to))
    if filters.amount_min_cents is not None:
        amount = listing.write_cents(filters.amount_min_cents)
        found.append(("min", _("Importe mínimo: {amount} €").format(amount=amount)))
    if filters.amount_max_cents is not None:
        amount = listing.write_cents(filters.amount_max_cents)
        found.append(("max", _("Importe máximo: {amount} €").format(amount=amount)))
    if filters.statuses:
        # The statuses' values are keys; each is shown in the current language.
        names = [
            _(status.value) for key, status in STATUS_FILTERS.items() if key in filters.statuses
        ]
        found.append(("estado", _("Estado: {statuses}").format(statuses=", ".join(names))))
    if filters.overdue:
        found.append(("vencidas", _("Solo vencidas")))
    return found


def filters_to_query(filters: InvoiceFilters) -> dict[str, str]:
    """The URL query for ``filters``, leaving out defaults so links stay short."""
    out: dict[str, str] = {}
    if filters.number:
        out["numero"] = filters.number
    if filters.statuses:
        out["estado"] = ",".join(sorted(filters.statuses))
    out |= listing.date_range_query(filters.date_from, filters.date_to)
    if filters.amount_min_cents is not None:
        out["min"] = listing.write_cents(filters.amount_min_cents)
    if filters.amount_max_cents is not None:
        out["max"] = listing.write_cents(filters.amount_max_cents)
    if filters.overdue:
        out["vencidas"] = "si"
    return out | listing.ordering_query(filters.ordering)


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice as Mis facturas lists it."""

    number: str
    issue_date: date
    due_date: date | None
    currency: str
    total_cents: int
    pending_cents: int
    status: InvoiceStatus
    overdue: bool


@dataclass(frozen=True)
class InvoicePage(Page[InvoiceRow]):
    """A page of Mis facturas, with what is pending over every matching invoice.

    ``pending`` maps each currency to its pending cents (one entry per
    currency the matching invoices use): sums in different currencies are
    never added together.
    """

    pending: dict[str, int] = field(default_factory=dict)


def _status_condition(key: str) -> Any:
    paid, total = col(Invoice.paid_cents), col(Invoice.total_cents)
    if key == "cobrado":
        return paid >= total
    if key == "parcial":
        return sa.and_(paid > 0, paid < total)
    return sa.and_(paid == 0, total > 0)


def _conditions(customer_id: int, filters: InvoiceFilters, today: date) -> list[Any]:
    conditions: list[Any] = [col(Invoice.customer_id) == customer_id]
    if filters.number:
        term = filters.number.lower()
        # lower() only changes letters: without any in the search ("0042"), the
        # column is matched as it is, which costs PostgreSQL a third as much.
        number = col(Invoice.number) if term == term.upper() else func.lower(Invoice.number)
        conditions.append(number.contains(term, autoescape=True))
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
    if filters.overdue:
        # The same rule as status.is_overdue, in SQL.
        conditions.append(col(Invoice.paid_cents) < col(Invoice.total_cents))
        conditions.append(col(Invoice.due_date) < today)
    return conditions


def _count_and_pending(session: Session, conditions: list[Any]) -> tuple[int, dict[str, int]]:
    """How many invoices match and what they leave pending, per currency.

    Most customers are billed in one currency, so one aggregate without
    GROUP BY answers (SQLite sorts every matching row to group them, a
    third of the time at 50,000 invoices); only when the lowest and highest
    currency differ are the sums grouped.
    """
    count, cents, lowest, highest = session.exec(
        select(
            func.count(), func.sum(_PENDING), func.min(Invoice.currency), func.max(Invoice.currency)
        ).where(*conditions)
    ).one()
    if not count:
        return 0, {}
    if lowest == highest:
        return count, {lowest: int(cents)}
    sums = session.exec(
        select(Invoice.currency, func.sum(_PENDING))
        .where(*conditions)
        .group_by(col(Invoice.currency))
        .order_by(col(Invoice.currency))
    ).all()
    return count, {currency: int(cents) for currency, cents in sums}


#: What a row of the list needs, in the order :func:`search_invoices` unpacks it.
_ROW_COLUMNS = (
    col(Invoice.id),
    col(Invoice.number),
    col(Invoice.issue_date),
    col(Invoice.due_date),
    col(Invoice.currency),
    col(Invoice.total_cents),
    col(Invoice.paid_cents),
)


def _row(columns: Any, today: date) -> InvoiceRow:
    """An :class:`InvoiceRow` from the :data:`_ROW_COLUMNS` of one invoice."""
    _, number, issue_date, due_date, currency, total_cents, paid_cents = columns
    status = invoice_status(total_cents, paid_cents)
    return InvoiceRow(
        number=number,
        issue_date=issue_date,
        due_date=due_date,
        currency=currency,
        total_cents=total_cents,
        pending_cents=total_cents - paid_cents,
        status=status,
        overdue=is_overdue(status, due_date, today),
    )


def search_invoices(
    *, session: Session, customer_id: int, filters: InvoiceFilters, today: date | None = None
) -> InvoicePage:
    """One page of the customer's invoices under ``filters``, with the count and pending sums.

    Args:
        session: The database session.
        customer_id: Whose invoices; nothing of any other customer is read.
        filters: What narrows, orders and pages the list.
        today: The day "vencida" is measured against (default: today).
    """
    today = today or date.today()
    conditions = _conditions(customer_id, filters, today)
    ordering = filters.ordering
    count: int | None = None
    pending: dict[str, int] = {}
    page_rows: list[Any] = []
    if ordering.page == 1:
        # Most customers' lists fit on one page: read it first, and when it
        # is not full its rows are every match, so they give the count and
        # the pending sums without an aggregate (one query where three were:
        # a list change is what every customer does most, bench/websockets.py).
        page_rows = _page_rows(session, conditions, ordering, page=1)
        if len(page_rows) < ordering.page_size:
            count = len(page_rows)
            for *_, currency, total_cents, paid_cents in page_rows:
                pending[currency] = pending.get(currency, 0) + total_cents - paid_cents
    if count is None:
        count, pending = _count_and_pending(session, conditions)
    pages = max(1, -(-count // ordering.page_size))
    page = min(ordering.page, pages)
    if page != 1 or not page_rows:
        page_rows = _page_rows(session, conditions, ordering, page=page) if count else []
    has_any = count > 0 or (
        filters.active
        and session.exec(
            select(Invoice.id).where(col(Invoice.customer_id) == customer_id).limit(1)
        ).first()
        is not None
    )
    return InvoicePage(
        rows=[_row(columns, today) for columns in page_rows],
        count=count,
        page=page,
        pages=pages,
        pending=dict(sorted(pending.items())),
        has_any=has_any,
    )


def _page_rows(
    session: Session, conditions: list[Any], ordering: Ordering, *, page: int
) -> list[Any]:
    """The :data:`_ROW_COLUMNS` of page ``page``'s invoices, in the list's order; one query.

    The page's ids are sorted and skipped in a subquery that reads only the
    customer's indexes (a customer with 50,000 invoices sorts 50,000 index
    entries, not 50,000 rows), and just those rows are read from the table.
    """
    direction = sa.desc if ordering.descending else sa.asc
    order = (direction(_SORT_COLUMNS[ordering.sort]), sa.desc(col(Invoice.id)))
    page_ids = (
        select(Invoice.id)
        .where(*conditions)
        .order_by(*order)
        .offset((page - 1) * ordering.page_size)
        .limit(ordering.page_size)
        .subquery("page_ids")
    )
    # Joined to the page's (at most 100) ids, each row is one primary-key read
    # at any table size (tests/domain/test_query_plans.py checks the plans).
    rows = (
        select(*_ROW_COLUMNS)
        .join_from(page_ids, Invoice, col(Invoice.id) == page_ids.c.id)
        .order_by(*order)
    )
    return list(session.exec(rows))


def all_invoice_rows(
    *,
    session: Session,
    customer_id: int,
    filters: InvoiceFilters,
    today: date | None = None,
    numbers: Sequence[str] | None = None,
    limit: int | None = None,
    chunk: int = 1000,
) -> Iterator[tuple[int, InvoiceRow]]:
    """``(id, row)`` of every invoice :func:`search_invoices` would list, in its order, unpaged.

    For exports and bundles: read ``chunk`` rows at a time from a
    server-side cursor, so 50,000 invoices never sit in memory at once.
    With ``numbers``, the customer's invoices of those numbers instead of the
    filters' (a selection; other customers' numbers simply match nothing),
    still in the filters' order. ``limit`` stops after that many.
    """
    today = today or date.today()
    if numbers is None:
        conditions = _conditions(customer_id, filters, today)
    else:
        conditions = [
            col(Invoice.customer_id) == customer_id,
            col(Invoice.number).in_(list(numbers)),
        ]
    direction = sa.desc if filters.ordering.descending else sa.asc
    statement = (
        select(*_ROW_COLUMNS)
        .where(*conditions)
        .order_by(direction(_SORT_COLUMNS[filters.ordering.sort]), sa.desc(col(Invoice.id)))
        .limit(limit)
        .execution_options(yield_per=chunk)
    )
    for columns in session.exec(statement):
        yield columns[0], _row(columns, today)
