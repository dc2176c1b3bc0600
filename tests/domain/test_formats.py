"""Spanish formats: the text customers read, and the same text Babel's own functions give."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from hypothesis import given
from hypothesis import strategies as st

from customer_portal.domain import formats
from customer_portal.domain.money import QUANTITY_SCALE, RATE_SCALE, UNIT_PRICE_SCALE

NBSP = "\u00a0"


def test_the_forms_customers_read():
    assert formats.money(123456) == f"1.234,56{NBSP}€"
    assert formats.money(1234567) == f"12.345,67{NBSP}€"
    assert formats.money(-5) == f"-0,05{NBSP}€"
    assert formats.unit_price(125) == f"0,0125{NBSP}€"
    assert formats.unit_price(10000) == f"1,00{NBSP}€"
    assert formats.quantity(1500) == "1,5"
    assert formats.quantity(12000000) == "12.000"
    assert formats.rate(2100) == f"21{NBSP}%"
    assert formats.rate(650) == f"6,5{NBSP}%"


@given(st.integers(min_value=-(10**13), max_value=10**13), st.sampled_from(["EUR", "USD"]))
def test_parsed_once_the_patterns_say_what_babel_says(value, currency):
    assert formats.money(value, currency) == format_currency(
        Decimal(value) / 100, currency, locale="es_ES"
    )
    assert formats.unit_price(value, currency) == format_currency(
        Decimal(value) / UNIT_PRICE_SCALE,
        currency,
        format="#,##0.00##\u00a0¤",
        currency_digits=False,
        locale="es_ES",
    )
    assert formats.quantity(value) == format_decimal(
        Decimal(value) / QUANTITY_SCALE, format="#,##0.###", locale="es_ES"
    )
    rate = format_decimal(Decimal(value) / RATE_SCALE, format="#,##0.##", locale="es_ES")
    assert formats.rate(value) == f"{rate}{NBSP}%"


@given(st.dates())
def test_short_date_is_babels_dd_mm_yyyy(value):
    """Written by hand for speed (every list row shows two): the very text babel gives."""
    from babel.dates import format_date

    assert formats.short_date(value) == format_date(value, "dd/MM/yyyy", locale=formats.LOCALE)


def test_money_text_is_kept_not_formatted_again():
    first = formats.money(987654, "EUR")
    assert formats.money(987654, "EUR") is first
    assert formats.money(987654, "USD") != first
