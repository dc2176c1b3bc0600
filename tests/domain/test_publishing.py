"""Publishing on SQLite and PostgreSQL: stored whole, once, and never changed."""

import hashlib
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import func, select

from customer_portal.db import unit_of_work
from customer_portal.domain.publishing import Publisher
from customer_portal.domain.results import (
    CONFLICT,
    FAILED,
    INVALID,
    PUBLISHED,
    REJECTED,
    UNCHANGED,
)
from customer_portal.models import AuditEvent, Customer, Invoice, InvoiceLine, SignedDocument
from tests.factories import customer_input, invoice_input, line_input


def count(engine, model) -> int:
    with unit_of_work(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def stored(engine, number):
    with unit_of_work(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == number)).one()
        doc = session.exec(
            select(SignedDocument).where(SignedDocument.invoice_id == invoice.id)
        ).one()
        lines = session.exec(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice.id)
            .order_by(InvoiceLine.position)
        ).all()
        return invoice, doc, lines


def test_publish_stores_invoice_lines_and_signed_pdf(publisher, engine):
    raw = invoice_input(
        "F-100",
        lines=[
            line_input(),
            line_input(
                description="IVA peninsular", tax_name="IVA", tax_rate="21", unit_price="100"
            ),
        ],
    )
    result = publisher.publish(raw, actor="test")
    assert result.status == PUBLISHED
    invoice, doc, lines = stored(engine, "F-100")
    assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (13990, 2379, 16369)
    assert invoice.paid_cents == 0
    assert [line.tax_name for line in lines] == ["IGIC", "IVA"]
    assert doc.pdf.startswith(b"%PDF") and doc.sha256 == hashlib.sha256(doc.pdf).hexdigest()
    assert doc.size == len(doc.pdf) and "Link Soluciones" in doc.signer_subject
    with unit_of_work(engine) as session:
        event = session.exec(select(AuditEvent)).one()
    assert (event.actor, event.action, event.subject) == ("test", "invoice.published", "F-100")


def test_republishing_the_same_invoice_is_unchanged_and_keeps_the_bytes(publisher, engine):
    raw = invoice_input("F-101")
    assert publisher.publish(raw).status == PUBLISHED
    _, before, _ = stored(engine, "F-101")
    again = invoice_input("F-101", lines=[line_input(unit_price=39.9, quantity="1.000")])
    assert publisher.publish(again).status == UNCHANGED
    _, after, _ = stored(engine, "F-101")
    assert after.pdf == before.pdf and after.signed_at == before.signed_at
    assert count(engine, Invoice) == 1


def test_different_content_under_an_existing_number_is_a_conflict(publisher, engine):
    publisher.publish(invoice_input("F-102"))
    _, before, _ = stored(engine, "F-102")
    result = publisher.publish(invoice_input("F-102", lines=[line_input(unit_price="1.00")]))
    assert (result.status, result.reason) == ("rejected", CONFLICT)
    assert "cannot change" in result.message
    invoice, after, _ = stored(engine, "F-102")
    assert after.pdf == before.pdf and invoice.total_cents == 4269


def test_invalid_invoice_stores_nothing(publisher, engine):
    result = publisher.publish(invoice_input("F-103", lines=[line_input(unit_price="-1")]))
    assert (result.status, result.reason) == ("rejected", INVALID)
    assert result.errors[0].field == "lines[0].unit_price"
    assert count(engine, Invoice) == count(engine, Customer) == count(engine, SignedDocument) == 0


def test_customer_data_follows_the_billing_system(publisher, engine):
    publisher.publish(invoice_input("F-104"))
    publisher.publish(invoice_input("F-105", customer=customer_input(email="nuevo@example.com")))
    with unit_of_work(engine) as session:
        customers = session.exec(select(Customer)).all()
    assert [c.email for c in customers] == ["nuevo@example.com"]


def test_a_failure_inside_the_transaction_leaves_nothing_behind(engine, signer, settings):
    def crash(*, session, invoice, customer, data):
        if data.number == "F-2":
            raise RuntimeError("power cut")

    publisher = Publisher(
        engine=engine, signer=signer, branding=settings.branding, after_store=[crash]
    )
    publisher.publish(invoice_input("F-1"))
    with pytest.raises(RuntimeError):
        publisher.publish(invoice_input("F-2", customer=customer_input(code="NEW")))
    publisher.publish(invoice_input("F-3"))
    with unit_of_work(engine) as session:
        assert session.exec(select(Invoice.number).order_by(Invoice.number)).all() == [
            "F-1",
            "F-3",
        ]
        assert session.exec(select(Customer.code)).all() == ["CLI-TEST-1"]
    assert count(engine, SignedDocument) == 2 and count(engine, InvoiceLine) == 2


def test_a_signing_failure_rejects_only_that_invoice(engine, signer, settings):
    class FlakySigner:
        def sign(self, pdf):
            if b"F-2" in pdf:
                raise OSError("HSM unplugged")
            return signer.sign(pdf)

    publisher = Publisher(engine=engine, signer=FlakySigner(), branding=settings.branding)
    summary = publisher.publish_many([invoice_input(f"F-{i}") for i in (1, 2, 3)])
    assert [(r.label, r.status, r.reason) for r in summary.results] == [
        ("F-1", PUBLISHED, None),
        ("F-2", "rejected", FAILED),
        ("F-3", PUBLISHED, None),
    ]
    assert count(engine, Invoice) == 2 and not summary.ok


def test_concurrent_publishers_of_one_number_store_it_once(engine, signer, settings):
    from concurrent.futures import ThreadPoolExecutor

    publishers = [
        Publisher(engine=engine, signer=signer, branding=settings.branding) for _ in range(4)
    ]
    raw = invoice_input("F-RACE", customer=customer_input(code="RACE"))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda p: p.publish(raw), publishers))
    statuses = sorted(r.status for r in results)
    assert statuses == [PUBLISHED, UNCHANGED, UNCHANGED, UNCHANGED]
    assert count(engine, Invoice) == 1 and count(engine, Customer) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_the_database_drops_mid_store_is_retried_once_stored(engine, signer, settings):
    import sqlalchemy as sa

    from tests.conftest import POSTGRES_ADMIN_URL

    dropped: list[int] = []

    def drop_my_connection(*, session, invoice, customer, data):
        # What a PostgreSQL restart does to a transaction in flight: the server
        # ends the connection between the INSERTs and the COMMIT.
        if not dropped:
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            admin = sa.create_engine(POSTGRES_ADMIN_URL)
            with admin.begin() as conn:
                conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
            admin.dispose()
            dropped.append(pid)

    publisher = Publisher(
        engine=engine,
        signer=signer,
        branding=settings.branding,
        after_store=[drop_my_connection],
    )
    result = publisher.publish(invoice_input("F-DROP"))
    assert dropped and result.status == PUBLISHED
    assert count(engine, Invoice) == 1 and count(engine, SignedDocument) == 1


class _Watcher:
    """A hook that also wants to know when a batch is done."""

    def __init__(self, fail=False):
        self.stored, self.batches, self.fail = [], [], fail

    def __call__(self, *, session, invoice, customer, data):
        self.stored.append(invoice.number)

    def after_batch(self, *, engine, published):
        self.batches.append(list(published))
        if self.fail:
            raise RuntimeError("the shortcut broke")


@pytest.mark.parametrize("fail", [False, True])
def test_a_batch_tells_its_hooks_what_it_published(engine, signer, settings, fail):
    watcher = _Watcher(fail)
    publisher = Publisher(
        engine=engine, signer=signer, branding=settings.branding, after_store=[watcher]
    )
    publisher.publish(invoice_input("F-0"))
    summary = publisher.publish_many(
        [invoice_input("F-1"), {"number": "bad"}, invoice_input("F-0"), invoice_input("F-2")]
    )
    assert [r.status for r in summary.results] == [PUBLISHED, REJECTED, UNCHANGED, PUBLISHED]
    assert watcher.stored == ["F-0", "F-1", "F-2"]
    # Only what this batch published; a failing shortcut fails nothing.
    assert watcher.batches == [["F-1", "F-2"]]
    publisher.publish_many([invoice_input("F-1")])
    assert watcher.batches == [["F-1", "F-2"]]  # nothing new: not called


# Which process rendered each invoice: a file per invoice number, holding its pid.
RENDERS = Path(tempfile.gettempdir()) / f"portal-test-renders-{os.getuid()}"


def _recording_render(data, branding):
    """A renderer for worker processes (they import it by name) that notes who rendered what.

    In the test's own process it is slow, so the workers are surely up before
    the batch is over (this process publishes on its own until they are).
    Invoices numbered ``...-FIRE`` fail; ``...-AGAIN`` must never be rendered.
    """
    from customer_portal.documents.render import render_invoice_pdf

    if multiprocessing.parent_process() is None:
        time.sleep(0.05)
    RENDERS.mkdir(exist_ok=True)
    (RENDERS / data.number).write_text(f"{os.getpid()} {os.nice(0)}")
    if data.number.endswith("-FIRE"):
        raise RuntimeError("printer on fire")
    if data.number.endswith("-AGAIN"):
        raise RuntimeError("rendered again")
    return render_invoice_pdf(data, branding)


def _rendered_by(number: str) -> int | None:
    path = RENDERS / number
    return int(path.read_text().split()[0]) if path.exists() else None


def _niceness_of_renderer(number: str) -> int:
    return int((RENDERS / number).read_text().split()[1])


def _while_workers_start(prefix: str) -> list[dict]:
    """Enough invoices for this process, publishing alone, to still be busy when workers are up."""
    return [invoice_input(f"{prefix}-{i}") for i in range(60)]


def test_a_batch_signed_in_worker_processes_is_stored_whole_and_in_order(
    engine, signer, settings, trust_roots
):
    from customer_portal.documents.verify import verify_pdf

    publisher = Publisher(
        engine=engine, signer=signer, branding=settings.branding, render=_recording_render
    )
    w = f"W{uuid.uuid4().hex[:8]}"
    first = _while_workers_start(w)
    batch = [
        *first,
        invoice_input(f"{w}-A"),
        {"number": f"{w}-BAD"},
        invoice_input(f"{w}-FIRE"),
        invoice_input(f"{w}-A"),  # again, the same: unchanged
        invoice_input(f"{w}-A", lines=[line_input(description="Otra cosa")]),  # conflict
        *(invoice_input(f"{w}-B{i}") for i in range(10)),
    ]
    seen = []
    summary = publisher.publish_many(batch, workers=2, progress=seen.append)
    assert seen == summary.results
    assert [r.label for r in summary.results[: len(first)]] == [raw["number"] for raw in first]
    rest = summary.results[len(first) :]
    assert [(r.label, r.status, r.reason) for r in rest[:5]] == [
        (f"{w}-A", PUBLISHED, None),
        (f"{w}-BAD", REJECTED, INVALID),
        (f"{w}-FIRE", REJECTED, FAILED),
        (f"{w}-A", UNCHANGED, None),
        (f"{w}-A", REJECTED, CONFLICT),
    ]
    assert [r.label for r in rest[5:]] == [f"{w}-B{i}" for i in range(10)]
    assert {r.status for r in rest[5:]} == {PUBLISHED}
    assert {r.status for r in summary.results[: len(first)]} == {PUBLISHED}
    assert count(engine, Invoice) == len(first) + 11
    for number in (f"{w}-0", f"{w}-A", f"{w}-B9"):
        _, doc, _ = stored(engine, number)
        assert verify_pdf(doc.pdf, trust_roots).valid
    # This process published the first ones while the workers started; the
    # workers did the end of the batch, its failure included.
    assert _rendered_by(f"{w}-0") == os.getpid()
    for number in (f"{w}-FIRE", f"{w}-B9"):
        assert _rendered_by(number) not in (None, os.getpid())
    # Workers run below the process that stores what they sign.
    assert _niceness_of_renderer(f"{w}-B9") >= os.nice(0) + 10


def test_a_batch_in_workers_does_not_render_again_what_is_stored(engine, signer, settings):
    pre = f"R{uuid.uuid4().hex[:8]}"
    Publisher(engine=engine, signer=signer, branding=settings.branding).publish_many(
        [invoice_input(f"{pre}-1-AGAIN"), invoice_input(f"{pre}-2-AGAIN")]
    )
    publisher = Publisher(
        engine=engine, signer=signer, branding=settings.branding, render=_recording_render
    )
    first = _while_workers_start(pre)
    batch = [
        *first,
        invoice_input(f"{pre}-N1"),
        invoice_input(f"{pre}-1-AGAIN"),
        invoice_input(f"{pre}-2-AGAIN", lines=[line_input(description="Otra cosa")]),
        {"number": f"{pre}-BAD"},
        invoice_input(f"{pre}-N2"),
    ]
    summary = publisher.publish_many(batch, workers=2)
    assert [(item.label, item.status, item.reason) for item in summary.results[len(first) :]] == [
        (f"{pre}-N1", PUBLISHED, None),
        (f"{pre}-1-AGAIN", UNCHANGED, None),
        (f"{pre}-2-AGAIN", REJECTED, CONFLICT),
        (f"{pre}-BAD", REJECTED, INVALID),
        (f"{pre}-N2", PUBLISHED, None),
    ]
    assert _rendered_by(f"{pre}-N2") not in (None, os.getpid())
    assert _rendered_by(f"{pre}-1-AGAIN") is None


@pytest.mark.parametrize(
    ("main", "preloaded"),
    [
        # `customer-portal publish`: a console script that imported its main().
        (
            SimpleNamespace(__spec__=None, main=SimpleNamespace(__module__="customer_portal.cli")),
            ["customer_portal.cli"],
        ),
        # `python -m bench.publishing`
        (SimpleNamespace(__spec__=SimpleNamespace(name="bench.publishing")), ["bench.publishing"]),
        # `python some_script.py` without a main(): nothing to name.
        (SimpleNamespace(__spec__=None), []),
        # `python -m pytest`: importing pytest.__main__ would run pytest in the fork server.
        (SimpleNamespace(__spec__=SimpleNamespace(name="pytest.__main__")), []),
    ],
)
def test_the_fork_server_imports_the_program_workers_run_again(monkeypatch, main, preloaded):
    from customer_portal.domain import publishing_workers

    monkeypatch.setitem(sys.modules, "__main__", main)
    assert publishing_workers._main_module() == preloaded


def test_a_batch_waits_out_a_database_restart_and_stores_each_invoice_once(
    own_postgres, signer, settings
):
    import threading

    from customer_portal import db

    engine = db.create_db_engine(own_postgres.url)
    db.migrate(engine)
    restarts: list[threading.Thread] = []

    def restart_mid_store(*, session, invoice, customer, data):
        # The server goes down inside the 10th invoice's transaction and is
        # back 2 s later: that store, and the lookups of the next ones, fail.
        if invoice.number == "F-R-010" and not restarts:
            own_postgres.stop()
            restarts.append(threading.Thread(target=lambda: (time.sleep(2), own_postgres.start())))
            restarts[0].start()

    publisher = Publisher(
        engine=engine, signer=signer, branding=settings.branding, after_store=[restart_mid_store]
    )
    started = time.monotonic()
    summary = publisher.publish_many(invoice_input(f"F-R-{n:03d}") for n in range(1, 31))
    restarts[0].join()
    assert time.monotonic() - started >= 2  # it waited for the server
    assert [item.status for item in summary.results] == [PUBLISHED] * 30
    assert count(engine, Invoice) == 30 and count(engine, SignedDocument) == 30
    with unit_of_work(engine) as session:
        published = session.exec(
            select(AuditEvent.subject).where(AuditEvent.action == "invoice.published")
        ).all()
    assert sorted(published) == [f"F-R-{n:03d}" for n in range(1, 31)]
    engine.dispose()
