"""Publishing queues the right email in its transaction, once; links are made at delivery.

One publication brings a customer one email, whatever its number of invoices.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from customer_portal.db import run_in_unit_of_work, unit_of_work
from customer_portal.domain import auth, formats
from customer_portal.domain.invoice_search import InvoiceFilters, search_invoices
from customer_portal.domain.invoices import invoice_for_customer
from customer_portal.domain.publishing import Publisher
from customer_portal.domain.status import status_label
from customer_portal.domain.tokens import TokenKeys, TokenPurpose
from customer_portal.mail import notices
from customer_portal.mail.hooks import publication_hooks
from customer_portal.mail.notices import NOTICE_HOLD, queue_activation, queue_password_reset
from customer_portal.mail.outbox import CLAIM_LEASE, MAX_GROUP, deliver_due
from customer_portal.mail.smtp import SmtpTransport
from customer_portal.mail.worker import deliver_once
from customer_portal.models import (
    Account,
    AuthSession,
    Customer,
    CustomerAccess,
    Invoice,
    KnownDevice,
    OutboxEmail,
    utcnow,
)
from tests.factories import (
    customer_input,
    invoice_input,
    line_input,
    make_account,
    make_customer,
    preview,
)


@pytest.fixture
def mail_publisher(engine, signer, smtp_settings):
    settings = smtp_settings()
    return Publisher(
        engine=engine,
        signer=signer,
        branding=settings.branding,
        after_store=publication_hooks(settings=settings),
    ), settings


def publish(publisher, *raws):
    """One publication (a batch, as the API and the CLI send them)."""
    summary = publisher.publish_many(list(raws))
    assert summary.ok, summary.results


def text_of(received) -> str:
    return received.message.get_body(("plain",)).get_content()


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
    publish(publisher, invoice_input("F-1", customer=customer_input(email="Ana@Example.com")))
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


def test_thirty_invoices_in_one_publication_bring_one_alta_listing_them(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    numbers = [f"F-{n:02d}" for n in range(1, 31)]
    publish(publisher, *(invoice_input(number) for number in numbers))
    rows = outbox(engine)
    assert [row.kind for row in rows] == ["welcome"] + ["new_invoice"] * 29

    report = deliver_once(engine=engine, settings=settings)
    (received,) = smtp_server.received
    assert received.message["Subject"] == "Alta en Link Customer Portal Web"
    text = text_of(received)
    assert "Ya tiene disponibles estas 30 facturas" in text
    for number in numbers:
        assert f"Factura {number} del 30/04/2019" in text
        assert f"https://facturas.example.com/factura?numero={number}" in text
    assert text.count("Importe: 42,69\xa0€") == 30
    assert text.count("Vencimiento: 30/05/2019") == 30
    assert "ES IMPORTANTE NO SALTARSE ESTE PASO" in text
    token = sent_link(received.message, "credenciales").rsplit("/", 1)[1]
    assert preview(engine, settings, TokenPurpose.ACTIVATION, token).ok
    # Every row is sent; the first keeps the copy, the others point at it.
    rows = outbox(engine)
    assert sorted(report.sent) == [row.id for row in rows]
    assert all(row.sent_at is not None for row in rows)
    assert [row.sent_with for row in rows] == [None] + [rows[0].id] * 29
    assert received.message["Message-ID"] == rows[0].message_id
    assert deliver_once(engine=engine, settings=settings).attempted == 0


def test_a_later_publication_before_activation_reminds_with_a_fresh_link(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))
    deliver_once(engine=engine, settings=settings)
    publish(publisher, invoice_input("F-2"))
    assert outbox(engine)[-1].kind == "new_invoice"
    deliver_once(engine=engine, settings=settings)

    alta, reminder = smtp_server.received
    assert alta.message["Subject"] == "Alta en Link Customer Portal Web"
    assert reminder.message["Subject"] == "Nueva Factura disponible en Link Customer Portal Web"
    text = text_of(reminder)
    assert "Ya tiene disponible la nueva factura F-2 correspondiente a la fecha 30/04/2019" in text
    assert "todavía no ha indicado sus credenciales" in text
    assert "ES IMPORTANTE" not in text  # that is the Alta's, once
    assert "Ver credenciales" in reminder.message.get_body(("html",)).get_content()
    fresh = sent_link(reminder.message, "credenciales")  # minted as it went out
    assert preview(engine, settings, TokenPurpose.ACTIVATION, fresh.rsplit("/", 1)[1]).ok


def test_several_invoices_for_an_active_customer_make_one_list(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))
    activate(engine, "jose.munoz@example.com")
    deliver_once(engine=engine, settings=settings)  # F-1 goes out as a Nueva Factura
    publish(
        publisher,
        invoice_input("F-2", due_date="2019-06-15"),
        invoice_input("F-3", lines=[line_input(unit_price="1000", tax_rate="21")]),
        invoice_input("G-1", customer=customer_input(code="OTRO", email="otro@example.com")),
    )
    deliver_once(engine=engine, settings=settings)
    mine = [r for r in smtp_server.received if r.rcpt_tos == ["jose.munoz@example.com"]]
    first, both = mine
    assert "factura F-1" in text_of(first) and "F-2" not in text_of(first)
    text = text_of(both)
    assert "Ya tiene disponibles las 2 nuevas facturas siguientes" in text
    assert "Factura F-2 del 30/04/2019\n  Importe: 42,69\xa0€\n  Vencimiento: 15/06/2019" in text
    assert "Factura F-3 del 30/04/2019\n  Importe: 1.210,00\xa0€\n  Vencimiento: 30/05/2019" in text
    html = both.message.get_body(("html",)).get_content()
    for number in ("F-2", "F-3"):
        assert f'href="https://facturas.example.com/factura?numero={number}"' in html
        assert f">Ver factura {number}</a>" in html
    assert "credenciales" not in text.lower()
    # The other customer's invoice went in an email of its own.
    assert [r.rcpt_tos for r in smtp_server.received].count(["otro@example.com"]) == 1


def test_one_invoice_reads_as_the_manual_with_amount_due_date_and_status(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))
    activate(engine, "jose.munoz@example.com")
    deliver_once(engine=engine, settings=settings)
    text = text_of(smtp_server.received[0])
    assert (
        "Ya tiene disponible la nueva factura F-1 correspondiente a la fecha 30/04/2019, que puede "
        "ver accediendo al Customer Portal Web desde el enlace inferior." in text
    )
    assert "Importe: 42,69\xa0€\nVencimiento: 30/05/2019\nEstado: Pendiente · vencida" in text


def test_a_notice_waits_for_the_rest_of_its_publication(engine, mail_publisher, smtp_server):
    """Published one by one (no batch end): the hold gathers them."""
    publisher, settings = mail_publisher
    publisher.publish(invoice_input("F-1"))
    publisher.publish(invoice_input("F-2"))
    assert deliver_once(engine=engine, settings=settings).attempted == 0  # held
    transport = SmtpTransport(settings.mail)
    after_hold = lambda: utcnow() + NOTICE_HOLD + timedelta(seconds=1)  # noqa: E731
    report = deliver_due(engine=engine, transport=transport, settings=settings, clock=after_hold)
    transport.close()
    assert len(report.sent) == 2
    (received,) = smtp_server.received
    assert received.message["Subject"] == "Alta en Link Customer Portal Web"
    assert "Factura F-1" in text_of(received) and "Factura F-2" in text_of(received)


def test_a_huge_publication_is_split_into_emails_of_at_most_max_group(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    publish(publisher, *(invoice_input(f"F-{n:03d}") for n in range(MAX_GROUP + 3)))
    deliver_once(engine=engine, settings=settings)
    deliver_once(engine=engine, settings=settings)
    alta, rest = smtp_server.received
    assert alta.message["Subject"] == "Alta en Link Customer Portal Web"
    assert text_of(alta).count("Factura F-") == MAX_GROUP
    # The Alta went once; the rest remind.
    assert rest.message["Subject"] == "Nueva Factura disponible en Link Customer Portal Web"
    assert text_of(rest).count("Factura F-") == 3 and "todavía no ha indicado" in text_of(rest)


def publish_billing_run(publisher, prefix: str, customers: int, invoices: int) -> None:
    """One publication: ``invoices`` invoices for each of ``customers`` customers."""
    people = [
        customer_input(code=f"{prefix}{c}", email=f"{prefix.lower()}{c}@example.com")
        for c in range(customers)
    ]
    publish(
        publisher,
        *(
            invoice_input(f"{prefix}{c}-{n}", customer=people[c])
            for c in range(customers)
            for n in range(invoices)
        ),
    )


def one_round(engine, settings, **options):
    """``deliver_due`` over its own SMTP connection."""
    transport = SmtpTransport(settings.mail)
    try:
        return deliver_due(engine=engine, transport=transport, settings=settings, **options)
    finally:
        transport.close()


def test_a_round_counts_emails_not_the_invoices_grouped_in_them(
    engine, mail_publisher, smtp_server
):
    """A billing run of 4 customers x 6 invoices is 4 emails, and one round sends them all.

    A round used to read ``limit`` due rows and claim each: the first claim took
    its customer's whole group, the other rows read were that same email, so a
    round of 5 "rows" sent one email, and the worker then slept before the next.
    """
    publisher, settings = mail_publisher
    publish_billing_run(publisher, "R", customers=4, invoices=6)
    assert len(one_round(engine, settings, limit=5).sent) == 24
    assert len(smtp_server.received) == 4
    assert one_round(engine, settings).attempted == 0
    by_address = {r.message["To"]: text_of(r).count("Factura R") for r in smtp_server.received}
    assert by_address == {f"r{c}@example.com": 6 for c in range(4)}


def test_a_round_stops_at_its_limit_of_emails(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publish_billing_run(publisher, "L", customers=3, invoices=4)
    assert len(one_round(engine, settings, limit=2).sent) == 8
    assert len(smtp_server.received) == 2
    assert deliver_once(engine=engine, settings=settings).sent and len(smtp_server.received) == 3


def test_a_second_alta_queued_by_a_race_goes_out_as_a_reminder(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))
    deliver_once(engine=engine, settings=settings)
    publish(publisher, invoice_input("F-2"))
    with unit_of_work(engine) as session:
        row = session.exec(select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))).one()
        row.kind = "welcome"  # as if queued by a publisher that did not see the first Alta
        session.add(row)
    deliver_once(engine=engine, settings=settings)
    assert [r.message["Subject"] for r in smtp_server.received] == [
        "Alta en Link Customer Portal Web",
        "Nueva Factura disponible en Link Customer Portal Web",
    ]


def test_a_group_whose_deliverer_dies_goes_out_whole_once_more(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publish(publisher, *(invoice_input(f"F-{n}") for n in range(3)))

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
    assert all(row.sent_at is None and row.claim_token for row in outbox(engine))
    assert deliver_once(engine=engine, settings=settings).attempted == 0  # still claimed
    transport = SmtpTransport(settings.mail)
    lease_over = lambda: utcnow() + CLAIM_LEASE + timedelta(seconds=1)  # noqa: E731
    report = deliver_due(engine=engine, transport=transport, settings=settings, clock=lease_over)
    transport.close()
    assert len(report.sent) == 3
    first, second = smtp_server.received
    assert first.message["Message-ID"] == second.message["Message-ID"]
    for received in (first, second):
        assert all(f"Factura F-{n}" in text_of(received) for n in range(3))


def test_concurrent_deliverers_send_every_invoice_exactly_once(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    customers = [customer_input(code=f"C{c}", email=f"c{c}@example.com") for c in range(5)]
    publish(
        publisher,
        *(invoice_input(f"F-{c}-{n}", customer=customers[c]) for c in range(5) for n in range(6)),
    )
    barrier = threading.Barrier(2)

    def deliver():
        barrier.wait()
        deliver_once(engine=engine, settings=settings)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    told = [
        number
        for received in smtp_server.received
        for number in re.findall(r"Factura (F-\d-\d) del", text_of(received))
    ]
    assert sorted(told) == sorted(f"F-{c}-{n}" for c in range(5) for n in range(6))
    assert all(row.sent_at is not None for row in outbox(engine))


def test_the_email_shows_the_status_the_list_and_the_page_show(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))  # due 30/05/2019: long overdue
    activate(engine, "jose.munoz@example.com")
    with unit_of_work(engine) as session:
        invoice = session.exec(select(Invoice)).one()
        invoice.paid_cents = 1000  # partly paid before the email went out
        session.add(invoice)
        customer_id = session.exec(select(Customer.id)).one()
    deliver_once(engine=engine, settings=settings)
    with unit_of_work(engine) as session:
        (row,) = search_invoices(
            session=session, customer_id=customer_id, filters=InvoiceFilters()
        ).rows
        page = invoice_for_customer(session=session, customer_id=customer_id, number="F-1")
    listed, shown = status_label(row.status, row.overdue), status_label(page.status, page.overdue)
    assert listed == shown and listed.text == "Cobrado parcialmente · vencida"
    html = smtp_server.received[0].message.get_body(("html",)).get_content()
    assert f'color:{listed.hex};font-weight:bold;">{listed.text}</span>' in html
    assert f"Estado: {listed.text}" in text_of(smtp_server.received[0])


def test_active_customers_get_nueva_factura_with_a_deep_link(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))
    activate(engine, "jose.munoz@example.com")
    publish(publisher, invoice_input("F-2019/2", issue_date="2019-04-30"))
    email = outbox(engine)[-1]
    context = json.loads(email.context)
    assert email.kind == "new_invoice" and "signed_link" not in context
    assert context["invoice_date"] == "30/04/2019"
    deliver_once(engine=engine, settings=settings)
    message = smtp_server.received[-1].message
    assert message["Subject"] == "Nueva Factura disponible en Link Customer Portal Web"
    text = message.get_body(("plain",)).get_content()
    assert "factura F-2019/2" in text
    assert "https://facturas.example.com/factura?numero=F-2019%2F2" in text


def test_republishing_never_emails_twice(engine, mail_publisher):
    publisher, _ = mail_publisher
    raw = invoice_input("F-1")
    publish(publisher, raw)
    publish(publisher, raw, invoice_input("F-2"))
    publisher.publish(raw)
    assert [json.loads(row.context)["invoice_number"] for row in outbox(engine)] == ["F-1", "F-2"]


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
    publish(publisher, invoice_input("F-1"))
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
    publish(publisher, invoice_input("F-1"))

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
    publish(publisher, invoice_input("F-1"))
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
    publish(publisher, invoice_input("F-2019/7"))
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
    publish(publisher, invoice_input("F-1"))
    # The customer's email changes before F-1's Alta went out; F-2 brings a new Alta.
    publish(publisher, invoice_input("F-2", customer=customer_input(email="nueva@example.com")))
    old, new = outbox(engine)
    assert (old.to_address, new.to_address) == ("jose.munoz@example.com", "nueva@example.com")

    report = deliver_once(engine=engine, settings=settings)
    assert report.skipped == [old.id] and report.sent == [new.id]
    (received,) = smtp_server.received
    assert received.rcpt_tos == ["nueva@example.com"]
    token = sent_link(received.message, "credenciales").rsplit("/", 1)[1]
    assert preview(engine, settings, TokenPurpose.ACTIVATION, token).ok
    # The old address was never activated and is no longer named: unlinked, so not sent.
    assert "no longer belongs" in outbox(engine)[0].last_error


def test_a_reset_for_a_deleted_account_is_dropped(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("F-1"))
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
        session.exec(sa.delete(CustomerAccess))
        session.exec(sa.delete(KnownDevice))
        session.exec(sa.delete(Account))
    report = deliver_once(engine=engine, settings=settings)
    assert len(report.skipped) == 1 and len(smtp_server.received) == 1
    assert outbox(engine)[-1].last_error == "not sent: its account no longer exists"
