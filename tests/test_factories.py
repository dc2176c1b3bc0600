"""The row builders insert rows that agree with each other, as publication would."""

from __future__ import annotations

import time

import pyotp
from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.domain.passwords import verify_password
from customer_portal.models import InvoiceLine, Payment
from tests.factories import (
    make_account,
    make_customer,
    make_invoice,
    make_payment,
    previous_totp,
)


def test_defaults_are_unique_and_consistent(engine):
    with unit_of_work(engine) as session:
        first, second = make_invoice(session), make_invoice(session)
        assert first.number != second.number and first.customer_id != second.customer_id
        assert (first.subtotal_cents, first.tax_cents, first.total_cents) == (3990, 279, 4269)
        (line,) = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == first.id))
        assert line.amount_cents == first.subtotal_cents


def test_totals_follow_the_lines_and_payments_the_paid_amount(engine):
    with unit_of_work(engine) as session:
        customer = make_customer(session, name="Ana")
        invoice = make_invoice(
            session,
            customer=customer,
            lines=[{"amount_cents": 1000}, {"amount_cents": 500, "tax_rate_bp": 2100}],
            paid=300,
        )
        assert (invoice.subtotal_cents, invoice.tax_cents) == (1500, 175)
        make_payment(session, invoice=invoice, amount_cents=100)
    with unit_of_work(engine) as session:
        payments = session.exec(select(Payment).where(Payment.invoice_id == invoice.id)).all()
        assert sorted(p.amount_cents for p in payments) == [100, 300]
        assert invoice.paid_cents == 400


def test_total_alone_gives_one_untaxed_line(engine):
    with unit_of_work(engine) as session:
        invoice = make_invoice(session, total=12345)
        assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (12345, 0, 12345)


def test_accounts_active_with_a_password_or_waiting(engine):
    with unit_of_work(engine) as session:
        active = make_account(session, email="Ana@Example.com", password="Buena-Clave1")
        waiting = make_account(session, activated=False)
    assert active.email == "ana@example.com" and active.activated_at is not None
    assert verify_password("Buena-Clave1", active.password_hash)
    assert waiting.activated_at is None and waiting.password_hash is None


def test_the_previous_authenticator_code_is_never_taken_at_a_step_boundary(monkeypatch):
    """A code of the step before, computed 10 ms before the step ends, is two steps old at once.

    The server accepts the previous step (clock drift) but not the one before
    it: a sign-in test failed on its enrolment when the boundary fell between.
    """
    clock = [30 * 1000 + 29.99]  # 10 ms before a step ends
    monkeypatch.setattr(time, "time", lambda: clock[0])
    monkeypatch.setattr(time, "sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))
    secret = pyotp.random_base32()
    code = previous_totp(secret)
    now_step = int(clock[0]) // 30
    assert now_step == 1001  # it waited for the next step
    assert code == pyotp.TOTP(secret).at((now_step - 1) * 30)
