"""An invoice is readable only by its owner, on SQLite and PostgreSQL."""

from datetime import date

from sqlmodel import Session, select

from customer_portal.domain.invoices import PaymentItem, invoice_for_customer
from customer_portal.domain.payments import record_payment
from customer_portal.domain.status import InvoiceStatus
from customer_portal.models import Customer, SignedDocument
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
    # The signer in plain words, not "Common Name: ...; Organization: ...".
    assert view.signed_by == "Link Soluciones" and view.signed_at is not None
    assert view.signer.common_name == "Link Soluciones (firma de facturas, demo)"
    assert view.signer.issuer == "Link Soluciones Demo CA (solo pruebas)"
    assert view.signer.serial and view.signer.valid_until > view.signer.valid_from


def test_an_unreadable_certificate_falls_back_to_the_stored_subject(publisher, engine):
    publisher.publish(invoice_input("F-C"))
    with Session(engine) as session:
        document = session.exec(select(SignedDocument)).one()
        document.signer_fingerprint = "0" * 64  # not the certificate in the PDF
        session.add(document)
        session.commit()
        view = invoice_for_customer(
            session=session, customer_id=customer_id(engine, "CLI-TEST-1"), number="F-C"
        )
    assert view.signed_by == "Link Soluciones"
    assert view.signer.organisation == "Link Soluciones" and view.signer.serial == ""


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
