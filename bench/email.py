"""Email delivery: the outbox's deliverer against a plain ``smtplib`` loop, in one run.

``BENCH_EMAILS`` emails (10,000 by default) are queued through the domain as
publishing queues them: one customer each, most with an active account (a
Nueva Factura linking the invoice), one in ten still to activate (an Alta
whose activation link is minted at delivery). Then:

- **the deliverer**: :func:`customer_portal.mail.worker.deliver_once`, round
  after round as the portal's mail worker runs it (claim, render, send, mark
  sent), until nothing is due;
- **the reference**: the same messages, as the deliverer rendered them, sent
  by a plain ``smtplib`` loop over one connection (``EmailMessage`` built in
  the loop, then ``send_message``).

Both talk to an aiosmtpd server on loopback in its own process, whose handler
only counts; each run checks every message arrived. SQLite, and PostgreSQL
when its server answers. Ratios are measured side by side in this run; the
results also go to ``bench/results/email.json``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import smtplib
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlmodel import col, select

from bench.common import machine, postgres_schema, results_file
from customer_portal import db
from customer_portal.mail.notices import notify_invoice_published
from customer_portal.mail.worker import deliver_once
from customer_portal.models import Account, Customer, CustomerAccess, Invoice, OutboxEmail, utcnow
from customer_portal.settings import Settings, load_settings
from tests.mail.smtp_server import free_port

EMAILS = int(os.environ.get("BENCH_EMAILS", "10000"))
#: One customer in this many has an account still to activate (an Alta).
ALTA_EVERY = 10
RESULTS = results_file("email.json")
# A bcrypt hash nobody signs in with: accounts are not what is measured.
UNUSABLE_HASH = "$2b$04$" + "a" * 53


@dataclass(frozen=True)
class Rate:
    """One way of sending the emails, measured."""

    name: str
    emails: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.emails / self.seconds


# --- The SMTP server, in its own process ------------------------------------------------


class CountingHandler:
    """Accepts every message and counts it; nothing is parsed or kept."""

    def __init__(self, counter):
        self.counter = counter

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.counter.get_lock():
            self.counter.value += len(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def _serve(port: int, counter, ready, stop) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(CountingHandler(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class CountingServer:
    """aiosmtpd on loopback in a child process, so it does not share the sender's GIL."""

    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.counter = context.Value("q", 0)
        self._ready, self._stop = context.Event(), context.Event()
        self._process = context.Process(
            target=_serve, args=(self.port, self.counter, self._ready, self._stop), daemon=True
        )

    def __enter__(self) -> CountingServer:
        self._process.start()
        if not self._ready.wait(30):
            raise RuntimeError("the SMTP server did not start")
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._process.join(10)

    @property
    def received(self) -> int:
        return self.counter.value

    def reset(self) -> None:
        with self.counter.get_lock():
            self.counter.value = 0


# --- Queueing, as publishing does -------------------------------------------------------


def _queue(engine: sa.Engine, settings: Settings, count: int) -> None:
    """``count`` customers with one invoice each, and its notice queued (due now)."""
    from datetime import date, timedelta

    chunk = 500
    for start in range(0, count, chunk):
        with db.unit_of_work(engine) as session:
            for n in range(start, min(start + chunk, count)):
                customer = Customer(
                    code=f"B-{n}",
                    name=f"Cliente Número {n} S.L.",
                    tax_id="12345678Z",
                    email=f"cliente{n}@example.com",
                )
                session.add(customer)
                session.flush()
                active = n % ALTA_EVERY != 0
                account = Account(
                    email=customer.email,
                    password_hash=UNUSABLE_HASH if active else None,
                    activated_at=utcnow() if active else None,
                )
                session.add(account)
                session.flush()
                session.add(CustomerAccess(customer_id=customer.id, account_id=account.id))
                invoice = Invoice(
                    number=f"F2026-{n:06d}",
                    customer_id=customer.id,
                    issue_date=date(2026, 11, 1),
                    due_date=date(2026, 12, 1),
                    subtotal_cents=3990,
                    tax_cents=279,
                    total_cents=4269,
                    content_hash=uuid.uuid4().hex * 2,
                )
                session.add(invoice)
                session.flush()
                notify_invoice_published(
                    session=session,
                    invoice=invoice,
                    customer=customer,
                    data=None,  # unused by the hook
                    settings=settings,
                    hold=timedelta(0),
                )


def _unsent(engine: sa.Engine) -> int:
    with db.unit_of_work(engine) as session:
        return session.exec(
            select(sa.func.count())
            .select_from(OutboxEmail)
            .where(col(OutboxEmail.sent_at).is_(None))
        ).one()


def _deliverer(engine: sa.Engine, settings: Settings) -> None:
    """The mail worker's rounds, back to back, until a round finds nothing due."""
    while deliver_once(engine=engine, settings=settings).attempted:
        pass


def _sent_copies(engine: sa.Engine) -> list[tuple[str, str, str, str, str]]:
    """``(to, message_id, subject, html, text)`` of every email as it was sent."""
    with db.unit_of_work(engine) as session:
        return [
            tuple(row)
            for row in session.exec(
                select(
                    OutboxEmail.to_address,
                    OutboxEmail.message_id,
                    OutboxEmail.subject,
                    OutboxEmail.html,
                    OutboxEmail.text,
                ).order_by(col(OutboxEmail.id))
            ).all()
        ]


def _smtplib_loop(settings: Settings, port: int, copies) -> None:
    """The reference: one connection, one ``EmailMessage`` per email, ``send_message``."""
    sender = formataddr(("Link Soluciones", settings.mail.mail_from))
    with smtplib.SMTP("127.0.0.1", port, timeout=15) as smtp:
        for to, message_id, subject, html, text in copies:
            message = EmailMessage()
            message["Subject"] = subject
            message["From"] = sender
            message["To"] = to
            message["Message-ID"] = message_id
            message.set_content(text)
            message.add_alternative(html, subtype="html")
            smtp.send_message(message)


def _timed(name: str, count: int, work: Callable[[], object]) -> Rate:
    start = time.perf_counter()
    work()
    return Rate(name, count, time.perf_counter() - start)


def _run(name: str, url: str, settings: Settings, server: CountingServer, console) -> list[Rate]:
    engine = db.create_db_engine(url)
    try:
        db.migrate(engine)
        console.print(f"{name}: queueing {EMAILS} emails…")
        _queue(engine, settings, EMAILS)
        server.reset()
        console.print(f"{name}: the deliverer…")
        deliverer = _timed(f"deliverer, {name}", EMAILS, lambda: _deliverer(engine, settings))
        if server.received != EMAILS or _unsent(engine):
            raise RuntimeError(
                f"{name}: {server.received} of {EMAILS} arrived, {_unsent(engine)} unsent"
            )
        copies = _sent_copies(engine)
    finally:
        engine.dispose()
    server.reset()
    console.print(f"{name}: the smtplib loop…")
    reference = _timed(
        f"smtplib loop (same messages, {name} run)",
        len(copies),
        lambda: _smtplib_loop(settings, server.port, copies),
    )
    if server.received != EMAILS:
        raise RuntimeError(f"smtplib: {server.received} of {EMAILS} arrived")
    return [deliverer, reference]


def main() -> None:
    console = Console()
    with tempfile.TemporaryDirectory() as tmp, CountingServer() as server:
        settings = load_settings(
            {
                "PORTAL_INSTANCE_DIR": tmp,
                "PORTAL_SECRET_KEY": "b" * 32,
                "PORTAL_API_KEY": "k" * 32,
                "PORTAL_SMTP_HOST": "127.0.0.1",
                "PORTAL_SMTP_PORT": str(server.port),
                "PORTAL_BASE_URL": "https://facturas.example.com",
                "PORTAL_MAIL_FROM": "Link Soluciones <facturas@linksoluciones.com>",
            }
        )
        rates = _run("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", settings, server, console)
        postgres = postgres_schema() if os.environ.get("BENCH_POSTGRES", "1") != "0" else None
        if postgres is None:
            console.print("PostgreSQL skipped (BENCH_POSTGRES=0) or not answering: SQLite only.")
        else:
            url, drop = postgres
            try:
                rates += _run("PostgreSQL", url, settings, server, console)
            finally:
                drop()

    table = Table(title=f"Delivering {EMAILS} queued emails to aiosmtpd on loopback")
    for column in ("way", "emails", "emails/s", "deliverer / reference"):
        table.add_column(column, justify="left" if column == "way" else "right")
    for deliverer, reference in zip(rates[::2], rates[1::2], strict=True):
        ratio = deliverer.per_second / reference.per_second
        table.add_row(deliverer.name, str(EMAILS), f"{deliverer.per_second:.0f}", f"{ratio:.0%}")
        table.add_row(reference.name, str(EMAILS), f"{reference.per_second:.0f}", "")
    console.print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": machine(),
                "emails": EMAILS,
                "rates": [{**asdict(r), "per_second": round(r.per_second, 1)} for r in rates],
                "ratios": [
                    {
                        "database": d.name.removeprefix("deliverer, "),
                        "deliverer_over_smtplib": round(d.per_second / r.per_second, 3),
                    }
                    for d, r in zip(rates[::2], rates[1::2], strict=True)
                ],
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
