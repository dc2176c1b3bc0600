"""Extracto de cuenta: what a customer owed at the start of a period, what happened, what is left.

For a date range: the opening balance (every invoice issued before it, less
every payment received before it), then each invoice (a charge, on its issue
date) and each payment (a credit, on the day it was paid) in date order with
the running balance, and the closing balance. Amounts in different
currencies are never added: a customer billed in two gets one statement per
currency, each with its own balances.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from customer_portal.i18n import _
from customer_portal.models import Invoice, Payment

#: How far back a statement may start and how long it may span, in days.
MAX_SPAN_DAYS = 366 * 10


@dataclass(frozen=True)
class Movement:
    """One row of a statement: an invoice (``charge_cents``) or a payment (``credit_cents``)."""

    day: date
    concept: str
    invoice_number: str
    charge_cents: int
    credit_cents: int
    balance_cents: int


@dataclass(frozen=True)
class Statement:
    """One currency's statement for ``date_from``..``date_to``, both days included."""

    currency: str
    date_from: date
    date_to: date
    opening_cents: int
    movements: tuple[Movement, ...]
    closing_cents: int

    @property
    def charged_cents(self) -> int:
        """What the period's invoices add up to."""
        return sum(m.charge_cents for m in self.movements)

    @property
    def credited_cents(self) -> int:
        """What the period's payments add up to."""
        return sum(m.credit_cents for m in self.movements)


def _opening(session: Session, customer_id: int, before: date) -> dict[str, int]:
    invoiced = session.exec(
        select(Invoice.currency, func.sum(Invoice.total_cents))
        .where(col(Invoice.customer_id) == customer_id, col(Invoice.issue_date) < before)
        .group_by(col(Invoice.currency))
    ).all()
    paid = session.exec(
        select(Invoice.currency, func.sum(Payment.amount_cents))
        .join(Invoice, col(Invoice.id) == col(Payment.invoice_id))
        .where(col(Invoice.customer_id) == customer_id, col(Payment.paid_on) < before)
        .group_by(col(Invoice.currency))
    ).all()
    balance: dict[str, int] = {}
    for currency, cents in invoiced:
        balance[currency] = balance.get(currency, 0) + int(cents or 0)
    for currency, cents in paid:
        balance[currency] = balance.get(currency, 0) - int(cents or 0)
    return balance


def _events(
    session: Session, customer_id: int, date_from: date, date_to: date
) -> Iterator[tuple[str, date, int, str, str, int, int]]:
    """``(currency, day, order, concept, number, charge, credit)`` of the period's movements."""
    for number, currency, day, total in session.exec(
        select(Invoice.number, Invoice.currency, Invoice.issue_date, Invoice.total_cents).where(
            col(Invoice.customer_id) == customer_id,
            col(Invoice.issue_date).between(date_from, date_to),
        )
    ):
        yield currency, day, 0, _("Factura {number}").format(number=number), number, total, 0
    for number, currency, day, amount, reference in session.exec(
        select(
            Invoice.number,
            Invoice.currency,
            Payment.paid_on,
            Payment.amount_cents,
            Payment.reference,
        )
        .join(Invoice, col(Invoice.id) == col(Payment.invoice_id))
        .where(
            col(Invoice.customer_id) == customer_id,
            col(Payment.paid_on).between(date_from, date_to),
        )
    ):
        concept = _("Cobro {reference} · factura {number}").format(
            reference=reference, number=number
        )
        yield currency, day, 1, concept, number, 0, amount


def account_statement(
    *, session: Session, customer_id: int, date_from: date, date_to: date
) -> list[Statement]:
    """The customer's statements for the period, one per currency with anything to show.

    On a day, invoices come before payments (a payment the same day as its
    invoice never shows a balance below zero), then by invoice number.
    """
    opening = _opening(session, customer_id, date_from)
    by_currency: dict[str, list[tuple[date, int, str, str, int, int]]] = {}
    for currency, *rest in _events(session, customer_id, date_from, date_to):
        by_currency.setdefault(currency, []).append(tuple(rest))  # type: ignore[arg-type]
    statements = []
    for currency in sorted(set(opening) | set(by_currency)):
        balance = start = opening.get(currency, 0)
        movements = []
        for day, _order, concept, number, charge, credit in sorted(
            by_currency.get(currency, []), key=lambda e: (e[0], e[1], e[3], e[2])
        ):
            balance += charge - credit
            movements.append(Movement(day, concept, number, charge, credit, balance))
        if start == 0 and not movements:
            continue
        statements.append(Statement(currency, date_from, date_to, start, tuple(movements), balance))
    return statements


def has_invoices(*, session: Session, customer_id: int) -> bool:
    """Whether the customer has any invoice at all (an empty statement says why)."""
    return (
        session.exec(
            select(sa.literal(1)).where(col(Invoice.customer_id) == customer_id).limit(1)
        ).first()
        is not None
    )


def period(query: Mapping[str, Any], today: date) -> tuple[date, date, str]:
    """The period a URL asks for (``desde``, ``hasta``), and what was wrong with it ("" if nothing).

    The message is in the current language.

    Without dates: from the first of January to today. A reversed range, one
    in the future or one longer than ten years is not shown; the year to date
    is, with a message saying why.
    """
    from customer_portal.domain.listing import read_date_range

    default = (date(today.year, 1, 1), today)
    asked_from, asked_to = read_date_range(query)
    date_from, date_to = asked_from or default[0], asked_to or today
    if date_from > date_to:
        return *default, _("La fecha «Desde» es posterior a «Hasta»: se muestra el año en curso.")
    if (date_to - date_from).days > MAX_SPAN_DAYS:
        return *default, _("El periodo es de más de diez años: se muestra el año en curso.")
    return date_from, min(date_to, today), ""
