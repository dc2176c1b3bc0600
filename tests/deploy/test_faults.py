"""Faults a deployment survives, each caused for real: here, a publisher killed mid-batch.

Run on SQLite and on PostgreSQL, with the same command an operator runs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from customer_portal.mail.notices import INVOICE_NOTICE
from tests.factories import customer_input, invoice_input, line_input

CLI = str(Path(sys.executable).with_name("customer-portal"))
CUSTOMERS = 20
PER_CUSTOMER = 50


def _count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def _whole_invoices(engine: sa.Engine) -> set[str]:
    """The stored invoices' numbers, after checking each is whole and nothing else is there."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT i.number,"
                " (SELECT count(*) FROM invoice_line l WHERE l.invoice_id = i.id),"
                " (SELECT count(*) FROM signed_document d WHERE d.invoice_id = i.id)"
                " FROM invoice i WHERE i.number LIKE 'K%'"
            )
        ).all()
        notices = conn.execute(
            sa.text("SELECT dedupe_key FROM outbox_email WHERE dedupe_key LIKE 'invoice-notice:K%'")
        ).scalars()
        notices = sorted(notices)
    numbers = {number for number, _, _ in rows}
    # Two lines and one signed PDF each; one notice each, and none for an invoice not stored.
    assert all((lines, documents) == (2, 1) for _, lines, documents in rows), rows[:5]
    assert notices == sorted(INVOICE_NOTICE.format(number=number) for number in numbers)
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
