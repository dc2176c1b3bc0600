"""What every list shares: dates read day first, the summary sentence, form values."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customer_portal.domain.invoice_search import NOUN as INVOICES
from customer_portal.domain.invoice_search import SORT_NAMES, InvoiceSort
from customer_portal.domain.listing import (
    date_problem,
    date_range_problems,
    form_values,
    read_date,
    results_summary,
    show_date,
)
from customer_portal.domain.payment_history import NOUN as PAYMENTS
from customer_portal.domain.payment_history import SORT_NAMES as PAYMENT_SORTS
from customer_portal.domain.payment_history import PaymentSort


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # Day first, whatever language the browser speaks: the 5th of March.
        ("05/03/2026", date(2026, 3, 5)),
        ("5/3/2026", date(2026, 3, 5)),
        (" 5 / 3 / 2026 ", date(2026, 3, 5)),
        ("5-3-2026", date(2026, 3, 5)),
        ("5.3.2026", date(2026, 3, 5)),
        ("05/03/26", date(2026, 3, 5)),
        # A phone's numeric keypad may have no "/".
        ("05032026", date(2026, 3, 5)),
        # ISO, as URLs keep it (and earlier versions' bookmarks).
        ("2026-03-05", date(2026, 3, 5)),
        ("31/12/2025", date(2025, 12, 31)),
        ("29/02/2024", date(2024, 2, 29)),
    ],
)
def test_dates_are_read_day_first(typed, meant):
    assert read_date(typed) == meant


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ayer",
        "31/02/2026",
        "29/02/2025",
        "13/13/2026",
        "00/01/2026",
        "5/3",
        "5/3/202",
        "2026/03/05x",
        "5/3/2026/1",
        "0503202",
        "٠٥/٠٣/٢٠٢٦",
        "05/03/0000",
        "1e5",
    ],
)
def test_dates_that_do_not_exist_or_cannot_be_read_are_none(typed):
    assert read_date(typed) is None


@given(st.dates(min_value=date(1000, 1, 1)))
def test_a_shown_date_reads_back_as_itself(day):
    assert read_date(show_date(day)) == day
    assert read_date(day.isoformat()) == day


@given(st.text(max_size=40))
def test_reading_a_date_never_raises(text):
    read_date(text)


def test_the_form_shows_the_urls_iso_dates_day_first():
    query = {"desde": "2026-03-05", "hasta": "2026-12-31", "numero": "2026-03-05"}
    assert form_values(query) == {
        "desde": "05/03/2026",
        "hasta": "31/12/2026",
        "numero": "2026-03-05",
    }


HOW = " Escríbala así: 05/03/2026 (dd/mm/aaaa)"


@pytest.mark.parametrize(
    ("query", "problems"),
    [
        ({"desde": "05/03/2026", "hasta": "2026-03-31"}, {}),
        ({"desde": "", "hasta": ""}, {}),
        ({"desde": "32/01/2026"}, {"desde": "«32/01/2026» no es una fecha válida." + HOW}),
        ({"hasta": "ayer"}, {"hasta": "«ayer» no es una fecha válida." + HOW}),
        (
            {"desde": "31/03/2026", "hasta": "01/03/2026"},
            {"hasta": "La fecha «Desde» es posterior a «Hasta»."},
        ),
    ],
)
def test_dates_that_cannot_be_used_say_why(query, problems):
    assert date_range_problems(query) == problems


def test_an_empty_date_is_no_problem():
    assert date_problem({}, "desde") is None


@pytest.mark.parametrize(
    ("count", "page", "pages", "sort", "descending", "said"),
    [
        (
            12,
            1,
            2,
            InvoiceSort.DATE,
            True,
            "12 facturas · página 1 de 2, ordenadas por fecha, más recientes primero",
        ),
        (
            12,
            1,
            1,
            InvoiceSort.DATE,
            False,
            "12 facturas, ordenadas por fecha, más antiguas primero",
        ),
        (4, 1, 1, InvoiceSort.TOTAL, True, "4 facturas, ordenadas por total, de mayor a menor"),
        (
            3,
            1,
            1,
            InvoiceSort.STATUS,
            False,
            "3 facturas, ordenadas por estado, pendientes primero",
        ),
        (1, 1, 1, InvoiceSort.DATE, True, "1 factura"),
        (0, 1, 1, InvoiceSort.DATE, True, "Ningún resultado con estos filtros."),
    ],
)
def test_the_summary_says_how_many_which_page_and_in_what_order(
    count, page, pages, sort, descending, said
):
    summary = results_summary(
        noun=INVOICES,
        count=count,
        page=page,
        pages=pages,
        sort=SORT_NAMES[sort],
        descending=descending,
    )
    assert summary == said


def test_payments_agree_in_gender_and_every_sort_has_a_name():
    summary = results_summary(
        noun=PAYMENTS,
        count=10,
        page=2,
        pages=3,
        sort=PAYMENT_SORTS[PaymentSort.DATE],
        descending=True,
    )
    assert summary == "10 pagos · página 2 de 3, ordenados por fecha, más recientes primero"
    assert set(SORT_NAMES) == set(InvoiceSort) and set(PAYMENT_SORTS) == set(PaymentSort)
