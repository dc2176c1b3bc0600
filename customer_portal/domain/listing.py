"""What every list page shares: reading its URL query safely, sorting and paging in SQL.

A list page (Mis facturas, Mis pagos...) keeps its filters in the URL, with
Spanish keys so a bookmark reads well. This module reads the keys every list
has (``orden``, ``dir``, ``pagina``, ``tam``) and the kinds of values filters
use (text, dates, amounts), and never fails: an unusable value is ignored, a
page number is clamped. A page's own module (e.g.
:mod:`customer_portal.domain.invoice_search`) declares its filters and sorts
with these pieces and :func:`fetch_page` runs the query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from babel.numbers import format_decimal
from sqlmodel import Session, func

from customer_portal.domain.money import cents_to_decimal, to_cents
from customer_portal.limits import INVOICE_NUMBER_LENGTH

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
#: Highest page number a filter keeps. A million pages of ten is ten million
#: rows, more than any one customer has, and it keeps (page - 1) * page_size
#: below 10^8, nowhere near the 2^63 - 1 an OFFSET may reach on SQLite or
#: PostgreSQL. fetch_page clamps again to the real last page.
MAX_PAGE = 1_000_000
#: Amount filters above this many cents (100,000 million euros) are ignored.
#: No stored amount comes near it (see money.MAX_STORED_INTEGER), and a larger
#: bound parameter would approach SQLite's 64-bit INTEGER, past which its
#: driver raises OverflowError instead of comparing.
MAX_FILTER_CENTS = 10**13
#: Longest value read from the URL: the longest thing searched for is an invoice number.
MAX_QUERY_VALUE = INVOICE_NUMBER_LENGTH
# Plain ASCII digits only: Decimal would also read "1e20", "NaN" or "١٢".
# Spanish: groups of three after points, up to two decimals after a comma.
_SPANISH_AMOUNT = re.compile(r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]{1,2})?")
# A decimal point, as in the URLs of earlier versions: "1210.50", "10.5".
_POINT_DECIMAL = re.compile(r"[0-9]+\.[0-9]{1,2}")

T = TypeVar("T")


def clean_text(value: object) -> str:
    """Printable text of at most MAX_QUERY_VALUE characters; anything else is "".

    Non-printable characters go: PostgreSQL refuses NUL in a query parameter,
    and a lone surrogate cannot be encoded for either database.
    """
    if not isinstance(value, str):
        return ""
    text = "".join(filter(str.isprintable, value[: 10 * MAX_QUERY_VALUE])).strip()
    return text[:MAX_QUERY_VALUE].strip()


def query_value(query: Mapping[str, Any], key: str) -> str:
    """The raw text of ``key``, stripped and cut to MAX_QUERY_VALUE; "" if absent or not text."""
    value = query.get(key, "")
    return value.strip()[:MAX_QUERY_VALUE] if isinstance(value, str) else ""


def read_date(value: str) -> date | None:
    """An ISO date (``2026-04-30``), or None when empty or unusable."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def read_date_range(query: Mapping[str, Any]) -> tuple[date | None, date | None]:
    """The ``desde`` and ``hasta`` dates of a URL query (either may be None)."""
    return read_date(query_value(query, "desde")), read_date(query_value(query, "hasta"))


def date_range_query(date_from: date | None, date_to: date | None) -> dict[str, str]:
    """``desde`` and ``hasta`` for a URL, the unset ones left out."""
    dates = {"desde": date_from, "hasta": date_to}
    return {key: value.isoformat() for key, value in dates.items() if value is not None}


def read_cents(value: str) -> int | None:
    """Cents of an amount as a Spanish customer writes it; None when unusable or too large.

    ``1.210,50``, ``1210,5`` and ``1.000`` (a thousand: money has two decimals
    at most, so three digits after a point are a group) are read the Spanish
    way; ``1210.50`` is accepted too, as a decimal point. Anything else
    (``abc``, ``1,234``, ``1e20``, a minus sign) is None.
    """
    text = value.strip().removesuffix("€").strip()
    if _SPANISH_AMOUNT.fullmatch(text):
        number = text.replace(".", "").replace(",", ".")
    elif _POINT_DECIMAL.fullmatch(text):
        number = text
    else:
        return None
    amount = Decimal(number)
    # Compared before to_cents, so no arithmetic ever meets a huge number.
    if amount > Decimal(MAX_FILTER_CENTS) / 100:
        return None
    return to_cents(amount)


def write_cents(cents: int) -> str:
    """An amount filter as the field shows it and the URL keeps it: ``1.210,50``, ``1.000``."""
    pattern = "#,##0" if cents % 100 == 0 else "#,##0.00"
    return format_decimal(cents_to_decimal(cents), format=pattern, locale="es_ES")


def amount_problem(query: Mapping[str, Any], key: str) -> str | None:
    """What is wrong with the amount under ``key``, in Spanish; None if it is fine or empty."""
    value = query_value(query, key)
    if not value or read_cents(value) is not None:
        return None
    return f"«{value}» no es un importe válido. Escríbelo así: 1.210,50"


def date_range_problem(query: Mapping[str, Any]) -> str | None:
    """A reversed ``desde``/``hasta`` range, in Spanish; None if it is fine."""
    date_from, date_to = read_date_range(query)
    if date_from and date_to and date_from > date_to:
        return "La fecha «Desde» es posterior a «Hasta»."
    return None


def read_digits(value: str) -> int | None:
    """A whole number written in ASCII digits, or None."""
    # isascii: "²".isdigit() is true too, and int("²") raises.
    return int(value) if value.isascii() and value.isdigit() else None


def bounded_int(value: object, *, low: int, high: int, default: int) -> int:
    """``value`` clamped to ``low..high`` if it is an int (not a bool); else ``default``."""
    if not isinstance(value, int) or isinstance(value, bool):
        return default
    return min(max(value, low), high)


def cents_or_none(value: object) -> int | None:
    """``value`` if it is a usable amount filter in cents, else None."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if 0 <= value <= MAX_FILTER_CENTS else None


@dataclass(frozen=True)
class Ordering:
    """How a list is sorted and which page of it is shown.

    Built from the URL and from UI events, so it bounds itself: an unknown
    sort key becomes ``default_sort``, a page is clamped to 1..MAX_PAGE, a
    page size not in PAGE_SIZES becomes the default.
    """

    sorts: tuple[str, ...]
    sort: str = ""
    descending: bool = True
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        bounded = {
            "sort": self.sort if self.sort in self.sorts else self.sorts[0],
            "page": bounded_int(self.page, low=1, high=MAX_PAGE, default=1),
            "page_size": self.page_size if self.page_size in PAGE_SIZES else DEFAULT_PAGE_SIZE,
        }
        for name, value in bounded.items():
            object.__setattr__(self, name, value)

    @property
    def default_sort(self) -> str:
        """The first sort key: the list's order when the URL names none."""
        return self.sorts[0]


def read_ordering(query: Mapping[str, Any], sorts: Sequence[str]) -> Ordering:
    """The ``orden``, ``dir``, ``pagina`` and ``tam`` of a URL query; never raises.

    Args:
        query: The page's URL query.
        sorts: The list's sort keys; the first is the default, newest first.
    """
    page = read_digits(query_value(query, "pagina"))
    size = read_digits(query_value(query, "tam"))
    return Ordering(
        sorts=tuple(sorts),
        sort=query_value(query, "orden"),
        descending=query_value(query, "dir") != "asc",
        page=page if page is not None else 1,
        page_size=size if size is not None else DEFAULT_PAGE_SIZE,
    )


def ordering_query(ordering: Ordering) -> dict[str, str]:
    """The URL query of ``ordering``, leaving out defaults so links stay short."""
    out: dict[str, str] = {}
    if ordering.sort != ordering.default_sort:
        out["orden"] = ordering.sort
    if not ordering.descending:
        out["dir"] = "asc"
    if ordering.page != 1:
        out["pagina"] = str(ordering.page)
    if ordering.page_size != DEFAULT_PAGE_SIZE:
        out["tam"] = str(ordering.page_size)
    return out


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with how many rows match in all and where this page is."""

    rows: list[T] = field(default_factory=list)
    count: int = 0
    page: int = 1
    pages: int = 1
    #: Whether the owner has any row at all, filters aside: "no match" and
    #: "nothing yet" are different messages.
    has_any: bool = False


def fetch_page(
    *,
    session: Session,
    statement: Any,
    order_by: Any,
    tiebreak: Any,
    ordering: Ordering,
    count: int | None = None,
) -> Page[Any]:
    """One page of what ``statement`` selects, sorted and counted in SQL.

    Only the page's rows are fetched (LIMIT/OFFSET) and the count is an
    aggregate over the same FROM and WHERE, so a customer with 50,000 rows
    costs the same as one with fifty. A page past the end shows the last one.

    Args:
        session: The database session.
        statement: A ``select(...)`` with its joins and WHERE clauses, which
            must include the owner's id; no ORDER BY, LIMIT or OFFSET.
        order_by: The column or expression of ``ordering.sort``.
        tiebreak: A unique column, so equal sort values keep a stable order.
        ordering: Sort direction, page and page size.
        count: How many rows match, when the caller's own aggregate already
            counted them (saves a query); counted here if None.

    Returns:
        The page's rows as ``session.exec(statement)`` yields them; ``has_any``
        is left False (the caller knows what "any" means for its owner).
    """
    if count is None:
        count = session.scalar(statement.with_only_columns(func.count()).order_by(None)) or 0
    pages = max(1, -(-count // ordering.page_size))
    page = min(ordering.page, pages)
    direction = sa.desc if ordering.descending else sa.asc
    rows = session.exec(
        statement.order_by(direction(order_by), sa.desc(tiebreak))
        .offset((page - 1) * ordering.page_size)
        .limit(ordering.page_size)
    ).all()
    return Page(rows=list(rows), count=count, page=page, pages=pages)
