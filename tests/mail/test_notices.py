"""Publishing writes its email in the same transaction; the right one, once."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session, col, select

from customer_portal.domain.publishing import Publisher
from customer_portal.domain.tokens import TokenKeys, TokenPurpose
from customer_portal.mail.hooks import publication_hooks
from customer_portal.mail.notices import queue_password_reset
from customer_portal.mail.worker import deliver_once
from customer_portal.models import Account, Invoice, OutboxEmail, utcnow
from tests.factories import make_customer, make_invoice


@pytest.fixture
def mail_publisher(engine, signer, smtp_settings):
    settings = smtp_settings()
    return Publisher(
        engine=engine,
        signer=signer,
        branding=settings.branding,
        after_store=publication_hooks(settings),
    ), settings


def outbox(engine) -> list[OutboxEmail]:
    with Session(engine) as session:
        return session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).all()


def activate(engine, email):
    with Session(engine) as session:
        account = session.exec(select(Account).where(Account.email == email)).one()
        account.activated_at = account.password_changed_at = utcnow()
        account.password_hash = "$2b$12$" + "x" * 53
        session.add(account)
        session.commit()


def test_first_invoice_sends_alta_with_a_working_activation_link(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    publisher.publish(make_invoice("F-1", customer=make_customer(email="Ana@Example.com")))
    (email,) = outbox(engine)
    assert (email.kind, email.to_address) == ("welcome", "ana@example.com")

    deliver_once(engine, settings)
    (received,) = smtp_server.received
    assert received.message["Subject"] == "Alta en Link Customer Portal Web"
    link = json.loads(email.context)["link"]
    assert link.startswith("https://facturas.example.com/credenciales/")
    assert link in received.message.get_body(("plain",)).get_content()
    token = urlsplit(link).path.rsplit("/", 1)[1]
    with Session(engine) as session:
        account = TokenKeys(settings.secret_key).redeem(
            session, TokenPurpose.ACTIVATION, token, max_age_seconds=3600
        )
        assert account.email == "ana@example.com" and account.activated_at is None


def test_not_yet_activated_customers_get_a_fresh_link_each_invoice(engine, mail_publisher):
    publisher, _ = mail_publisher
    publisher.publish(make_invoice("F-1"))
    publisher.publish(make_invoice("F-2"))
    first, second = outbox(engine)
    assert first.kind == second.kind == "welcome"
    assert json.loads(second.context)["invoice_number"] == "F-2"


def test_active_customers_get_nueva_factura_with_a_deep_link(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publisher.publish(make_invoice("F-1"))
    activate(engine, "jose.munoz@example.com")
    publisher.publish(make_invoice("F-2019/2", issue_date="2019-04-30"))
    email = outbox(engine)[-1]
    context = json.loads(email.context)
    assert email.kind == "new_invoice"
    assert context["link"] == "https://facturas.example.com/factura?numero=F-2019%2F2"
    assert context["invoice_date"] == "30/04/2019"
    deliver_once(engine, settings)
    message = smtp_server.received[-1].message
    assert message["Subject"] == "Nueva Factura disponible en Link Customer Portal Web"
    assert "factura F-2019/2" in message.get_body(("plain",)).get_content()


def test_republishing_never_emails_twice(engine, mail_publisher):
    publisher, _ = mail_publisher
    raw = make_invoice("F-1")
    publisher.publish(raw)
    publisher.publish(raw)
    assert len(outbox(engine)) == 1


def test_email_and_invoice_commit_together(engine, signer, smtp_settings):
    settings = smtp_settings()

    def crash_after_mail(session, invoice, customer, data):
        raise RuntimeError("crash after the email was queued")

    publisher = Publisher(
        engine=engine,
        signer=signer,
        branding=settings.branding,
        after_store=[*publication_hooks(settings), crash_after_mail],
    )
    with pytest.raises(RuntimeError):
        publisher.publish(make_invoice("F-1"))
    assert outbox(engine) == []
    with Session(engine) as session:
        assert (
            session.exec(select(Invoice)).all() == [] and session.exec(select(Account)).all() == []
        )


def test_password_reset_email_links_to_the_reset_form(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publisher.publish(make_invoice("F-1"))
    activate(engine, "jose.munoz@example.com")
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        queue_password_reset(session, account, settings=settings)
        session.commit()
    deliver_once(engine, settings)
    message = smtp_server.received[-1].message
    assert message["Subject"] == "Restablecer contraseña"
    assert message["To"] == "jose.munoz@example.com"
    assert "https://facturas.example.com/restablecer/" in message.get_body(("html",)).get_content()
