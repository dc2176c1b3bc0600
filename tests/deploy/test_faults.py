"""Faults a deployment survives, each caused for real, with the commands an operator runs.

A publisher killed mid-batch (SQLite and PostgreSQL); the disk under an
embedded SQLite database filling up mid-batch.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from customer_portal.mail.notices import INVOICE_NOTICE
from tests.factories import customer_input, invoice_input, line_input

CLI = str(Path(sys.executable).with_name("customer-portal"))
CUSTOMERS = 20
PER_CUSTOMER = 50


def _count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def _whole_invoices(engine: sa.Engine, prefix: str = "K", lines: int = 2) -> set[str]:
    """The stored invoices' numbers, after checking each is whole and nothing else is there."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT i.number,"
                " (SELECT count(*) FROM invoice_line l WHERE l.invoice_id = i.id),"
                " (SELECT count(*) FROM signed_document d WHERE d.invoice_id = i.id)"
                " FROM invoice i WHERE i.number LIKE :prefix"
            ),
            {"prefix": f"{prefix}%"},
        ).all()
        keys = conn.execute(
            sa.text("SELECT dedupe_key FROM outbox_email WHERE dedupe_key LIKE :key"),
            {"key": INVOICE_NOTICE.format(number=prefix, account="").rstrip(":") + "%"},
        ).scalars()
        # "invoice-notice:<number>:<person>": one person (the customer's email) each here.
        notices = sorted(key.rsplit(":", 1)[0] for key in keys)
    numbers = {number for number, _, _ in rows}
    # Its lines and one signed PDF each; one notice each, and none for an invoice not stored.
    assert all((found, documents) == (lines, 1) for _, found, documents in rows), rows[:5]
    assert notices == sorted(f"invoice-notice:{number}" for number in numbers)
    return numbers


def test_a_publisher_killed_mid_batch_leaves_whole_invoices_and_a_rerun_completes(
    engine, smtp_server, tmp_path, monkeypatch
):
    customers = [
        customer_input(code=f"K-{c:02d}", email=f"k{c:02d}@example.com") for c in range(CUSTOMERS)
    ]
    lines = [line_input(), line_input(description="Mantenimiento", unit_price="12.50")]
    batch = [
        invoice_input(f"K{c:02d}-{i:03d}", customer=customers[c], lines=lines)
        for c in range(CUSTOMERS)
        for i in range(PER_CUSTOMER)
    ]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch))
    command = [CLI, "publish", str(path), "--workers", "2"]

    publisher = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while _count(engine, "SELECT count(*) FROM invoice") < 200:
        assert publisher.poll() is None, publisher.stderr.read().decode()
        assert time.monotonic() < deadline, "the publisher stored nothing in two minutes"
        time.sleep(0.02)
    # The whole group: the command and its signing workers, mid-invoice, no goodbye.
    os.killpg(publisher.pid, signal.SIGKILL)
    publisher.wait()
    publisher.stderr.close()

    stored = _whole_invoices(engine)
    assert 200 <= len(stored) < len(batch)
    check = subprocess.run([CLI, "verify-store"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout

    rerun = subprocess.run(command, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    left = len(batch) - len(stored)
    assert f"{len(batch)} invoices: " in rerun.stdout
    assert f"{left} published" in rerun.stdout and f"{len(stored)} unchanged" in rerun.stdout
    assert _whole_invoices(engine) == {item["number"] for item in batch}

    # Each invoice is in exactly one email: the killed run's notices wait out
    # their hold (15 s) and go out then; the rerun queued none of them again.
    monkeypatch.setenv("PORTAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTAL_SMTP_PORT", str(smtp_server.port))
    unsent = "SELECT count(*) FROM outbox_email WHERE sent_at IS NULL"
    deadline = time.monotonic() + 60
    while _count(engine, unsent) and time.monotonic() < deadline:
        subprocess.run([CLI, "deliver-mail"], capture_output=True, text=True)
        time.sleep(1)
    assert _count(engine, unsent) == 0
    mentioned = [
        re.findall(r"Factura (K\d\d-\d\d\d) del", m.message.get_body(("plain",)).get_content())
        for m in smtp_server.received
    ]
    assert sorted(n for found in mentioned for n in found) == sorted(i["number"] for i in batch)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_full_disk_stops_an_embedded_batch_with_a_clear_message_and_nothing_half_written(
    engine, database_url, tmp_path
):
    batch = [
        invoice_input(
            f"D-{i:04d}", customer=customer_input(code=f"D{i % 5}", email=f"d{i % 5}@example.com")
        )
        for i in range(300)
    ]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch))
    database = Path(database_url.removeprefix("sqlite:///"))
    files = [database, database.with_name(database.name + "-wal")]
    # The disk holds about a dozen more signed invoices: no file of the
    # publisher may grow past that (RLIMIT_FSIZE; writes beyond fail as on a
    # full disk, instead of the signal that would kill the process).
    limit = max(f.stat().st_size for f in files if f.exists()) + 600_000

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    full = subprocess.run(
        [CLI, "publish", str(path), "--workers", "1"],
        capture_output=True,
        text=True,
        preexec_fn=small_disk,
    )
    assert full.returncode == 2
    assert "Error: the database failed mid-batch" in full.stderr
    assert "is its disk full" in full.stderr and "Traceback" not in full.stderr
    done = int(re.search(r"(\d+) of 300 invoices were done", full.stderr)[1])
    assert 0 < done < 300
    stored = _whole_invoices(engine, prefix="D", lines=1)
    assert len(stored) == done

    # Room again: the same command completes, the invoices done before unchanged.
    rerun = subprocess.run(
        [CLI, "publish", str(path), "--workers", "1"], capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{300 - done} published" in rerun.stdout and f"{done} unchanged" in rerun.stdout
    assert len(_whole_invoices(engine, prefix="D", lines=1)) == 300
    assert subprocess.run([CLI, "verify-store"], capture_output=True).returncode == 0
