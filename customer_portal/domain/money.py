"""Exact arithmetic for amounts, quantities and tax rates.

Everything is a :class:`~decimal.Decimal` on the way in and an integer at a
fixed scale on the way to the database: cents for money, thousandths for
quantities, ten-thousandths for unit prices (telecom tariffs have them) and
basis points for tax rates. Rounding is half-up to the cent, as Spanish
invoices do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
QUANTITY_SCALE = 1000
UNIT_PRICE_SCALE = 10_000
RATE_SCALE = 100  # basis points per percent
#: Largest integer the amount, quantity and price columns can store. They are
#: ``INTEGER``: 64-bit on SQLite but 32-bit on PostgreSQL, so this is the
#: binding limit (21,474,836.47 in cents, 214,748.3647 per unit, 2,147,483.647
#: units). Until a migration widens them to BIGINT, anything larger is refused
#: as input rather than failing at INSERT time on one database only.
MAX_STORED_INTEGER = 2**31 - 1
#: Amounts at or above this (in currency units) are refused before any other
#: arithmetic: a bigger value can never be stored, and checking first keeps
#: ``quantize`` away from numbers longer than the decimal context's precision.
MAX_AMOUNT_UNITS = Decimal(10) ** 12

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_RATE = re.compile(r"^\s*(\d{1,3}(?:[.,]\d{1,2})?)\s*%?\s*$")


class AmountError(ValueError):
    """A value is not an amount, quantity or rate this portal accepts."""


def parse_decimal(value: object, *, places: int, allow_zero: bool = True) -> Decimal:
    """Parse a JSON number or numeric string into a non-negative Decimal.

    Only plain notation is accepted ("12.5", 12.5): no exponents, thousands
    separators, NaN or infinity, and at most ``places`` decimals, so a value
    that would be rounded away is refused rather than silently changed.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise AmountError("must be a number or a numeric string")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if not _PLAIN_NUMBER.match(text):
        raise AmountError(f"{str(value)[:40]!r} is not a number (use a dot for decimals)")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise AmountError(f"{text[:40]!r} is not a number") from None
    if number < 0:
        raise AmountError("must not be negative")
    if number == 0 and not allow_zero:
        raise AmountError("must be greater than zero")
    # Before quantize: a 30-digit number would exceed the context's precision
    # and raise InvalidOperation there instead of this clear message.
    if number >= MAX_AMOUNT_UNITS:
        raise AmountError("is too large")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise AmountError(f"has more than {places} decimals")
    return number


def parse_rate(value: object) -> Decimal:
    """A tax rate in percent: ``7``, ``"7"``, ``"6.5"``, ``"6,5 %"``; 0 to 100."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise AmountError('must be a percentage such as 7 or "6.5"')
    text = repr(value) if isinstance(value, float) else str(value)
    match = _RATE.match(text)
    if not match:
        raise AmountError(f'{text[:40]!r} is not a percentage such as 7 or "6.5"')
    rate = Decimal(match.group(1).replace(",", "."))
    if rate > 100:
        raise AmountError("must be between 0 and 100")
    return rate


def to_cents(amount: Decimal) -> int:
    """``amount`` in cents, rounded half up.

    The caller bounds ``amount`` first (:func:`parse_decimal` does): a
    non-finite or astronomically large Decimal raises ``decimal`` errors here.
    """
    return int((amount * 100).to_integral_value(ROUND_HALF_UP))


def to_scaled(value: Decimal, scale: int) -> int:
    """An exact Decimal as an integer at ``scale``; callers validated the places."""
    return int(value * scale)


def line_amount_cents(quantity: Decimal, unit_price: Decimal) -> int:
    """Net amount of one line, rounded half up to the cent."""
    return to_cents(quantity * unit_price)


@dataclass(frozen=True)
class TaxGroup:
    """One row of the tax breakdown: a tax at a rate, its base and its amount."""

    name: str
    rate_bp: int
    base_cents: int
    tax_cents: int


@dataclass(frozen=True)
class Totals:
    """What an invoice adds up to, as :func:`compute_totals` works it out.

    Attributes:
        subtotal_cents: the sum of the line amounts before tax.
        tax_cents: the sum of the tax breakdown's amounts.
        total_cents: subtotal plus tax, what the customer owes.
        taxes: the tax breakdown, sorted by tax name and rate.
    """

    subtotal_cents: int
    tax_cents: int
    total_cents: int
    taxes: tuple[TaxGroup, ...]


def compute_totals(lines: Iterable[tuple[int, str, int]]) -> Totals:
    """Totals from ``(amount_cents, tax_name, tax_rate_bp)`` of every line.

    Tax is computed once per tax and rate on the summed base, not per line,
    which is how the breakdown on a Spanish invoice must add up.
    """
    bases: dict[tuple[str, int], int] = {}
    for amount_cents, tax_name, rate_bp in lines:
        key = (tax_name, rate_bp)
        bases[key] = bases.get(key, 0) + amount_cents
    taxes = tuple(
        TaxGroup(
            name=name,
            rate_bp=rate_bp,
            base_cents=base,
            # base (cents) x rate (basis points) / 10 000 = tax in cents
            tax_cents=int((Decimal(base) * rate_bp / 10_000).to_integral_value(ROUND_HALF_UP)),
        )
        for (name, rate_bp), base in sorted(bases.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    )
    subtotal = sum(group.base_cents for group in taxes)
    tax = sum(group.tax_cents for group in taxes)
    return Totals(subtotal_cents=subtotal, tax_cents=tax, total_cents=subtotal + tax, taxes=taxes)


def cents_to_decimal(cents: int) -> Decimal:
    """A stored amount in cents back in currency units, always with two decimals."""
    return (Decimal(cents) / 100).quantize(CENT)
