"""Payments on SQLite and PostgreSQL: status derived, no overpayment, no double count."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.domain.payments import record_payment, record_payments
from customer_portal.domain.results import CONFLICT, INVALID, NOT_FOUND, RECORDED, UNCHANGED
from customer_portal.domain.status import InvoiceStatus, invoice_status
from customer_portal.models import Invoice, Payment
from tests.factories import invoice_input, payment_input


def status_of(engine, number) -> tuple[InvoiceStatus, int]:
    with unit_of_work(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == number)).one()
    return invoice_status(invoice.total_cents, invoice.paid_cents), invoice.paid_cents


@pytest.mark.parametrize(
    ("total", "paid", "status"),
    [
        (100, 0, "Pendiente"),
        (100, 1, "Cobrado parcialmente"),
        (100, 99, "Cobrado parcialmente"),
        (100, 100, "Cobrado"),
        (0, 0, "Cobrado"),
    ],
)
def test_status_words_come_from_the_manual(total, paid, status):
    assert invoice_status(total, paid).value == status


def test_payments_move_the_status(publisher, engine):
    publisher.publish(invoice_input("F-1"))  # 42.69
    assert status_of(engine, "F-1") == (InvoiceStatus.PENDING, 0)
    assert record_payment(engine=engine, raw=payment_input("F-1", "20", "R-1")).status == RECORDED
    assert status_of(engine, "F-1") == (InvoiceStatus.PARTIALLY_PAID, 2000)
    assert record_payment(engine=engine, raw=payment_input("F-1", 22.69, "R-2")).status == RECORDED
    assert status_of(engine, "F-1") == (InvoiceStatus.PAID, 4269)


def test_overpayment_is_rejected_and_changes_nothing(publisher, engine):
    publisher.publish(invoice_input("F-1"))
    record_payment(engine=engine, raw=payment_input("F-1", "40", "R-1"))
    result = record_payment(engine=engine, raw=payment_input("F-1", "2.70", "R-2"))
    assert (result.status, result.reason) == ("rejected", INVALID)
    assert "2.70 is more than the 2.69 pending on invoice F-1" in result.message
    assert status_of(engine, "F-1")[1] == 4000


def test_unknown_invoice_is_rejected(engine):
    result = record_payment(engine=engine, raw=payment_input("NOPE", "1", "R-1"))
    assert (result.status, result.reason) == ("rejected", NOT_FOUND)
    assert "no published invoice has the number 'NOPE'" in result.message


def test_same_reference_twice_counts_once(publisher, engine):
    publisher.publish(invoice_input("F-1"))
    raw = payment_input("F-1", "10", "R-1")
    assert record_payment(engine=engine, raw=raw).status == RECORDED
    assert record_payment(engine=engine, raw=raw).status == UNCHANGED
    other = record_payment(engine=engine, raw=payment_input("F-1", "11", "R-1"))
    assert (other.status, other.reason) == ("rejected", CONFLICT)
    assert status_of(engine, "F-1")[1] == 1000


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "x"}, "amount"),
        ({"paid_on": "ayer"}, "paid_on"),
        ({"reference": ""}, "reference"),
        ({"invoice_number": None}, "invoice_number"),
    ],
)
def test_bad_payments_name_the_field(engine, change, field):
    raw = payment_input("F-1", "1", "R-1")
    raw.update(change)
    result = record_payment(engine=engine, raw=raw)
    assert result.status == "rejected" and result.errors[0].field == field


def test_concurrent_payments_never_overpay(publisher, engine):
    publisher.publish(
        invoice_input(
            "F-1", lines=[{**invoice_input()["lines"][0], "unit_price": "100", "tax_rate": "0"}]
        )
    )
    raws = [payment_input("F-1", "20", f"R-{i}") for i in range(10)]
    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(lambda raw: record_payment(engine=engine, raw=raw), raws))
    assert sum(r.status == RECORDED for r in results) == 5
    assert status_of(engine, "F-1") == (InvoiceStatus.PAID, 10000)
    with unit_of_work(engine) as session:
        assert len(session.exec(select(Payment)).all()) == 5


def test_batch_reports_each_payment(publisher, engine):
    publisher.publish(invoice_input("F-1"))
    summary = record_payments(
        engine=engine,
        raws=[payment_input("F-1", "1", "R-1"), payment_input("F-9", "1", "R-2"), "junk"],
    )
    assert [r.status for r in summary.results] == [RECORDED, "rejected", "rejected"]
    assert summary.results[2].label == "#3"
