"""Mis facturas' query: filters, sort, pages, totals and isolation, on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from customer_portal.db import unit_of_work
from customer_portal.domain.invoice_search import (
    InvoiceFilters,
    InvoicePage,
    InvoiceSort,
    _statements,
    active_filters,
    filter_problems,
    filters_to_query,
    parse_filters,
    search_invoices,
)
from customer_portal.domain.listing import MAX_FILTER_CENTS, MAX_PAGE, PAGE_SIZES, Ordering
from customer_portal.domain.status import InvoiceStatus
from customer_portal.models import Customer, Invoice
from tests.factories import make_customer, make_invoice

ORDERING_KEYS = {"sort", "descending", "page", "page_size"}


def make_filters(**values) -> InvoiceFilters:
    """InvoiceFilters from flat keywords: sort, descending, page and page_size go to ordering."""
    ordering = {k: values.pop(k) for k in list(values) if k in ORDERING_KEYS}
    return InvoiceFilters(**values, ordering=Ordering(sorts=tuple(InvoiceSort), **ordering))


def with_page(filters: InvoiceFilters, page: int) -> InvoiceFilters:
    return replace(filters, ordering=replace(filters.ordering, page=page))


TODAY = date(2024, 6, 1)


@pytest.fixture
def invoices(engine):
    """Customer A: 30 invoices (10 paid, 10 partly, 10 pending); customer B: 5 more."""
    with unit_of_work(engine) as session:
        a, b = make_customer(session), make_customer(session)
        for i in range(30):
            total = 1000 * (i + 1)
            make_invoice(
                session,
                customer=a,
                number=f"A-{i:03d}",
                total=total,
                paid=total if i % 3 == 0 else (total // 2 if i % 3 == 1 else 0),
                issue_date=date(2024, 1, 1) + timedelta(days=i),
                due_date=date(2024, 1, 31) + timedelta(days=i * 5),
            )
        for i in range(5):
            make_invoice(
                session, customer=b, number=f"B-{i:03d}", total=99_999, issue_date=date(2024, 1, 1)
            )
        return a.id, b.id


def search(engine, customer_id, **filters):
    with Session(engine) as session:
        return search_invoices(
            session=session, customer_id=customer_id, filters=make_filters(**filters), today=TODAY
        )


def test_first_page_newest_first_with_count_and_pending(engine, invoices):
    a, _ = invoices
    page = search(engine, a, page_size=10)
    assert page.count == 30 and page.pages == 3
    assert [r.number for r in page.rows][:3] == ["A-029", "A-028", "A-027"]
    # Pending: the half of 10 partly paid plus 10 unpaid invoices.
    partly = sum(1000 * (i + 1) - 1000 * (i + 1) // 2 for i in range(30) if i % 3 == 1)
    unpaid = sum(1000 * (i + 1) for i in range(30) if i % 3 == 2)
    assert page.pending == {"EUR": partly + unpaid}


def test_a_number_search_takes_every_character_literally(engine):
    """LIKE's wildcards and the escape character in a search match only themselves."""
    numbers = ["R_1", "RX1", "R%1", "R/1", "R//1", "R/_1"]
    with unit_of_work(engine) as session:
        customer = make_customer(session)
        for number in numbers:
            make_invoice(session, customer=customer, number=number)
        customer_id = customer.id
    for term, found in [
        ("r_1", ["R_1"]),
        ("R%1", ["R%1"]),
        ("r/1", ["R/1"]),
        ("R//1", ["R//1"]),
        ("/_", ["R/_1"]),
        ("%", ["R%1"]),
        ("_", ["R_1", "R/_1"]),
        ("1", numbers),
    ]:
        rows = search(engine, customer_id, number=term, page_size=100).rows
        assert sorted(r.number for r in rows) == sorted(found), term


def test_each_kind_of_search_is_built_once_and_reused(engine, invoices):
    """Statements are built per kind of search, not per search (building cost more than running)."""
    a, b = invoices
    _statements.cache_clear()

    def numbers(customer_id, **filters):
        return sorted(r.number for r in search(engine, customer_id, **filters).rows)

    assert numbers(a, number="a-00") == [f"A-00{i}" for i in range(10)]
    # The same kind with other values: their own rows, never the first search's,
    # and another customer's search of that kind finds only its own invoices.
    assert numbers(a, number="a-01") == [f"A-01{i}" for i in range(10)]
    assert numbers(b, number="-00") == [f"B-00{i}" for i in range(5)]
    assert numbers(b, number="a-00") == []
    assert len(numbers(a, number="A-02", sort="total")) == 10
    info = _statements.cache_info()
    # Three kinds: a number with letters, one without, and one with letters sorted by total.
    assert (info.misses, info.hits) == (3, 2)


def test_statuses_filter_alone_and_together(engine, invoices):
    a, _ = invoices
    assert search(engine, a, statuses=frozenset({"cobrado"})).count == 10
    both = search(engine, a, statuses=frozenset({"parcial", "pendiente"}), page_size=100)
    assert both.count == 20
    assert {r.status for r in both.rows} == {InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PENDING}


def test_number_dates_and_amounts(engine, invoices):
    a, _ = invoices
    assert [r.number for r in search(engine, a, number="a-00").rows] == [
        f"A-00{i}" for i in range(9, -1, -1)
    ]
    assert search(engine, a, number="%").count == 0  # wildcards are literal
    # A search without letters compares the column itself, not lower(number).
    assert [r.number for r in search(engine, a, number="-02").rows] == [
        f"A-02{i}" for i in range(9, -1, -1)
    ]
    ranged = search(engine, a, date_from=date(2024, 1, 5), date_to=date(2024, 1, 7))
    assert [r.issue_date.day for r in ranged.rows] == [7, 6, 5]
    priced = search(engine, a, amount_min_cents=5000, amount_max_cents=7000)
    assert [r.total_cents for r in priced.rows] == [7000, 6000, 5000]


@pytest.mark.parametrize(
    ("sort", "first"),
    [("numero", "A-000"), ("total", "A-000"), ("vencimiento", "A-000"), ("fecha", "A-000")],
)
def test_sort_by_any_column(engine, invoices, sort, first):
    a, _ = invoices
    assert search(engine, a, sort=sort, descending=False).rows[0].number == first
    assert search(engine, a, sort=sort).rows[0].number == "A-029"


def test_pending_sort_and_overdue_flag(engine, invoices):
    a, _ = invoices
    rows = search(engine, a, sort="pendiente", page_size=100).rows
    assert rows[0].number == "A-029" and rows[-1].pending_cents == 0
    overdue = {r.number for r in rows if r.overdue}
    assert "A-002" in overdue and "A-000" not in overdue  # paid is never overdue


def test_pages_clamp_and_other_customers_stay_invisible(engine, invoices):
    a, b = invoices
    last = search(engine, a, page=99, page_size=25)
    assert (last.page, len(last.rows)) == (2, 5)
    assert all(r.number.startswith("A-") for r in search(engine, a, page_size=100).rows)
    assert search(engine, a, number="B-").count == 0
    assert search(engine, a, amount_min_cents=99_999).count == 0
    assert search(engine, b, page_size=100).count == 5


def test_empty_states_tell_no_invoices_from_no_results(engine, invoices):
    a, _ = invoices
    nothing = search(engine, a, number="zzz")
    assert nothing.count == 0 and nothing.has_any
    assert not search(engine, 999_999).has_any


def test_url_query_round_trip_and_garbage_is_ignored():
    filters = parse_filters(
        {
            "numero": "F-1",
            "estado": "parcial,pendiente,bogus",
            "desde": "2024-01-01",
            "hasta": "no-date",
            "min": "10,5",
            "max": "-3",
            "orden": "total",
            "dir": "asc",
            "pagina": "3",
            "tam": "50",
        }
    )
    assert filters == make_filters(
        number="F-1",
        statuses=frozenset({"parcial", "pendiente"}),
        date_from=date(2024, 1, 1),
        amount_min_cents=1050,
        sort="total",
        descending=False,
        page=3,
        page_size=50,
    )
    assert parse_filters(filters_to_query(filters)) == filters
    assert parse_filters({"orden": "password_hash", "tam": "1000000", "pagina": "-1"}) == (
        InvoiceFilters()
    )
    assert filters_to_query(InvoiceFilters()) == {}


URL_KEYS = [
    "numero",
    "estado",
    "vencidas",
    "desde",
    "hasta",
    "min",
    "max",
    "orden",
    "dir",
    "pagina",
    "tam",
]
NASTY_VALUES = [
    "1e20",
    "1e999999",
    "-1e999999",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "-0",
    "9" * 5000,
    "99999999999999999999",
    "١٢",
    "²",
    "0x10",
    "1_000",
    "\x00",
    "\ud800",
    "x" * 100_000,
    "2024-W01-1",
]
# Every category, surrogates and control characters included.
any_text = st.text(st.characters(exclude_categories=()))
url_values = st.one_of(
    st.sampled_from(NASTY_VALUES),
    any_text,
    st.from_regex(r"[+-]?[0-9]{0,30}([.,][0-9]{0,30})?([eE][+-]?[0-9]{1,7})?", fullmatch=True),
    st.integers().map(str),
    st.decimals().map(str),
    st.floats().map(str),
    st.none(),
    st.integers(),
    st.binary(),
    st.lists(st.text(max_size=5), max_size=3),
)


# Generating 100,000-character values is slow on a busy machine: never fail for speed.
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.one_of(st.sampled_from(URL_KEYS), any_text), url_values))
@example({"min": "1e999999"})  # decimal.Overflow in to_cents
@example({"pagina": "²", "tam": "²"})  # "²".isdigit(), but int("²") raises
def test_parse_filters_never_raises_and_bounds_every_value(query):
    filters = parse_filters(query)
    assert 1 <= filters.ordering.page <= MAX_PAGE and filters.ordering.page_size in PAGE_SIZES
    for cents in (filters.amount_min_cents, filters.amount_max_cents):
        assert cents is None or 0 <= cents <= MAX_FILTER_CENTS
    assert len(filters.number) <= 40 and filters.number.isprintable()
    assert parse_filters(filters_to_query(filters)) == filters


def test_out_of_range_amounts_are_absent_and_pages_clamp():
    assert parse_filters({"min": "1e20", "max": "9" * 5000}) == InvoiceFilters()
    assert parse_filters({"min": "NaN", "max": "-Infinity"}) == InvoiceFilters()
    assert parse_filters({"min": "١٢", "max": "-0"}) == InvoiceFilters()
    assert parse_filters({"max": "100000000000"}).amount_max_cents == MAX_FILTER_CENTS
    assert parse_filters({"max": "100000000000.01"}).amount_max_cents is None
    assert parse_filters({"pagina": "99999999999999999999"}).ordering.page == MAX_PAGE
    assert parse_filters({"numero": " F-1\x00\ud800 "}).number == "F-1"


def test_filters_bound_themselves_however_they_are_built():
    """UI handlers pass numbers straight in: with_page, replace, the constructor."""
    assert with_page(InvoiceFilters(), 10**30).ordering.page == MAX_PAGE
    assert with_page(InvoiceFilters(), 10**5000).ordering.page == MAX_PAGE
    assert with_page(InvoiceFilters(), -(10**5000)).ordering.page == 1
    # str() of a 5,000-digit int raises ValueError: the URL must never see one.
    assert filters_to_query(with_page(InvoiceFilters(), 10**5000)) == {"pagina": str(MAX_PAGE)}
    odd = make_filters(
        number="9" * 10_000,
        statuses=frozenset({"cobrado", "password_hash"}),
        amount_min_cents=10**22,
        amount_max_cents=-1,
        sort="id; DROP TABLE invoice",
        page=10**30,
        page_size=0,
    )
    assert odd == make_filters(
        number="9" * 40, statuses=frozenset({"cobrado"}), page=MAX_PAGE, page_size=25
    )


@pytest.mark.parametrize(
    ("query", "count", "page"),
    [
        ({"min": "1e20"}, 30, 1),  # OverflowError: SQLite's INTEGER is 64-bit
        ({"max": "1e999999", "min": "9" * 5000}, 30, 1),
        ({"min": "NaN", "max": "Infinity"}, 30, 1),
        ({"min": "-0", "max": "١٢"}, 30, 1),
        ({"pagina": "99999999999999999999"}, 30, 2),
        ({"pagina": "9" * 5000, "tam": "10"}, 30, 3),
        ({"pagina": "²", "tam": "²"}, 30, 1),
        ({"numero": "A-0\x00"}, 30, 1),  # PostgreSQL refuses NUL in a parameter
        ({"numero": "\ud800A-00"}, 10, 1),  # not encodable for either database
        ({"numero": "x" * 10_000}, 0, 1),
    ],
)
def test_extreme_url_filters_search_without_error(engine, invoices, query, count, page):
    a, _ = invoices
    with Session(engine) as session:
        result = search_invoices(
            session=session, customer_id=a, filters=parse_filters(query), today=TODAY
        )
    assert (result.count, result.page) == (count, page)
    assert result.has_any


def test_extreme_filters_built_in_code_search_without_error(engine, invoices):
    a, _ = invoices
    last = search(engine, a, page=10**30, amount_min_cents=10**22, number="\x00" * 5)
    assert (last.count, last.page, len(last.rows)) == (30, 2, 5)


def test_fifty_thousand_invoices_page_without_loading_them(engine):
    """Counts and pages come from SQL: the query returns one page whatever the total."""
    with unit_of_work(engine) as session:
        big = make_customer(session).id
    rows = [
        {
            "number": f"N{i:06d}",
            "customer_id": big,
            "issue_date": date(2020, 1, 1) + timedelta(days=i % 1500),
            "currency": "EUR",
            "subtotal_cents": i,
            "tax_cents": 0,
            "total_cents": i,
            "paid_cents": 0,
            "content_hash": "x",
            "published_at": None,
        }
        for i in range(50_000)
    ]
    from customer_portal.models import utcnow

    now = utcnow()
    for row in rows:
        row["published_at"] = now
    with engine.begin() as conn:
        conn.execute(Invoice.__table__.insert(), rows)
    page = search(engine, big, page=40, page_size=100, statuses=frozenset({"pendiente"}))
    assert page.count == 49_999 and page.pages == 500 and len(page.rows) == 100
    with Session(engine) as session:
        assert session.exec(select(Invoice.id).where(Invoice.customer_id == big)).first()


def test_status_sorts_what_is_owed_first(engine, invoices):
    a, _ = invoices
    rows = search(engine, a, sort="estado", descending=False, page_size=100).rows
    order = [r.status for r in rows]
    assert order == sorted(
        order, key=[InvoiceStatus.PENDING, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID].index
    )
    assert order[0] is InvoiceStatus.PENDING and order[-1] is InvoiceStatus.PAID


def test_pending_is_summed_per_currency(engine, invoices):
    """Dollars are never added to euros: one sum per currency."""
    a, _ = invoices
    with unit_of_work(engine) as session:
        customer = session.get(Customer, a)
        make_invoice(session, customer=customer, number="A-USD", total=500, currency="USD")
    pending = search(engine, a).pending
    assert set(pending) == {"EUR", "USD"} and pending["USD"] == 500


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1.000", 100_000),  # a thousand, the Spanish way: not one euro
        ("1.000,50", 100_050),
        ("1210,5", 121_050),
        ("1.210,50 €", 121_050),
        ("0,05", 5),
        ("1210.50", 121_050),  # a decimal point is still understood
        ("abc", None),
        ("1,234", None),  # three decimals: not an amount of money
        ("1.0000", None),
        ("12.34.56", None),
        ("-3", None),
    ],
)
def test_amounts_are_read_the_spanish_way(typed, cents):
    assert parse_filters({"min": typed}).amount_min_cents == cents


def test_amounts_go_back_to_the_field_the_spanish_way():
    query = filters_to_query(make_filters(amount_min_cents=100_050, amount_max_cents=200_000))
    assert (query["min"], query["max"]) == ("1.000,50", "2.000")


@pytest.mark.parametrize(
    ("query", "problems"),
    [
        ({"min": "1.000", "max": "2.000,50"}, {}),
        ({"min": "abc"}, {"min": "«abc» no es un importe válido. Escríbalo así: 1.210,50"}),
        ({"min": "20", "max": "10"}, {"max": "El importe máximo es menor que el mínimo."}),
        (
            {"desde": "2024-05-01", "hasta": "2024-04-01"},
            {"hasta": "La fecha «Desde» es posterior a «Hasta»."},
        ),
        (
            {"desde": "01/05/2024", "hasta": "01/04/2024"},
            {"hasta": "La fecha «Desde» es posterior a «Hasta»."},
        ),
        (
            {"desde": "04/31/2024", "min": "abc"},
            {
                "desde": "«04/31/2024» no es una fecha válida. "
                "Escríbala así: 05/03/2026 (dd/mm/aaaa)",
                "min": "«abc» no es un importe válido. Escríbalo así: 1.210,50",
            },
        ),
    ],
)
def test_filters_that_cannot_be_used_say_why(query, problems):
    assert filter_problems(query) == problems


def test_dates_are_typed_day_first_and_kept_iso_in_the_url():
    filters = parse_filters({"desde": "05/03/2024", "hasta": "5/4/24"})
    assert (filters.date_from, filters.date_to) == (date(2024, 3, 5), date(2024, 4, 5))
    assert filters_to_query(filters) == {"desde": "2024-03-05", "hasta": "2024-04-05"}


def test_the_filters_in_use_are_listed_in_spanish():
    filters = make_filters(
        number="F-1",
        statuses=frozenset({"pendiente", "parcial"}),
        date_from=date(2024, 3, 5),
        amount_min_cents=100_050,
        overdue=True,
    )
    assert active_filters(filters) == [
        ("numero", "Número: F-1"),
        ("desde", "Desde 05/03/2024"),
        ("min", "Importe mínimo: 1.000,50 €"),
        ("estado", "Estado: Cobrado parcialmente, Pendiente"),
        ("vencidas", "Solo vencidas"),
    ]
    assert active_filters(InvoiceFilters()) == []
    # Each listed key is one the URL has: removing it is dropping that key.
    assert {key for key, _ in active_filters(filters)} <= filters_to_query(filters).keys()


def test_only_overdue_invoices(engine, invoices):
    """Vencidas: still owing after the due date, as the red badge says; never a paid one."""
    a, _ = invoices
    found = search(engine, a, overdue=True, page_size=100)
    assert found.count > 0 and all(row.overdue for row in found.rows)
    everything = search(engine, a, page_size=100).rows
    assert {r.number for r in found.rows} == {r.number for r in everything if r.overdue}
    assert parse_filters({"vencidas": "si"}).overdue
    assert filters_to_query(make_filters(overdue=True)) == {"vencidas": "si"}


def _selects(engine, customer_id, **filters) -> tuple[InvoicePage, int]:
    """What :func:`search` returns, and how many SELECTs it sent."""
    sent = []

    def keep(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        return search(engine, customer_id, **filters), len(sent)
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)


@pytest.mark.parametrize("page_size", PAGE_SIZES)
@pytest.mark.parametrize(
    "filters", [{}, {"statuses": frozenset({"pendiente", "parcial"})}, {"number": "A-01"}]
)
def test_count_and_pending_agree_whether_the_list_fits_a_page_or_not(
    engine, invoices, page_size, filters
):
    """A list shorter than a page is counted and summed from its rows, a longer one in SQL:
    both give what every matching invoice adds up to, per currency."""
    a, _ = invoices
    with unit_of_work(engine) as session:
        customer = session.get(Customer, a)
        make_invoice(session, customer=customer, number="A-USD", total=500, currency="USD")
    every = search(engine, a, page_size=100, page=1, **filters).rows
    # The reference: the rows themselves (the page of 100 holds all of them).
    expected: dict[str, int] = {}
    for row in every:
        expected[row.currency] = expected.get(row.currency, 0) + row.pending_cents
    page, selects = _selects(engine, a, page_size=page_size, **filters)
    assert page.count == len(every)
    assert page.pending == expected and list(page.pending) == sorted(expected)
    assert [r.number for r in page.rows] == [r.number for r in every][:page_size]
    # One query when the first page holds every match; the aggregate only when it may
    # not (and the sums grouped by currency only when there are several).
    assert selects == (1 if len(every) < page_size else 2 + (len(expected) > 1))


def test_a_page_past_the_end_of_a_short_list_shows_its_only_page(engine, invoices):
    _, b = invoices
    page = search(engine, b, page=3, page_size=10)
    assert (page.page, page.pages, page.count, len(page.rows)) == (1, 1, 5, 5)
    assert page.pending == {"EUR": 5 * 99_999}
