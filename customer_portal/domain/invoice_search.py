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

import functools
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


@dataclass(frozen=True)
class _Shape:
    """What the SQL of a list query depends on; every value it compares with is a parameter.

    Building a SQLAlchemy statement costs several times what SQLite takes to
    run it for a customer's list (profiled: about 0.6 of a list change's
    0.8 ms of database time), and every customer changes filters, so each
    shape's statements are built once (:func:`_statements`) and run with
    the filters' values bound (:func:`_parameters`).
    """

    #: "" (no number filter), "as-is" or "lower" (the term has letters: compared lower-cased).
    number: str
    statuses: tuple[str, ...]
    date_from: bool
    date_to: bool
    amount_min: bool
    amount_max: bool
    overdue: bool
    sort: str
    descending: bool


def _shape(filters: InvoiceFilters) -> _Shape:
    term = filters.number.lower()
    return _Shape(
        # lower() only changes letters: without any in the search ("0042"), the
        # column is matched as it is, which costs PostgreSQL a third as much.
        number="" if not term else ("as-is" if term == term.upper() else "lower"),
        statuses=tuple(sorted(filters.statuses)),
        date_from=filters.date_from is not None,
        date_to=filters.date_to is not None,
        amount_min=filters.amount_min_cents is not None,
        amount_max=filters.amount_max_cents is not None,
        overdue=filters.overdue,
        sort=filters.ordering.sort,
        descending=filters.ordering.descending,
    )


def _like_anywhere(term: str) -> str:
    """A LIKE pattern (escape character "/") matching ``term`` anywhere, taken literally."""
    escaped = term.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _parameters(customer_id: int, filters: InvoiceFilters, today: date) -> dict[str, Any]:
    """The values :func:`_conditions` binds, for ``filters`` (unused ones are ignored)."""
    return {
        "customer_id": customer_id,
        "number_pattern": _like_anywhere(filters.number.lower()),
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "amount_min": filters.amount_min_cents,
        "amount_max": filters.amount_max_cents,
        "today": today,
    }


_CUSTOMER = col(Invoice.customer_id) == sa.bindparam("customer_id")


def _conditions(shape: _Shape) -> list[Any]:
    """The WHERE of ``shape``, its values bound by name (see :func:`_parameters`)."""
    conditions: list[Any] = [_CUSTOMER]
    if shape.number:
        number = col(Invoice.number) if shape.number == "as-is" else func.lower(Invoice.number)
        conditions.append(number.like(sa.bindparam("number_pattern"), escape="/"))
    if shape.statuses:
        conditions.append(sa.or_(*(_status_condition(k) for k in shape.statuses)))
    if shape.date_from:
        conditions.append(col(Invoice.issue_date) >= sa.bindparam("date_from"))
    if shape.date_to:
        conditions.append(col(Invoice.issue_date) <= sa.bindparam("date_to"))
    if shape.amount_min:
        conditions.append(col(Invoice.total_cents) >= sa.bindparam("amount_min"))
    if shape.amount_max:
        conditions.append(col(Invoice.total_cents) <= sa.bindparam("amount_max"))
    if shape.overdue:
        # The same rule as status.is_overdue, in SQL.
        conditions.append(col(Invoice.paid_cents) < col(Invoice.total_cents))
        conditions.append(col(Invoice.due_date) < sa.bindparam("today"))
    return conditions


def _order(shape: _Shape) -> tuple[Any, Any]:
    """The list's ORDER BY: the sort column its way, then the newest id first (a stable order)."""
    direction = sa.desc if shape.descending else sa.asc
    return direction(_SORT_COLUMNS[shape.sort]), sa.desc(col(Invoice.id))


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


@dataclass(frozen=True)
class _Statements:
    """The SELECTs of one :class:`_Shape`, built once (see :func:`_statements`)."""

    #: The page's rows: bind ``offset`` and ``limit`` besides the filters' values.
    page_rows: Any
    #: How many match, their pending sum, the lowest and highest currency.
    totals: Any
    #: The pending sums per currency, for a list in several.
    sums_by_currency: Any


@functools.lru_cache(maxsize=256)
def _statements(shape: _Shape) -> _Statements:
    """The statements of ``shape``, built on its first use and kept (a few dozen shapes in use)."""
    conditions = _conditions(shape)
    order = _order(shape)
    # The page's ids are sorted and skipped in a subquery that reads only the
    # customer's indexes (a customer with 50,000 invoices sorts 50,000 index
    # entries, not 50,000 rows). Joined to those (at most 100) ids, each row is
    # one primary-key read at any table size (tests/domain/test_query_plans.py).
    page_ids = (
        select(Invoice.id)
        .where(*conditions)
        .order_by(*order)
        .offset(sa.bindparam("offset", type_=sa.Integer))
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .subquery("page_ids")
    )
    return _Statements(
        page_rows=select(*_ROW_COLUMNS)
        .join_from(page_ids, Invoice, col(Invoice.id) == page_ids.c.id)
        .order_by(*order),
        totals=select(
            func.count(), func.sum(_PENDING), func.min(Invoice.currency), func.max(Invoice.currency)
        ).where(*conditions),
        sums_by_currency=select(Invoice.currency, func.sum(_PENDING))
        .where(*conditions)
        .group_by(col(Invoice.currency))
        .order_by(col(Invoice.currency)),
    )


#: Whether the customer has any invoice at all (for "no results" against "nothing yet").
_HAS_ANY = select(Invoice.id).where(_CUSTOMER).limit(1)


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
    statements = _statements(_shape(filters))
    params = _parameters(customer_id, filters, today)
    ordering = filters.ordering
    count: int | None = None
    pending: dict[str, int] = {}
    page_rows: list[Any] = []

    def read_page(page: int) -> list[Any]:
        offset = (page - 1) * ordering.page_size
        bound = params | {"offset": offset, "limit": ordering.page_size}
        return list(session.exec(statements.page_rows, params=bound))

    if ordering.page == 1:
        # Most customers' lists fit on one page: read it first, and when it
        # is not full its rows are every match, so they give the count and
        # the pending sums without an aggregate (one query where three were:
        # a list change is what every customer does most, bench/websockets.py).
        page_rows = read_page(1)
        if len(page_rows) < ordering.page_size:
            count = len(page_rows)
            for *_, currency, total_cents, paid_cents in page_rows:
                pending[currency] = pending.get(currency, 0) + total_cents - paid_cents
    if count is None:
        count, pending = _count_and_pending(session, statements, params)
    pages = max(1, -(-count // ordering.page_size))
    page = min(ordering.page, pages)
    if page != 1 or not page_rows:
        page_rows = read_page(page) if count else []
    has_any = count > 0 or (
        filters.active
        and session.exec(_HAS_ANY, params={"customer_id": customer_id}).first() is not None
    )
    return InvoicePage(
        rows=[_row(columns, today) for columns in page_rows],
        count=count,
        page=page,
        pages=pages,
        pending=dict(sorted(pending.items())),
        has_any=has_any,
    )


def _count_and_pending(
    session: Session, statements: _Statements, params: dict[str, Any]
) -> tuple[int, dict[str, int]]:
    """How many invoices match and what they leave pending, per currency.

    Most customers are billed in one currency, so one aggregate without
    GROUP BY answers (SQLite sorts every matching row to group them, a
    third of the time at 50,000 invoices); only when the lowest and highest
    currency differ are the sums grouped.
    """
    count, cents, lowest, highest = session.exec(statements.totals, params=params).one()
    if not count:
        return 0, {}
    if lowest == highest:
        return count, {lowest: int(cents)}
    sums = session.exec(statements.sums_by_currency, params=params).all()
    return count, {currency: int(cents) for currency, cents in sums}


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
    shape = _shape(filters)
    params = _parameters(customer_id, filters, today)
    if numbers is None:
        conditions = _conditions(shape)
    else:
        conditions = [_CUSTOMER, col(Invoice.number).in_(sa.bindparam("numbers", expanding=True))]
        params["numbers"] = list(numbers)
    statement = (
        select(*_ROW_COLUMNS)
        .where(*conditions)
        .order_by(*_order(shape))
        .limit(limit)
        .execution_options(yield_per=chunk)
    )
    for columns in session.exec(statement, params=params):
        yield columns[0], _row(columns, today)
