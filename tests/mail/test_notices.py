"""Publishing queues the right email in its transaction, once; links are made at delivery."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from customer_portal.db import run_in_unit_of_work, unit_of_work
from customer_portal.domain import auth, formats
from customer_portal.domain.publishing import Publisher
from customer_portal.domain.tokens import TokenKeys, TokenPurpose
from customer_portal.mail import notices
from customer_portal.mail.hooks import publication_hooks
from customer_portal.mail.notices import queue_activation, queue_password_reset
from customer_portal.mail.outbox import CLAIM_LEASE, deliver_due
from customer_portal.mail.smtp import SmtpTransport
from customer_portal.mail.worker import deliver_once
from customer_portal.models import (
    Account,
    AuthSession,
    Invoice,
    OutboxEmail,
    utcnow,
)
from tests.factories import customer_input, invoice_input, make_account, make_customer, preview


@pytest.fixture
def mail_publisher(engine, signer, smtp_settings):
    settings = smtp_settings()
    return Publisher(
        engine=engine,
        signer=signer,
        branding=settings.branding,
        after_store=publication_hooks(settings=settings),
    ), settings


def outbox(engine) -> list[OutboxEmail]:
    with unit_of_work(engine) as session:
        return session.exec(select(OutboxEmail).order_by(col(OutboxEmail.id))).all()


def activate(engine, email):
    with unit_of_work(engine) as session:
        account = session.exec(select(Account).where(Account.email == email)).one()
        account.activated_at = account.password_changed_at = utcnow()
        account.password_hash = "$2b$12$" + "x" * 53
        session.add(account)
        session.commit()


def sent_link(message, page: str) -> str:
    """The one ``https://.../<page>/<token>`` link of a received email's text part."""
    text = message.get_body(("plain",)).get_content()
    (link,) = set(re.findall(rf"https://\S+/{page}/\S+", text))
    return link


def test_first_invoice_sends_alta_with_a_working_activation_link(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    publisher.publish(invoice_input("F-1", customer=customer_input(email="Ana@Example.com")))
    (email,) = outbox(engine)
    assert (email.kind, email.to_address) == ("welcome", "ana@example.com")
    with unit_of_work(engine) as session:
        account = session.exec(select(Account)).one()
    # The row says which link to make, never the link itself.
    assert json.loads(email.context) == {
        "customer_name": "José Muñoz Pérez",
        "invoice_number": "F-1",
        "invoice_date": "30/04/2019",
        "signed_link": {"purpose": "activation", "account_id": account.id},
    }

    deliver_once(engine=engine, settings=settings)
    (received,) = smtp_server.received
    assert received.message["Subject"] == "Alta en Link Customer Portal Web"
    link = sent_link(received.message, "credenciales")
    assert link.startswith("https://facturas.example.com/credenciales/")
    assert link in received.message.get_body(("html",)).get_content()
    token = urlsplit(link).path.rsplit("/", 1)[1]
    with unit_of_work(engine) as session:
        account = TokenKeys(settings.secret_key).redeem(
            session=session, purpose=TokenPurpose.ACTIVATION, token=token, max_age_seconds=3600
        )
        assert account.email == "ana@example.com" and account.activated_at is None


def test_not_yet_activated_customers_get_a_fresh_link_each_invoice(engine, mail_publisher):
    publisher, _ = mail_publisher
    publisher.publish(invoice_input("F-1"))
    publisher.publish(invoice_input("F-2"))
    first, second = outbox(engine)
    assert first.kind == second.kind == "welcome"
    assert json.loads(second.context)["invoice_number"] == "F-2"


def test_active_customers_get_nueva_factura_with_a_deep_link(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publisher.publish(invoice_input("F-1"))
    activate(engine, "jose.munoz@example.com")
    publisher.publish(invoice_input("F-2019/2", issue_date="2019-04-30"))
    email = outbox(engine)[-1]
    context = json.loads(email.context)
    assert email.kind == "new_invoice"
    assert context["link"] == "https://facturas.example.com/factura?numero=F-2019%2F2"
    assert context["invoice_date"] == "30/04/2019"
    deliver_once(engine=engine, settings=settings)
    message = smtp_server.received[-1].message
    assert message["Subject"] == "Nueva Factura disponible en Link Customer Portal Web"
    assert "factura F-2019/2" in message.get_body(("plain",)).get_content()


def test_republishing_never_emails_twice(engine, mail_publisher):
    publisher, _ = mail_publisher
    raw = invoice_input("F-1")
    publisher.publish(raw)
    publisher.publish(raw)
    assert len(outbox(engine)) == 1


def test_email_and_invoice_commit_together(engine, signer, smtp_settings):
    settings = smtp_settings()

    def crash_after_mail(*, session, invoice, customer, data):
        raise RuntimeError("crash after the email was queued")

    publisher = Publisher(
        engine=engine,
        signer=signer,
        branding=settings.branding,
        after_store=[*publication_hooks(settings=settings), crash_after_mail],
    )
    with pytest.raises(RuntimeError):
        publisher.publish(invoice_input("F-1"))
    assert outbox(engine) == []
    with unit_of_work(engine) as session:
        assert (
            session.exec(select(Invoice)).all() == [] and session.exec(select(Account)).all() == []
        )


def test_password_reset_email_links_to_the_reset_form(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publisher.publish(invoice_input("F-1"))
    activate(engine, "jose.munoz@example.com")
    with unit_of_work(engine) as session:
        account = session.exec(select(Account)).one()
        queue_password_reset(session=session, account=account, settings=settings)
        session.commit()
    deliver_once(engine=engine, settings=settings)
    message = smtp_server.received[-1].message
    assert message["Subject"] == "Restablecer contraseña"
    assert message["To"] == "jose.munoz@example.com"
    assert "https://facturas.example.com/restablecer/" in message.get_body(("html",)).get_content()


def queue_alta(engine, settings, *, email="ana@example.com") -> tuple[int, int]:
    """An account waiting for activation and a re-sent Alta for it: (email id, account id)."""
    with unit_of_work(engine) as session:
        customer = make_customer(session, name="Ana Muñoz", email=email)
        account = make_account(session, customer=customer, activated=False)
        row = queue_activation(session=session, account=account, settings=settings)
        session.flush()
        return row.id, account.id


def test_each_attempt_mints_a_working_link_under_the_same_message_id(
    engine, mail_publisher, smtp_server
):
    """A deliverer killed after sending: the copy sent on takeover works too."""
    publisher, settings = mail_publisher
    publisher.publish(invoice_input("F-1"))

    class DiesAfterSending:
        def __init__(self):
            self.inner = SmtpTransport(settings.mail)

        def send(self, email, *, to, message_id):
            self.inner.send(email, to=to, message_id=message_id)
            raise KeyboardInterrupt

    dying = DiesAfterSending()
    with pytest.raises(KeyboardInterrupt):
        deliver_due(engine=engine, transport=dying, settings=settings)
    dying.inner.close()
    transport = SmtpTransport(settings.mail)
    lease_over = lambda: utcnow() + CLAIM_LEASE + timedelta(seconds=1)  # noqa: E731
    report = deliver_due(engine=engine, transport=transport, settings=settings, clock=lease_over)
    transport.close()

    (email,) = outbox(engine)
    assert report.sent == [email.id]
    first, second = smtp_server.received
    assert first.message["Message-ID"] == second.message["Message-ID"] == email.message_id
    for received in (first, second):
        token = sent_link(received.message, "credenciales").rsplit("/", 1)[1]
        assert preview(engine, settings, TokenPurpose.ACTIVATION, token).ok
        assert token not in email.html + email.text + email.context
    assert "https://facturas.example.com/credenciales/[enlace enviado]" in email.text


def test_the_reset_link_and_its_expiry_are_made_at_delivery(
    engine, mail_publisher, smtp_server, monkeypatch
):
    publisher, settings = mail_publisher
    publisher.publish(invoice_input("F-1"))
    activate(engine, "jose.munoz@example.com")
    run_in_unit_of_work(
        auth.request_password_reset,
        engine=engine,
        settings=settings,
        email="jose.munoz@example.com",
    )
    reset = outbox(engine)[-1]
    assert reset.kind == "password_reset" and "link" not in json.loads(reset.context)

    sending_time = datetime(2030, 1, 2, 9, 30, tzinfo=UTC)
    monkeypatch.setattr(notices, "utcnow", lambda: sending_time)
    deliver_once(engine=engine, settings=settings)
    message = smtp_server.received[-1].message
    expires = formats.timestamp(
        sending_time + timedelta(minutes=settings.reset_ttl_minutes), settings.timezone
    )
    # 9:30 UTC + 60 min in January is 11:30 in Madrid, and the email says which zone.
    assert expires == "02/01/2030 11:30, hora de España (Madrid)"
    assert f"El enlace caduca el {expires}" in message.get_body(("plain",)).get_content()
    token = sent_link(message, "restablecer").rsplit("/", 1)[1]
    assert preview(engine, settings, TokenPurpose.PASSWORD_RESET, token).ok


def test_an_alta_whose_account_was_activated_meanwhile_announces_the_invoice(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    publisher.publish(invoice_input("F-2019/7"))
    activate(engine, "jose.munoz@example.com")  # with an earlier link, before this one went out
    deliver_once(engine=engine, settings=settings)
    (received,) = smtp_server.received
    text = received.message.get_body(("plain",)).get_content()
    assert received.message["Subject"] == "Nueva Factura disponible en Link Customer Portal Web"
    assert "https://facturas.example.com/factura?numero=F-2019%2F7" in text
    assert "/credenciales/" not in text


def test_a_resent_alta_for_an_account_activated_meanwhile_is_dropped(
    engine, smtp_server, smtp_settings
):
    settings = smtp_settings()
    email_id, _ = queue_alta(engine, settings)
    activate(engine, "ana@example.com")
    report = deliver_once(engine=engine, settings=settings)
    assert report.skipped == [email_id] and report.failed == [] and smtp_server.received == []
    (dropped,) = outbox(engine)
    assert dropped.failed_at is not None and dropped.attempts == 0
    assert dropped.last_error == "not sent: the account was activated before it went out"
    assert dropped.html is None
    assert deliver_once(engine=engine, settings=settings).attempted == 0


def test_a_link_for_an_address_the_account_left_is_not_sent(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publisher.publish(invoice_input("F-1"))
    # The customer's email changes before F-1's Alta went out; F-2 brings a new Alta.
    publisher.publish(invoice_input("F-2", customer=customer_input(email="nueva@example.com")))
    old, new = outbox(engine)
    assert (old.to_address, new.to_address) == ("jose.munoz@example.com", "nueva@example.com")

    report = deliver_once(engine=engine, settings=settings)
    assert report.skipped == [old.id] and report.sent == [new.id]
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["nueva@example.com"]
    token = sent_link(received.message, "credenciales").rsplit("/", 1)[1]
    assert preview(engine, settings, TokenPurpose.ACTIVATION, token).ok
    assert "email address changed" in outbox(engine)[0].last_error


def test_a_reset_for_a_deleted_account_is_dropped(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publisher.publish(invoice_input("F-1"))
    deliver_once(engine=engine, settings=settings)
    activate(engine, "jose.munoz@example.com")
    run_in_unit_of_work(
        auth.request_password_reset,
        engine=engine,
        settings=settings,
        email="jose.munoz@example.com",
    )
    with unit_of_work(engine) as session:
        session.exec(sa.delete(AuthSession))
        session.exec(sa.delete(Account))
    report = deliver_once(engine=engine, settings=settings)
    assert len(report.skipped) == 1 and len(smtp_server.received) == 1
    assert outbox(engine)[-1].last_error == "not sent: its account no longer exists"
