"""Mis facturas at scale: a page, its count and its pending total over a million invoices.

``INVOICES`` invoices (1,000,000) across ``CUSTOMERS`` customers (10,000),
one of them with ``BIG`` (50,000), published in date order the way billing
runs publish them, so one customer's invoices are spread over the whole
table. On SQLite (a temporary file) and PostgreSQL (a schema of its own),
each filter and sort of ``SCENARIOS`` runs through the portal's own
``search_invoices`` in a unit of work, as the page runs it: the first page,
its count and the pending total. The big customer and ordinary ones (a
different one each time) are timed separately.

Four phases on the same data, side by side (``PHASES``): the search on the
indexes as migrated ("now"), the previous search on them, the previous
search on migration 0005's one index (the portal "before"), and the search
without any invoice index. Every ratio is measured in this run. Results
also go to ``bench/results/queries.json``.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, col, func, select

from bench.common import POSTGRES_URL, machine, postgres_schema, results_file
from customer_portal import db
from customer_portal.db import run_in_unit_of_work
from customer_portal.domain import invoice_search, listing
from customer_portal.domain.invoice_search import InvoiceFilters, parse_filters, search_invoices
from customer_portal.models import Invoice

INVOICES = int(os.environ.get("BENCH_QUERY_INVOICES", "1000000"))
CUSTOMERS = int(os.environ.get("BENCH_QUERY_CUSTOMERS", "10000"))
BIG = int(os.environ.get("BENCH_QUERY_BIG", "50000"))
#: Timed runs of each scenario and kind of customer: on the new indexes, on the others.
REPS = int(os.environ.get("BENCH_QUERY_REPS", "40"))
BASE_REPS = int(os.environ.get("BENCH_QUERY_BASE_REPS", "10"))
TARGET_MS = 20.0
RESULTS = results_file("queries.json")
BIG_ID = 1
#: The day "vencida" is measured against: the day after the newest invoice.
TODAY = date(2026, 11, 28)
FIRST_DAY = TODAY - timedelta(days=8 * 365)

#: What customers do on Mis facturas, as the page's URL query says it.
SCENARIOS: dict[str, dict[str, str]] = {
    "newest first (the landing page)": {},
    "page 5": {"pagina": "5"},
    "pending or partly paid": {"estado": "pendiente,parcial"},
    "overdue only": {"vencidas": "si"},
    "one year": {"desde": "2025-01-01", "hasta": "2025-12-31"},
    "by total, largest first": {"orden": "total"},
    "by pending, largest first": {"orden": "pendiente"},
    "by due date, soonest first": {"orden": "vencimiento", "dir": "asc"},
    "by status, owed first": {"orden": "estado", "dir": "asc"},
    "by number": {"orden": "numero", "dir": "asc"},
    "amount 100-500 €": {"min": "100", "max": "500"},
    "number search": {"numero": "0042"},
}

_INVOICE_COLUMNS = (
    "id",
    "number",
    "customer_id",
    "issue_date",
    "due_date",
    "currency",
    "subtotal_cents",
    "tax_cents",
    "total_cents",
    "paid_cents",
    "content_hash",
    "published_at",
    "verification_code",
)


_CUSTOMER_COLUMNS = ("id", "code", "name", "tax_id", "email", "created_at", "updated_at")


def _customer_rows() -> Iterator[tuple]:
    now = datetime.now(UTC)
    for i in range(1, CUSTOMERS + 1):
        yield (i, f"C{i:06d}", f"Cliente {i}", f"B{i:08d}", f"c{i}@bench.example", now, now)


def _invoice_rows() -> Iterator[tuple]:
    """Invoices in date order, the big customer's every ``INVOICES // BIG``-th.

    Older invoices are mostly paid, recent ones mostly not, as in real life;
    one customer in fifty is billed in dollars.
    """
    rng = random.Random(11)
    every = max(1, INVOICES // BIG)
    span = (TODAY - FIRST_DAY).days
    recent = TODAY - timedelta(days=90)
    ordinary = 0
    for i in range(INVOICES):
        if i % every == 0 and i // every < BIG:
            customer = BIG_ID
        else:
            customer = 2 + ordinary % (CUSTOMERS - 1)
            ordinary += 1
        issued = FIRST_DAY + timedelta(days=i * span // INVOICES)
        total = rng.randint(1_000, 500_000)
        luck = rng.random()
        if issued < recent:
            paid = total if luck < 0.95 else (total // 2 if luck < 0.98 else 0)
        else:
            paid = total if luck < 0.4 else (total // 3 if luck < 0.5 else 0)
        subtotal = total * 100 // 107
        yield (
            i + 1,
            f"F{issued.year}-{i:07d}",
            customer,
            issued,
            None if luck > 0.97 else issued + timedelta(days=30),
            "USD" if customer % 50 == 0 else "EUR",
            subtotal,
            total - subtotal,
            total,
            paid,
            f"{i:064x}",
            datetime.combine(issued, day_time(9), UTC),
            f"BENCH{i:015d}",  # unique, as /verificar needs; never asked for here
        )


def _tables() -> tuple[tuple[str, tuple[str, ...], Iterator[tuple]], ...]:
    """Each table to load, in order (customers first), with its columns and rows."""
    return (
        ("customer", _CUSTOMER_COLUMNS, _customer_rows()),
        ("invoice", _INVOICE_COLUMNS, _invoice_rows()),
    )


def _load_sqlite(engine: sa.Engine) -> None:
    """Every row in one transaction of executemany, as the raw driver writes them."""
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()
        for table, columns, rows in _tables():
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            cursor.executemany(sql, map(_sqlite_values, rows))


def _sqlite_values(row: tuple) -> tuple:
    """A row as SQLAlchemy stores it on SQLite: ISO dates, UTC timestamps as text."""
    return tuple(
        v.strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(v, datetime)
        else v.isoformat()
        if isinstance(v, date)
        else v
        for v in row
    )


def _load_postgres(engine: sa.Engine) -> None:
    """COPY, then VACUUM ANALYZE as autovacuum would after a load."""
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()
        for table, columns, rows in _tables():
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        for table in ("customer", "invoice"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE customer")
        conn.exec_driver_sql("VACUUM ANALYZE invoice")


@dataclass
class Timings:
    """Milliseconds of each run of one scenario, for one kind of customer, in one phase."""

    ms: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.ms, n=20, method="inclusive")[-1]


Search = Callable[..., object]


def _previous_search(
    *, session: Session, customer_id: int, filters: InvoiceFilters, today: date
) -> object:
    """``search_invoices`` as it was before 0006: grouped sums, whole rows sorted and skipped."""
    # Today's WHERE with the values bound in: the query shape before 0006 is the point.
    shape = invoice_search._shape(filters)
    values = invoice_search._parameters(customer_id, filters, today)
    # (Bound on each statement: SQLAlchemy 2.1 binds values only at statement level.)
    conditions = invoice_search._conditions(shape)
    sums = session.exec(
        select(Invoice.currency, func.count(), func.sum(invoice_search._PENDING))
        .where(*conditions)
        .group_by(col(Invoice.currency))
        .order_by(col(Invoice.currency))
        .params(values)
    ).all()
    return listing.fetch_page(
        session=session,
        statement=select(Invoice).where(*conditions).params(values),
        order_by=invoice_search._SORT_COLUMNS[filters.ordering.sort],
        tiebreak=col(Invoice.id),
        ordering=filters.ordering,
        count=sum(n for _, n, _ in sums),
    )


def _phase(
    engine: sa.Engine, searches: dict[str, Search], reps: int
) -> dict[str, dict[str, dict[str, Timings]]]:
    """Every scenario for the big customer and for ordinary ones, by search.

    Searches on the same indexes take turns, run by run, so the other work
    on the machine weighs on each of them alike.
    """
    rng = random.Random(5)
    found: dict[str, dict[str, dict[str, Timings]]] = {name: {} for name in searches}
    for scenario, query in SCENARIOS.items():
        filters = parse_filters(query)
        for kind in ("big", "ordinary"):
            timings = {name: Timings() for name in searches}
            for rep in range(reps + 2):  # the first two warm the cache
                customer_id = BIG_ID if kind == "big" else rng.randint(2, CUSTOMERS)
                answers = {}
                for name, search in searches.items():
                    start = time.perf_counter()
                    page = run_in_unit_of_work(
                        search, engine=engine, customer_id=customer_id, filters=filters, today=TODAY
                    )
                    if rep >= 2:
                        timings[name].ms.append((time.perf_counter() - start) * 1000)
                    answers[name] = (page.count, [row.number for row in page.rows])
                # Searches timed side by side must find the same page, or the ratio means nothing.
                if len({repr(answer) for answer in answers.values()}) > 1:
                    raise SystemExit(f"the searches disagree on {scenario} ({kind}): {answers}")
            for name in searches:
                found[name].setdefault(scenario, {})[kind] = timings[name]
    return found


#: The invoice index of migration 0005, rebuilt for the phase "before".
INDEX_0005 = "CREATE INDEX ix_invoice_customer_issue ON invoice (customer_id, issue_date)"
#: Each phase: the query, and the indexes it runs on ("0006": as migrated now).
PHASES: dict[str, tuple[Search, str]] = {
    "now": (search_invoices, "0006"),
    "previous query": (_previous_search, "0006"),
    "before": (_previous_search, "0005"),
    "no index": (search_invoices, "none"),
}
NOW, QUERY, BEFORE, NONE = PHASES


def _indexes(engine: sa.Engine, which: str) -> None:
    """Leave ``which`` indexes on invoice: the migrated ones ("0006"), 0005's one, or "none"."""
    wanted = {
        "0006": {index.name for index in Invoice.__table__.indexes},
        "0005": {"ix_invoice_customer_issue"},
        "none": set(),
    }[which]
    with engine.begin() as conn:
        present = {
            index["name"]
            for index in sa.inspect(conn).get_indexes("invoice")
            if index["name"].startswith("ix_invoice_")
        }
        for name in sorted(present - wanted):
            conn.exec_driver_sql(f"DROP INDEX {name}")
        if wanted - present:
            conn.exec_driver_sql(INDEX_0005)  # the phases only ever go back to 0005
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE invoice")


def _run(engine: sa.Engine, console: Console, label: str) -> dict:
    """The phases on the same data, dropping indexes between them."""
    phases: dict = {}
    for indexes in ("0006", "0005", "none"):
        searches = {p: search for p, (search, i) in PHASES.items() if i == indexes}
        _indexes(engine, indexes)
        console.print(f"  {label}: timing {', '.join(searches)}…")
        phases |= _phase(engine, searches, REPS if indexes == "0006" else BASE_REPS)
    return phases


def _build(
    url: str, load: Callable[[sa.Engine], None], console: Console, label: str
) -> tuple[sa.Engine, float]:
    """A migrated database at ``url`` holding the bench's data; how long loading took."""
    engine = db.create_db_engine(url)
    db.migrate(engine)
    start = time.perf_counter()
    # As any bulk load: rows first, then each index built in one sorted pass,
    # instead of a million random insertions into every index.
    _indexes(engine, "none")
    load(engine)
    with engine.begin() as conn:
        for index in Invoice.__table__.indexes:
            index.create(conn)
    seconds = time.perf_counter() - start
    console.print(f"  {label}: {INVOICES:,} invoices loaded in {seconds:.1f} s")
    return engine, seconds


def _table(label: str, phases: dict) -> Table:
    table = Table(title=f"{label}: page + count + pending total, ms (p50 / p95)")
    table.add_column("scenario")
    table.add_column("customer")
    for phase in PHASES:
        table.add_column(phase, justify="right")
    # Ratios of medians: a p95 of a shared machine says as much about the others' work.
    table.add_column(f"{BEFORE} ÷ {NOW} (p50)", justify="right")
    table.add_column(f"{NONE} ÷ {NOW} (p50)", justify="right")
    for name in SCENARIOS:
        for kind in ("big", "ordinary"):
            now, *others = (phases[p][name][kind] for p in PHASES)
            shown = f"[red]{now.p95:.1f}[/red]" if now.p95 >= TARGET_MS else f"{now.p95:.1f}"
            table.add_row(
                name if kind == "big" else "",
                f"{BIG:,}" if kind == "big" else "ordinary",
                f"{now.p50:.1f} / {shown}",
                *(f"{t.p50:.1f} / {t.p95:.1f}" for t in others),
                f"{phases[BEFORE][name][kind].p50 / now.p50:.1f}x",
                f"{phases[NONE][name][kind].p50 / now.p50:.0f}x",
            )
    return table


def _summary(phases: dict) -> dict:
    return {
        phase: {
            name: {
                kind: {"p50_ms": round(t.p50, 2), "p95_ms": round(t.p95, 2), "runs": len(t.ms)}
                for kind, t in kinds.items()
            }
            for name, kinds in scenarios.items()
        }
        for phase, scenarios in phases.items()
    }


def _worst(phases: dict, phase: str) -> float:
    return max(t.p95 for kinds in phases[phase].values() for t in kinds.values())


def main() -> None:
    console = Console(width=150)
    ordinary = (INVOICES - BIG) // max(1, CUSTOMERS - 1)
    console.print(
        f"{INVOICES:,} invoices, {CUSTOMERS:,} customers: one with {BIG:,}, "
        f"the others about {ordinary} each…"
    )
    results: dict[str, dict] = {}
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        engine, seconds = _build(
            f"sqlite:///{Path(tmp) / 'queries.db'}", _load_sqlite, console, "SQLite"
        )
        try:
            results["SQLite"] = {
                "build_seconds": seconds,
                "phases": _run(engine, console, "SQLite"),
            }
        finally:
            engine.dispose()
    schema = postgres_schema()
    if schema is None:
        raise SystemExit(f"PostgreSQL does not answer at {POSTGRES_URL}")
    url, drop = schema
    try:
        engine, seconds = _build(url, _load_postgres, console, "PostgreSQL")
        try:
            results["PostgreSQL"] = {
                "build_seconds": seconds,
                "phases": _run(engine, console, "PostgreSQL"),
            }
        finally:
            engine.dispose()
    finally:
        drop()

    for label, result in results.items():
        console.print(_table(label, result["phases"]))
        worst = {p: _worst(result["phases"], p) for p in PHASES}
        console.print(
            f"{label}: data built in {result['build_seconds']:.1f} s; worst p95 "
            + ", ".join(f"{p} {ms:.1f} ms" for p, ms in worst.items())
            + f" (target {TARGET_MS:.0f} ms)"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": {
                    **machine(),
                    "load_average_1min": {"start": load_start, "end": os.getloadavg()[0]},
                },
                "invoices": INVOICES,
                "customers": CUSTOMERS,
                "big_customer_invoices": BIG,
                "runs": {NOW: REPS, "others": BASE_REPS},
                "phases": {p: {"query": f.__name__, "indexes": i} for p, (f, i) in PHASES.items()},
                "target_p95_ms": TARGET_MS,
                "scenarios": SCENARIOS,
                "databases": {
                    label: {
                        "build_seconds": round(r["build_seconds"], 1),
                        "worst_p95_ms": {p: round(_worst(r["phases"], p), 2) for p in PHASES},
                        "phases": _summary(r["phases"]),
                    }
                    for label, r in results.items()
                },
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
