from decimal import Decimal

import pytest

from customer_portal.domain.money import (
    AmountError,
    compute_totals,
    line_amount_cents,
    parse_decimal,
    parse_rate,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.5", Decimal("12.5")),
        (12, Decimal(12)),
        (Decimal("0.10"), Decimal("0.10")),
        (" 3 ", Decimal(3)),
        (0.1, Decimal("0.1")),
    ],
)
def test_parse_decimal_accepts_plain_numbers(value, expected):
    assert parse_decimal(value, places=2) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "must not be negative"),
        ("abc", "is not a number"),
        ("1e5", "is not a number"),
        ("1,5", "is not a number"),
        ("NaN", "is not a number"),
        (True, "must be a number"),
        (None, "must be a number"),
        ("1.234", "more than 2 decimals"),
        ("1" * 13, "too large"),
    ],
)
def test_parse_decimal_rejects(value, message):
    with pytest.raises(AmountError, match=message):
        parse_decimal(value, places=2)


def test_zero_can_be_refused():
    with pytest.raises(AmountError, match="greater than zero"):
        parse_decimal("0", places=3, allow_zero=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, Decimal(7)),
        ("6.5", Decimal("6.5")),
        ("6,5 %", Decimal("6.5")),
        ("21%", Decimal(21)),
        ("0", Decimal(0)),
    ],
)
def test_parse_rate(value, expected):
    assert parse_rate(value) == expected


@pytest.mark.parametrize("value", ["siete", "7 percent", "-7", "101", "7.123", "", None, [7]])
def test_parse_rate_rejects_unknown_formats(value):
    with pytest.raises(AmountError):
        parse_rate(value)


def test_line_amount_rounds_half_up():
    assert line_amount_cents(Decimal("1"), Decimal("0.125")) == 13
    assert line_amount_cents(Decimal("3"), Decimal("0.0450")) == 14  # 0.135 -> 0.14


def test_tax_is_computed_per_rate_on_the_summed_base():
    # Three lines of 0.05 at 7 %: per line the tax would round to 0.00 each;
    # on the summed base 0.15 it is 0.0105 -> 0.01.
    totals = compute_totals([(5, "IGIC", 700)] * 3 + [(10000, "IVA", 2100)])
    assert [(g.name, g.rate_bp, g.base_cents, g.tax_cents) for g in totals.taxes] == [
        ("IGIC", 700, 15, 1),
        ("IVA", 2100, 10000, 2100),
    ]
    assert (totals.subtotal_cents, totals.tax_cents, totals.total_cents) == (10015, 2101, 12116)
