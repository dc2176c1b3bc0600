"""Spanish formatting of money, quantities, rates and dates (babel, es_ES).

Numbers and dates keep the Spanish forms in every language (the invoices'
own); the words among them (a time zone's name, a country's) are in the
current language (:mod:`customer_portal.i18n`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import parse_pattern

from customer_portal.domain.money import QUANTITY_SCALE, RATE_SCALE, UNIT_PRICE_SCALE
from customer_portal.i18n import DEFAULT_LANGUAGE, current_language

LOCALE = "es_ES"

# Babel's format_currency and format_decimal parse the locale and the pattern
# on every call; an invoice PDF of 20 lines makes about 80 of those calls, a
# tenth of its rendering time. The same patterns, parsed once, give the same text.
_LOCALE = Locale.parse(LOCALE)
_MONEY = _LOCALE.currency_formats["standard"]
_UNIT_PRICE = parse_pattern("#,##0.00##\u00a0¤")
_QUANTITY = parse_pattern("#,##0.###")
_RATE = parse_pattern("#,##0.##")

# Applying a pattern still costs about 50 µs, and a billing run formats the
# same quantities, rates and prices over and over: remember the last results.
_remembered = functools.lru_cache(maxsize=4096)


@_remembered
def money(cents: int, currency: str = "EUR") -> str:
    """``123456`` → ``1.234,56 €``."""
    return _MONEY.apply(Decimal(cents) / 100, _LOCALE, currency=currency)


@_remembered
def unit_price(value_e4: int, currency: str = "EUR") -> str:
    """A unit price keeps up to four decimals (``0,0125 €``), at least two."""
    amount = Decimal(value_e4) / UNIT_PRICE_SCALE
    return _UNIT_PRICE.apply(amount, _LOCALE, currency=currency, currency_digits=False)


@_remembered
def quantity(value_milli: int) -> str:
    """``1500`` thousandths → ``1,5``."""
    return _QUANTITY.apply(Decimal(value_milli) / QUANTITY_SCALE, _LOCALE)


@_remembered
def rate(rate_bp: int) -> str:
    """``700`` → ``7 %``; ``650`` → ``6,5 %``."""
    return f"{_RATE.apply(Decimal(rate_bp) / RATE_SCALE, _LOCALE)}\u00a0%"


def short_date(value: date) -> str:
    """``30/04/2019``, the form the seed manual's emails use.

    Babel's ``dd/MM/yyyy`` in every locale, without parsing the pattern on each
    call: a list of 25 invoices shows 50 dates for every filter change.
    """
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def words_locale() -> str:
    """The locale whose words name zones and countries: es_ES, or the current language."""
    language = current_language()
    return LOCALE if language == DEFAULT_LANGUAGE else language


def country_name(code: str) -> str:
    """A country's name in the current language (``ES`` → ``España``), "" if unknown."""
    return Locale.parse(words_locale()).territories.get(code.upper(), "")


def timestamp(value: datetime, tz: str, *, zone: bool = True) -> str:
    """A moment in the company's time zone, saying which.

    ``30/04/2019 14:05, hora de España (Madrid)``; without ``zone`` (a table
    whose heading already says it) just ``30/04/2019 14:05``.

    Args:
        value: An aware datetime (the database keeps UTC).
        tz: The IANA zone customers read times in (``PORTAL_TIMEZONE``).
        zone: Whether to name the zone.
    """
    pattern = "dd/MM/yyyy HH:mm, VVVV" if zone else "dd/MM/yyyy HH:mm"
    return format_datetime(value, pattern, tzinfo=tz, locale=words_locale())


def money_totals(by_currency: Mapping[str, int], currency: str = "EUR") -> str:
    """Sums in several currencies, never added together: ``1.234,56 € · 20,00 US$``.

    An empty mapping reads as zero in ``currency``.
    """
    if not by_currency:
        return money(0, currency)
    return " · ".join(money(cents, code) for code, cents in by_currency.items())


def optional_date(value: date | None) -> str:
    """``short_date``, or an em dash when there is no date (an invoice without due date)."""
    return short_date(value) if value is not None else "—"


def zone_name(tz: str) -> str:
    """How a reader names a zone: ``hora de España (Madrid)``, ``Spain (Madrid) Time``."""
    return format_datetime(datetime.now(UTC), "VVVV", tzinfo=tz, locale=words_locale())
