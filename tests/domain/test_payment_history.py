"""Mis pagos' query: filters, sort, pages, totals and isolation, on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from customer_portal.db import unit_of_work
from customer_portal.domain.listing import MAX_PAGE, Ordering
from customer_portal.domain.payment_history import (
    PaymentFilters,
    PaymentSort,
    filters_to_query,
    parse_filters,
    search_payments,
)
from tests.factories import make_customer, make_invoice, make_payment


@pytest.fixture
def payments(engine):
    """Customer A: 4 invoices with 2 payments each (one in USD); customer B: 1 payment."""
    with unit_of_work(engine) as session:
        a, b = make_customer(session), make_customer(session)
        for i in range(4):
            invoice = make_invoice(
                session,
                customer=a,
                number=f"A-{i}",
                total=10_000,
                currency="USD" if i == 3 else "EUR",
            )
            for j in range(2):
                make_payment(
                    session,
                    invoice=invoice,
                    amount_cents=1_000 * (i + 1),
                    paid_on=date(2024, 2, 1) + timedelta(days=10 * i + j),
                    reference=f"R-A{i}{j}",
                )
        other = make_invoice(session, customer=b, number="B-0", total=500)
        make_payment(
            session, invoice=other, amount_cents=500, paid_on=date(2024, 2, 1), reference="R-B"
        )
        return a.id, b.id


def search(engine, customer_id, **values):
    ordering = {
        k: values.pop(k) for k in ("sort", "descending", "page", "page_size") if k in values
    }
    filters = PaymentFilters(**values, ordering=Ordering(sorts=tuple(PaymentSort), **ordering))
    with Session(engine) as session:
        return search_payments(session=session, customer_id=customer_id, filters=filters)


def test_newest_first_with_count_and_totals_per_currency(engine, payments):
    a, _ = payments
    page = search(engine, a)
    assert page.count == 8 and page.has_any
    assert [r.reference for r in page.rows][:2] == ["R-A31", "R-A30"]
    assert page.received == {"EUR": 2 * (1000 + 2000 + 3000), "USD": 2 * 4000}
    assert page.rows[0].currency == "USD" and page.rows[0].invoice_number == "A-3"


def test_filter_by_invoice_and_dates(engine, payments):
    a, _ = payments
    assert [r.reference for r in search(engine, a, invoice="a-1").rows] == ["R-A11", "R-A10"]
    ranged = search(engine, a, date_from=date(2024, 2, 11), date_to=date(2024, 2, 21))
    assert [r.paid_on for r in ranged.rows] == [
        date(2024, 2, 21),
        date(2024, 2, 12),
        date(2024, 2, 11),
    ]
    assert ranged.received == {"EUR": 2000 + 2000 + 3000}
    assert search(engine, a, invoice="%").count == 0  # wildcards are literal


@pytest.mark.parametrize(
    ("sort", "first"), [("fecha", "R-A00"), ("factura", "R-A0"), ("importe", "R-A0")]
)
def test_sort_by_any_column(engine, payments, sort, first):
    a, _ = payments
    ascending = search(engine, a, sort=sort, descending=False).rows
    assert ascending[0].reference.startswith(first)
    assert search(engine, a, sort=sort).rows[0].reference.startswith("R-A3")


def test_pages_clamp_and_other_customers_stay_invisible(engine, payments):
    a, b = payments
    last = search(engine, a, page=99, page_size=10)
    assert (last.page, last.pages, len(last.rows)) == (1, 1, 8)
    assert all(r.invoice_number.startswith("A-") for r in last.rows)
    assert search(engine, a, invoice="B-0").count == 0
    only_b = search(engine, b)
    assert [r.reference for r in only_b.rows] == ["R-B"] and only_b.received == {"EUR": 500}


def test_empty_states_tell_no_payments_from_no_results(engine, payments):
    a, _ = payments
    nothing = search(engine, a, invoice="zzz")
    assert nothing.count == 0 and nothing.has_any
    none_at_all = search(engine, 999_999)
    assert not none_at_all.has_any and none_at_all.received == {}


def test_url_query_round_trip_and_garbage_is_ignored():
    filters = parse_filters(
        {"factura": "A-1", "desde": "2024-02-01", "hasta": "ayer", "orden": "importe", "dir": "asc"}
    )
    assert filters == PaymentFilters(
        invoice="A-1",
        date_from=date(2024, 2, 1),
        ordering=Ordering(sorts=tuple(PaymentSort), sort="importe", descending=False),
    )
    assert parse_filters(filters_to_query(filters)) == filters
    assert filters_to_query(PaymentFilters()) == {}
    assert parse_filters({"orden": "reference; --", "pagina": "0"}) == PaymentFilters()


@given(
    st.dictionaries(
        st.sampled_from(["factura", "desde", "hasta", "orden", "dir", "pagina", "tam"]),
        st.one_of(st.text(), st.integers(), st.none()),
    )
)
def test_parse_filters_never_raises_and_round_trips(query):
    filters = parse_filters(query)
    assert 1 <= filters.ordering.page <= MAX_PAGE
    assert len(filters.invoice) <= 40
    assert parse_filters(filters_to_query(filters)) == filters
