"""Mis facturas' queries use the customer's indexes and never scan every invoice.

The statements are the ones ``search_invoices`` sends, caught as it runs, and
each is explained with its own parameters on both databases. Plans, not
times: how fast they are at a million invoices is ``bench/queries.py``'s job.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.domain.invoice_search import parse_filters, search_invoices
from customer_portal.models import Invoice
from tests.factories import make_customer

TODAY = date(2026, 11, 28)
INVOICES = 1200

#: A filter or sort of each kind the page offers, as its URL says it.
QUERIES = [
    {},
    {"pagina": "3"},
    {"estado": "pendiente,parcial"},
    {"vencidas": "si"},
    {"desde": "2025-01-01", "hasta": "2025-12-31"},
    {"min": "100", "max": "500"},
    {"numero": "0042"},
    {"orden": "total"},
    {"orden": "pendiente"},
    {"orden": "vencimiento", "dir": "asc"},
    {"orden": "estado", "dir": "asc"},
    {"orden": "numero", "dir": "asc"},
]


def _fill(engine: sa.Engine) -> int:
    """Two customers' invoices (the first one's every other one), in bulk; the first's id."""
    with Session(engine) as session:
        ours, other = make_customer(session), make_customer(session)
        rows = []
        for i in range(INVOICES):
            total = 1_000 + (i * 7919) % 400_000
            issued = TODAY - timedelta(days=INVOICES - i)
            rows.append(
                {
                    "number": f"F-{i:07d}",
                    "customer_id": ours.id if i % 2 else other.id,
                    "issue_date": issued,
                    "due_date": issued + timedelta(days=30),
                    "currency": "EUR",
                    "subtotal_cents": total,
                    "tax_cents": 0,
                    "total_cents": total,
                    "paid_cents": (total, total // 2, 0)[i % 3],
                    "content_hash": f"{i:064x}",
                }
            )
        session.execute(sa.insert(Invoice), rows)
        session.commit()
        customer_id = ours.id
    if engine.dialect.name == "postgresql":
        # As autovacuum leaves a table of published invoices: statistics, and
        # a visibility map that lets the planner count on index-only scans.
        # VACUUM can mark a page all-visible only once no transaction of the
        # cluster that began before the rows' insert is still open: another test,
        # in parallel, may hold one for a moment, so it is run again until done.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            deadline = time.monotonic() + 30
            while True:
                conn.exec_driver_sql("VACUUM ANALYZE invoice")
                pages, visible = conn.exec_driver_sql(
                    "SELECT relpages, relallvisible FROM pg_class WHERE oid = 'invoice'::regclass"
                ).one()
                if visible >= pages or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
    return customer_id


def _statements(engine: sa.Engine, customer_id: int, query: dict) -> list[tuple[str, object]]:
    """The SELECTs ``search_invoices`` sends for ``query``, with their parameters."""
    sent: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        with Session(engine) as session:
            search_invoices(
                session=session, customer_id=customer_id, filters=parse_filters(query), today=TODAY
            )
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    return sent


def _reads_page_rows(statement: str) -> bool:
    """Whether ``statement`` reads the rows of the page's ids (joined to their subquery)."""
    return "JOIN invoice ON invoice.id = page_ids.id" in " ".join(statement.split())


def _sqlite_problems(plan: list[str], statement: str) -> list[str]:
    problems = [f"full scan: {step}" for step in plan if step.startswith("SCAN invoice")]
    if _reads_page_rows(statement):  # the page's rows, by primary key
        if not any("INTEGER PRIMARY KEY" in step for step in plan):
            problems.append("the page's rows not read by id")
    elif not any("COVERING INDEX ix_invoice_customer_" in step for step in plan):
        problems.append("no covering customer index")
    return problems


def _postgres_problems(plan: list[str], statement: str) -> list[str]:
    problems = [f"full scan: {step}" for step in plan if "Seq Scan on invoice" in step]
    # Every read of invoice goes through a customer index (or the primary key for
    # the page's rows): walking the unique number index would visit every invoice.
    reads = [
        step
        for step in plan
        if "Scan" in step and "Bitmap Heap Scan" not in step and "Subquery Scan" not in step
    ]
    problems += [
        f"not a customer index: {step}"
        for step in reads
        if "ix_invoice_customer_" not in step and "using invoice_pkey" not in step
    ]
    if not reads:
        problems.append("invoice read by no index")
    # The count, the sums and the page's ids come from the index alone.
    if not _reads_page_rows(statement) and not any("Index Only Scan" in s for s in plan):
        problems.append("not index-only")
    return problems


def plan_problems(engine: sa.Engine, customer_id: int) -> dict[str, list[str]]:
    """What is wrong with each statement's plan, by URL query and statement; empty if nothing."""
    found: dict[str, list[str]] = {}
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            # A few thousand rows fit in a handful of pages, where a sequential
            # scan is the planner's right choice; at a million rows it is not.
            # Off, the planner shows which index it would take at scale.
            conn.exec_driver_sql("SET enable_seqscan = off")
            # Likewise, the page's 25 ids are joined to their rows by hashing
            # the whole (small) table; at scale it is 25 primary-key reads.
            conn.exec_driver_sql("SET enable_hashjoin = off")
            conn.exec_driver_sql("SET enable_mergejoin = off")
        for query in QUERIES:
            for statement, parameters in _statements(engine, customer_id, query):
                cursor = driver.cursor()
                if engine.dialect.name == "sqlite":
                    cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
                    plan = [row[3] for row in cursor.fetchall()]
                    problems = _sqlite_problems(plan, statement)
                else:
                    cursor.execute(f"EXPLAIN {statement}", parameters)
                    plan = [row[0].strip() for row in cursor.fetchall()]
                    problems = _postgres_problems(plan, statement)
                if problems:
                    key = f"{query} {statement.split('FROM')[0][:60]!r}"
                    found[key] = [*problems, *plan]
        conn.rollback()
    return found


def test_every_list_query_reads_a_customer_index(engine):
    customer_id = _fill(engine)
    assert plan_problems(engine, customer_id) == {}


def test_without_the_indexes_the_check_fails(engine):
    """The check above can fail: the same queries without the customer indexes."""
    customer_id = _fill(engine)
    with engine.begin() as conn:
        for index in Invoice.__table__.indexes:
            conn.exec_driver_sql(f"DROP INDEX {index.name}")
    problems = plan_problems(engine, customer_id)
    assert len(problems) >= len(QUERIES)
    assert all(any("scan" in p or "index" in p for p in found) for found in problems.values())


@pytest.mark.parametrize("currencies", [("EUR",), ("EUR", "USD")])
def test_count_and_pending_agree_with_the_rows(engine, currencies):
    """One currency takes the aggregate without GROUP BY, two the grouped one: both add up."""
    customer_id = _fill(engine)
    with Session(engine) as session:
        if len(currencies) > 1:
            session.execute(
                sa.update(Invoice)
                .where(col(Invoice.customer_id) == customer_id, col(Invoice.id) % 5 == 0)
                .values(currency="USD")
            )
            session.commit()
        invoices = session.exec(select(Invoice).where(col(Invoice.customer_id) == customer_id))
        expected: dict[str, int] = {}
        for invoice in invoices:
            pending = invoice.total_cents - invoice.paid_cents
            expected[invoice.currency] = expected.get(invoice.currency, 0) + pending
        page = search_invoices(
            session=session, customer_id=customer_id, filters=parse_filters({}), today=TODAY
        )
    assert page.count == INVOICES // 2
    assert page.pending == expected and set(expected) == set(currencies)
    assert len(page.rows) == 25
