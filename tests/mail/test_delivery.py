"""Delivery through a real SMTP server (aiosmtpd on loopback), on both databases."""

from __future__ import annotations

import ssl
import threading
import time
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.mail.outbox import CLAIM_LEASE, deliver_due, enqueue
from customer_portal.mail.render import EmailKind
from customer_portal.mail.smtp import SmtpTransport
from customer_portal.mail.worker import deliver_once
from customer_portal.models import OutboxEmail, utcnow
from tests.mail.smtp_server import SilentServer, SmtpServer, free_port


def queue(engine, n=1, *, to="ana.munoz@example.com", name="Ana Muñoz Pérez") -> list[int]:
    ids = []
    with unit_of_work(engine) as session:
        for i in range(n):
            row = enqueue(
                session=session,
                kind=EmailKind.NEW_INVOICE,
                to=to,
                context={
                    "customer_name": name,
                    "invoice_number": f"F-{i}",
                    "invoice_date": "30/04/2019",
                    "link": f"https://facturas.example.com/factura?numero=F-{i}",
                },
                dedupe_key=f"test:{to}:{i}",
                domain="linksoluciones.com",
            )
            session.flush()
            ids.append(row.id)
    return ids


def row(engine, email_id) -> OutboxEmail:
    with unit_of_work(engine) as session:
        return session.get(OutboxEmail, email_id)


def later(minutes: float):
    return lambda: utcnow() + timedelta(minutes=minutes)


def test_message_arrives_whole(engine, smtp_server, smtp_settings):
    (email_id,) = queue(engine)
    report = deliver_once(engine=engine, settings=smtp_settings())
    assert report.sent == [email_id]

    (received,) = smtp_server.received
    message = received.message
    assert received.rcpt_tos == ["ana.munoz@example.com"]
    assert received.mail_from == "facturas@linksoluciones.com"
    assert message["Subject"] == "Nueva Factura disponible en Link Customer Portal Web"
    assert message["From"] == "Link Soluciones <facturas@linksoluciones.com>"
    assert message["Message-ID"] == row(engine, email_id).message_id
    parts = {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert set(parts) == {"text/plain", "text/html"}
    for body in parts.values():
        assert "Estimado/a Ana Muñoz Pérez." in body
        assert "https://facturas.example.com/factura?numero=F-0" in body
    sent = row(engine, email_id)
    assert sent.sent_at is not None and sent.attempts == 1 and sent.subject == message["Subject"]
    assert (
        deliver_once(engine=engine, settings=smtp_settings()).attempted == 0
    )  # nothing is sent twice


def test_server_down_then_up_is_retried_and_delivered(engine, smtp_settings):
    port = free_port()  # nothing listens here yet
    settings = smtp_settings(PORTAL_SMTP_PORT=str(port))
    (email_id,) = queue(engine)

    report = deliver_once(engine=engine, settings=settings)
    assert report.retried == [email_id]
    waiting = row(engine, email_id)
    assert waiting.sent_at is None and waiting.failed_at is None and waiting.attempts == 1
    assert "Connection refused" in waiting.last_error or "Errno" in waiting.last_error
    assert waiting.next_attempt_at > utcnow() + timedelta(seconds=20)  # backs off
    assert deliver_once(engine=engine, settings=settings).attempted == 0  # not due yet

    server = SmtpServer(port).start()
    try:
        transport = SmtpTransport(settings.mail)
        report = deliver_due(engine=engine, transport=transport, settings=settings, clock=later(1))
        transport.close()
    finally:
        server.stop()
    assert report.sent == [email_id] and len(server.received) == 1
    assert row(engine, email_id).attempts == 2


def test_permanent_refusal_stops_retrying_and_is_visible(engine, smtp_server, smtp_settings):
    smtp_server.handler.refuse["nadie@example.com"] = "550 5.1.1 No such user here"
    (bad,) = queue(engine, to="nadie@example.com")
    (good,) = queue(engine, to="ana@example.com")
    report = deliver_once(engine=engine, settings=smtp_settings())
    assert report.failed == [bad] and report.sent == [good]
    failed = row(engine, bad)
    assert failed.failed_at is not None and "550" in failed.last_error
    transport = SmtpTransport(smtp_settings().mail)
    again = deliver_due(
        engine=engine, transport=transport, settings=smtp_settings(), clock=later(600)
    )
    assert again.attempted == 0


def test_temporary_refusal_is_retried(engine, smtp_server, smtp_settings):
    smtp_server.handler.refuse["lleno@example.com"] = "452 4.2.2 Mailbox full"
    (email_id,) = queue(engine, to="lleno@example.com")
    assert deliver_once(engine=engine, settings=smtp_settings()).retried == [email_id]
    assert "452" in row(engine, email_id).last_error


def test_a_hanging_server_times_out_instead_of_blocking(engine, smtp_settings):
    silent = SilentServer()
    try:
        settings = smtp_settings(PORTAL_SMTP_PORT=str(silent.port), PORTAL_SMTP_TIMEOUT="1")
        (email_id,) = queue(engine)
        started = time.monotonic()
        report = deliver_once(engine=engine, settings=settings)
        assert time.monotonic() - started < 10
    finally:
        silent.close()
    assert report.retried == [email_id]
    assert "timed out" in row(engine, email_id).last_error.lower()


def test_gives_up_after_max_attempts(engine, smtp_settings):
    settings = smtp_settings(PORTAL_SMTP_PORT=str(free_port()), PORTAL_MAIL_MAX_ATTEMPTS="2")
    (email_id,) = queue(engine)
    assert deliver_once(engine=engine, settings=settings).retried == [email_id]
    transport = SmtpTransport(settings.mail)
    report = deliver_due(engine=engine, transport=transport, settings=settings, clock=later(5))
    assert report.failed == [email_id] and row(engine, email_id).failed_at is not None


def test_two_deliverers_at_once_send_each_email_once(engine, smtp_server, smtp_settings):
    ids = queue(engine, 30)
    settings = smtp_settings()
    barrier = threading.Barrier(2)
    reports = []

    def deliver():
        barrier.wait()
        reports.append(deliver_once(engine=engine, settings=settings))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    message_ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert len(message_ids) == 30 == len(set(message_ids))
    assert sorted(reports[0].sent + reports[1].sent) == ids


def test_a_deliverer_that_dies_mid_send_is_taken_over(engine, smtp_server, smtp_settings):
    """At-least-once: the claim expires, the email goes out with the same Message-ID."""
    settings = smtp_settings()
    (email_id,) = queue(engine)

    class DiesAfterSending:
        def __init__(self):
            self.inner = SmtpTransport(settings.mail)

        def send(self, email, *, to, message_id):
            self.inner.send(email, to=to, message_id=message_id)
            raise KeyboardInterrupt  # the process is killed before it records "sent"

    dying = DiesAfterSending()
    try:
        deliver_due(engine=engine, transport=dying, settings=settings)
    except KeyboardInterrupt:
        dying.inner.close()
    assert row(engine, email_id).sent_at is None and len(smtp_server.received) == 1
    assert (
        deliver_once(engine=engine, settings=settings).attempted == 0
    )  # still claimed by the dead one

    transport = SmtpTransport(settings.mail)
    lease_over = lambda: utcnow() + CLAIM_LEASE + timedelta(seconds=1)  # noqa: E731
    report = deliver_due(engine=engine, transport=transport, settings=settings, clock=lease_over)
    transport.close()
    assert report.sent == [email_id]
    first, second = smtp_server.received
    assert first.message["Message-ID"] == second.message["Message-ID"]


def test_a_template_problem_keeps_the_email_for_later(engine, smtp_server, smtp_settings):
    with unit_of_work(engine) as session:
        email = enqueue(
            session=session,
            kind=EmailKind.NEW_INVOICE,
            to="ana@example.com",
            context={"invoice_number": "F-1"},
            dedupe_key="broken",
            domain="example.com",
        )
        session.flush()
        email_id = email.id
    report = deliver_once(engine=engine, settings=smtp_settings())
    assert report.retried == [email_id] and smtp_server.received == []
    kept = row(engine, email_id)
    assert "customer_name" in kept.last_error and kept.failed_at is None


def test_dedupe_key_queues_once(engine):
    queue(engine)
    with unit_of_work(engine) as session:
        again = enqueue(
            session=session,
            kind=EmailKind.NEW_INVOICE,
            to="x@example.com",
            context={},
            dedupe_key="test:ana.munoz@example.com:0",
            domain="example.com",
        )
    assert again is None
    with unit_of_work(engine) as session:
        assert len(session.exec(select(OutboxEmail)).all()) == 1


def test_each_email_costs_two_transactions(engine, smtp_server, smtp_settings):
    """Claim and render in one, finish in another (not one each): bench/email.py's fix."""
    queue(engine, 10)
    transactions = []

    def count(connection):
        transactions.append(connection)

    sa.event.listen(engine, "begin", count)
    try:
        report = deliver_once(engine=engine, settings=smtp_settings())
    finally:
        sa.event.remove(engine, "begin", count)
    assert len(report.sent) == 10 == len(smtp_server.received)
    # One to find what is due, then two per email.
    assert len(transactions) == 1 + 2 * 10


def test_a_relay_without_tls_needs_no_tls_context(engine, smtp_server, smtp_settings, monkeypatch):
    """Loading the CA roots took a few ms per round, for a context a plain relay never uses."""

    def no_context(*args, **kwargs):
        raise AssertionError("a TLS context for a relay without TLS")

    monkeypatch.setattr(ssl, "create_default_context", no_context)
    (email_id,) = queue(engine)
    assert deliver_once(engine=engine, settings=smtp_settings()).sent == [email_id]
    assert len(smtp_server.received) == 1


def test_claims_are_found_by_an_index_not_a_scan_of_the_outbox(engine):
    """Sent rows stay in the outbox: a scan per claim made delivery slower as it grew."""
    indexes = sa.inspect(engine).get_indexes("outbox_email")
    assert ["claim_token"] in [index["column_names"] for index in indexes]
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM outbox_email WHERE claim_token = 'x'"
            ).fetchall()
        assert "ix_outbox_claim" in str(plan)
