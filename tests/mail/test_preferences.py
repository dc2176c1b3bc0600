"""Mi cuenta's email choices: no Nueva Factura at all, or one that carries the signed PDFs.

Through the real SMTP peer (aiosmtpd on loopback), on both databases.
"""

from __future__ import annotations

from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.domain.accounts import set_notification_preferences
from customer_portal.mail import notices
from customer_portal.mail.worker import deliver_once
from customer_portal.models import Account, AuditEvent, SignedDocument
from tests.factories import customer_input, invoice_input
from tests.mail.test_notices import activate, mail_publisher, outbox, publish, text_of

__all__ = ["mail_publisher"]  # the fixture, shared with test_notices

JOSE = "jose.munoz@example.com"


def choose(engine, *, new_invoices: bool, attach_pdf: bool, email: str = JOSE) -> None:
    with unit_of_work(engine) as session:
        account = session.exec(select(Account).where(Account.email == email)).one()
        set_notification_preferences(
            session=session,
            account_id=account.id,
            new_invoices=new_invoices,
            attach_pdf=attach_pdf,
            ip="203.0.113.9",
        )


def stored_pdf(engine, number: str) -> bytes:
    from customer_portal.models import Invoice

    with unit_of_work(engine, read_only=True) as session:
        return session.exec(
            select(SignedDocument.pdf)
            .join(Invoice, Invoice.id == SignedDocument.invoice_id)
            .where(Invoice.number == number)
        ).one()


def attachments(message) -> dict[str, bytes]:
    return {
        part.get_filename(): part.get_content()
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    }


def test_an_account_that_wants_no_emails_gets_none_but_the_invoices_publish(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))
    activate(engine, JOSE)
    deliver_once(engine=engine, settings=settings)
    choose(engine, new_invoices=False, attach_pdf=False)
    before = len(outbox(engine))
    publish(publisher, invoice_input("F-2"), invoice_input("F-3"))
    assert len(outbox(engine)) == before  # nothing queued for this account
    deliver_once(engine=engine, settings=settings)
    assert [r for r in smtp_server.received if "F-2" in text_of(r)] == []
    with unit_of_work(engine, read_only=True) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "notifications.changed")
        ).one()
    assert event.actor == JOSE and '"new_invoices": false' in event.detail


def test_the_signed_pdfs_travel_with_the_email_when_asked(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))
    activate(engine, JOSE)
    deliver_once(engine=engine, settings=settings)
    assert attachments(smtp_server.received[-1].message) == {}  # not asked: none

    choose(engine, new_invoices=True, attach_pdf=True)
    publish(
        publisher,
        invoice_input("F-2/A"),
        invoice_input("F-3"),
        invoice_input("G-1", customer=customer_input(code="OTRO", email="otro@example.com")),
    )
    deliver_once(engine=engine, settings=settings)
    (mine,) = [r for r in smtp_server.received[1:] if r.rcpt_tos == [JOSE]]
    assert attachments(mine.message) == {
        "Factura-F-2-A.pdf": stored_pdf(engine, "F-2/A"),
        "Factura-F-3.pdf": stored_pdf(engine, "F-3"),
    }
    assert "Le adjuntamos las 2 facturas firmadas digitalmente (PDF)." in text_of(mine)
    # The other customer's email carries nothing: it did not ask.
    (other,) = [r for r in smtp_server.received if r.rcpt_tos == ["otro@example.com"]]
    assert attachments(other.message) == {}
    # The copy the outbox keeps has no attachment (the PDFs are in the store).
    kept = [row for row in outbox(engine) if row.to_address == JOSE][-1]
    assert "%PDF" not in (kept.text or "") + (kept.html or "")


def test_pdfs_beyond_the_size_limit_are_left_for_the_portal(
    engine, mail_publisher, smtp_server, monkeypatch
):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))
    activate(engine, JOSE)
    choose(engine, new_invoices=True, attach_pdf=True)
    deliver_once(engine=engine, settings=settings)
    one_pdf = len(stored_pdf(engine, "F-1"))
    monkeypatch.setattr(notices, "MAX_ATTACHMENT_BYTES", one_pdf + 1000)
    publish(publisher, invoice_input("F-2"), invoice_input("F-3"))
    deliver_once(engine=engine, settings=settings)
    message = smtp_server.received[-1].message
    assert list(attachments(message)) == ["Factura-F-2.pdf"]
    text = message.get_body(("plain",)).get_content()
    assert "Le adjuntamos la factura firmada digitalmente (PDF)." in text
    assert "Una factura no va adjunta a este email: puede descargarla en el portal." in text


def test_a_tampered_pdf_is_never_attached(engine, mail_publisher, smtp_server):
    from customer_portal.models import Invoice

    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))
    activate(engine, JOSE)
    choose(engine, new_invoices=True, attach_pdf=True)
    deliver_once(engine=engine, settings=settings)
    publish(publisher, invoice_input("F-2"))
    with unit_of_work(engine) as session:
        document = session.exec(
            select(SignedDocument)
            .join(Invoice, Invoice.id == SignedDocument.invoice_id)
            .where(Invoice.number == "F-2")
        ).one()
        document.pdf = document.pdf[:-10] + b"tampered!!"
        session.add(document)
    deliver_once(engine=engine, settings=settings)
    received = smtp_server.received[-1]
    assert "factura F-2" in text_of(received) and attachments(received.message) == {}
    assert "Una factura no va adjunta a este email" in text_of(received)
