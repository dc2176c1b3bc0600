"""Extracto de cuenta: opening balance, movements with a running balance, closing; per currency."""

from __future__ import annotations

from datetime import date

from customer_portal.db import unit_of_work
from customer_portal.domain.statements import account_statement, period
from tests.factories import make_customer, make_invoice, make_payment

TODAY = date(2026, 11, 28)


def statement(engine, customer_id, date_from, date_to):
    with unit_of_work(engine, read_only=True) as session:
        return account_statement(
            session=session, customer_id=customer_id, date_from=date_from, date_to=date_to
        )


def test_balances_run_from_the_opening_to_the_closing(engine):
    with unit_of_work(engine) as session:
        customer = make_customer(session)
        other = make_customer(session)
        old = make_invoice(session, customer=customer, number="A-1", total=10000,
                           issue_date=date(2025, 12, 1))  # fmt: skip
        make_payment(session, invoice=old, amount_cents=4000, paid_on=date(2025, 12, 20))
        make_payment(session, invoice=old, amount_cents=6000, paid_on=date(2026, 2, 1))
        new = make_invoice(session, customer=customer, number="A-2", total=5000,
                           issue_date=date(2026, 2, 1))  # fmt: skip
        make_payment(session, invoice=new, amount_cents=5000, paid_on=date(2026, 2, 1),
                     reference="TR-9")  # fmt: skip
        make_invoice(
            session, customer=customer, number="A-3", total=700, issue_date=date(2026, 12, 1)
        )  # fmt: skip  (after the period)
        make_invoice(
            session, customer=other, number="B-1", total=999999, issue_date=date(2026, 1, 5)
        )  # fmt: skip  (someone else's)
        customer_id = customer.id
    [found] = statement(engine, customer_id, date(2026, 1, 1), date(2026, 11, 28))
    assert found.currency == "EUR" and found.opening_cents == 6000  # 100,00 - 40,00
    rows = [(m.day, m.concept, m.charge_cents, m.credit_cents, m.balance_cents)
            for m in found.movements]  # fmt: skip
    # On one day the invoice comes before the payments, then by number.
    assert rows == [
        (date(2026, 2, 1), "Factura A-2", 5000, 0, 11000),
        (date(2026, 2, 1), rows[1][1], 0, 6000, 5000),
        (date(2026, 2, 1), "Cobro TR-9 · factura A-2", 0, 5000, 0),
    ]
    assert rows[1][1].startswith("Cobro ")
    assert found.closing_cents == 0 and found.charged_cents == 5000
    assert found.credited_cents == 11000


def test_currencies_are_never_added_and_an_empty_period_is_empty(engine):
    with unit_of_work(engine) as session:
        customer = make_customer(session)
        make_invoice(session, customer=customer, total=100, issue_date=date(2026, 3, 1))
        make_invoice(session, customer=customer, total=200, issue_date=date(2026, 3, 2),
                     currency="USD")  # fmt: skip
        customer_id = customer.id
    found = statement(engine, customer_id, date(2026, 1, 1), date(2026, 12, 31))
    assert [(s.currency, s.closing_cents) for s in found] == [("EUR", 100), ("USD", 200)]
    assert statement(engine, customer_id, date(2020, 1, 1), date(2020, 12, 31)) == []


def test_the_period_comes_from_the_address_or_is_the_year_to_date():
    assert period({}, TODAY) == (date(2026, 1, 1), TODAY, "")
    assert period({"desde": "01/03/2026", "hasta": "31/03/2026"}, TODAY) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
        "",
    )
    reversed_ = period({"desde": "31/03/2026", "hasta": "01/03/2026"}, TODAY)
    assert reversed_[:2] == (date(2026, 1, 1), TODAY) and "posterior" in reversed_[2]
    assert "diez años" in period({"desde": "01/01/2000"}, TODAY)[2]
    assert period({"hasta": "31/12/2030"}, TODAY)[1] == TODAY  # nothing from the future
