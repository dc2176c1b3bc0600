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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from babel.numbers import format_decimal
from sqlmodel import Session, func

from customer_portal.domain.money import cents_to_decimal, to_cents
from customer_portal.i18n import _
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
# Dates: ISO (URLs), day first with any usual separator, or eight digits (ddmmaaaa).
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DAY_FIRST_DATE = re.compile(
    r"([0-9]{1,2})\s*[/.\- ]\s*([0-9]{1,2})\s*[/.\- ]\s*([0-9]{4}|[0-9]{2})"
)
_DIGITS_DATE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})")

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
    """A date as a Spanish customer types it, or None when empty or unusable.

    Day first, whatever the browser's language: ``05/03/2026`` and
    ``5/3/2026`` are the 5th of March, as are ``5-3-2026``, ``5.3.2026``,
    ``05/03/26`` and ``05032026`` (a phone's numeric keypad may have no
    ``/``). The ISO ``2026-03-05`` of URLs (this version's and earlier ones)
    is read too. A date that does not exist (``31/02/2026``) is None.
    """
    text = value.strip()
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST_DATE.fullmatch(text) or _DIGITS_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        return None
    # Two-digit years are this century's: nobody's invoices are from 1926.
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    try:
        return date(full_year, int(month), int(day))
    except ValueError:
        return None


def show_date(value: date) -> str:
    """A date filter as its field shows it: ``05/03/2026``."""
    return value.strftime("%d/%m/%Y")


def read_date_range(query: Mapping[str, Any]) -> tuple[date | None, date | None]:
    """The ``desde`` and ``hasta`` dates of a URL query (either may be None)."""
    return read_date(query_value(query, "desde")), read_date(query_value(query, "hasta"))


def date_range_filters(date_from: date | None, date_to: date | None) -> list[tuple[str, str]]:
    """A date range's entries under "Filtros (n)": (URL key, "Desde 05/03/2026"...)."""
    found = []
    if date_from:
        found.append(("desde", _("Desde {date}").format(date=show_date(date_from))))
    if date_to:
        found.append(("hasta", _("Hasta {date}").format(date=show_date(date_to))))
    return found


def date_range_query(date_from: date | None, date_to: date | None) -> dict[str, str]:
    """``desde`` and ``hasta`` for a URL (ISO, ``2026-03-05``), the unset ones left out.

    URLs keep ISO dates: unambiguous in any language, and the bookmarks of
    earlier versions still read the same.
    """
    dates = {"desde": date_from, "hasta": date_to}
    return {key: value.isoformat() for key, value in dates.items() if value is not None}


#: The URL keys of date filters, whose fields show dd/mm/aaaa while the URL keeps ISO.
DATE_KEYS = frozenset({"desde", "hasta"})


def form_values(query: Mapping[str, str]) -> dict[str, str]:
    """A URL query as the filter form shows it: dates as ``dd/mm/aaaa``, the rest as is."""
    shown = dict(query)
    for key in DATE_KEYS & shown.keys():
        day = read_date(shown[key])
        if day is not None:
            shown[key] = show_date(day)
    return shown


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
    """What is wrong with the amount under ``key``, for the customer; None if fine or empty."""
    value = query_value(query, key)
    if not value or read_cents(value) is not None:
        return None
    return _("«{value}» no es un importe válido. Escríbalo así: 1.210,50").format(value=value)


def date_problem(query: Mapping[str, Any], key: str) -> str | None:
    """What is wrong with the date under ``key``, for the customer; None if fine or empty."""
    value = query_value(query, key)
    if not value or read_date(value) is not None:
        return None
    return _("«{value}» no es una fecha válida. Escríbala así: 05/03/2026 (dd/mm/aaaa)").format(
        value=value
    )


def date_range_problems(query: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with ``desde`` and ``hasta``, by key: unreadable or reversed dates."""
    problems = {key: date_problem(query, key) for key in ("desde", "hasta")}
    problems["hasta"] = problems["hasta"] or date_range_problem(query)
    return {key: text for key, text in problems.items() if text}


def date_range_problem(query: Mapping[str, Any]) -> str | None:
    """A reversed ``desde``/``hasta`` range, for the customer; None if it is fine."""
    date_from, date_to = read_date_range(query)
    if date_from and date_to and date_from > date_to:
        return _("La fecha «Desde» es posterior a «Hasta».")
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
class SortName:
    """How a sort reads in a list's summary: ``ordenadas por fecha, más recientes primero``.

    Whole phrases, so a translator sees the participle agree with the list's
    noun ("ordenadas" facturas, "ordenados" pagos): msgids marked with ``N_``
    where they are declared, translated when the summary is built.

    Attributes:
        ascending: The phrase of an ascending sort ("ordenadas por fecha, más antiguas primero").
        descending: The phrase of a descending sort.
    """

    ascending: str
    descending: str


@dataclass(frozen=True)
class Noun:
    """What a list lists, for its summary: ``count(12)`` is "12 facturas".

    Attributes:
        count: How many of it, in the current language (an ``ngettext`` of the
            list's module, so the catalog has both forms).
    """

    count: Callable[[int], str]


def results_summary(
    *, noun: Noun, count: int, page: int, pages: int, sort: SortName | None, descending: bool
) -> str:
    """The line that sums a list up, read out after every sort, page and filter.

    ``12 facturas · página 1 de 2, ordenadas por fecha, más recientes primero``;
    the page is left out when there is only one, the order when there is one row.

    Args:
        noun: What the list holds.
        count: How many rows match.
        page: The page shown.
        pages: How many pages there are.
        sort: How the sort key reads (None: say nothing of the order).
        descending: The direction.
    """
    if count == 0:
        return _("Ningún resultado con estos filtros.")
    text = noun.count(count)
    if count == 1:
        return text
    if pages > 1:
        text = _("{results} · página {page} de {pages}").format(
            results=text, page=page, pages=pages
        )
    if sort is not None:
        order = _(sort.descending if descending else sort.ascending)
        text = _("{results}, {order}").format(results=text, order=order)
    return text


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
