"""An invoice is readable only by its owner, on SQLite and PostgreSQL."""

from datetime import date

from sqlmodel import Session, select

from customer_portal.domain.invoices import PaymentItem, invoice_for_customer
from customer_portal.domain.payments import record_payment
from customer_portal.domain.status import InvoiceStatus
from customer_portal.models import Customer
from tests.factories import customer_input, invoice_input, line_input, payment_input


def customer_id(engine, code):
    with Session(engine) as session:
        return session.exec(select(Customer.id).where(Customer.code == code)).one()


def test_owner_sees_formatted_invoice_with_payments(publisher, engine):
    publisher.publish(
        invoice_input(
            "F-2019/1",
            lines=[
                line_input(description="Fibra", unit_price="1000"),
                line_input(
                    description="Centralita", tax_name="IVA", tax_rate="21", unit_price="10"
                ),
            ],
        )
    )
    record_payment(engine=engine, raw=payment_input("F-2019/1", "100", "R-1"))
    with Session(engine) as session:
        view = invoice_for_customer(
            session=session,
            customer_id=customer_id(engine, "CLI-TEST-1"),
            number="F-2019/1",
            today=date(2019, 6, 1),
        )
    assert (view.issue_date, view.due_date) == (date(2019, 4, 30), date(2019, 5, 30))
    # Partly paid and past its due date: overdue, like the list says.
    assert view.status is InvoiceStatus.PARTIALLY_PAID and view.overdue
    assert (view.total_cents, view.paid_cents, view.pending_cents) == (108210, 10000, 98210)
    assert [line.description for line in view.lines] == ["Fibra", "Centralita"]
    assert [(t.name, t.rate_bp) for t in view.taxes] == [("IGIC", 700), ("IVA", 2100)]
    assert view.payments == (
        PaymentItem(paid_on=date(2019, 5, 15), amount_cents=10000, reference="R-1"),
    )
    assert "Link Soluciones" in view.signed_by and view.signed_at is not None


def test_another_customer_gets_nothing(publisher, engine):
    publisher.publish(invoice_input("F-A"))
    publisher.publish(
        invoice_input("F-B", customer=customer_input(code="OTHER", email="b@example.com"))
    )
    other = customer_id(engine, "OTHER")
    with Session(engine) as session:
        assert invoice_for_customer(session=session, customer_id=other, number="F-A") is None
        assert invoice_for_customer(session=session, customer_id=other, number="F-B") is not None
        assert invoice_for_customer(session=session, customer_id=other, number="F-%") is None
