"""The operator's CLI, run as a real process against a real database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlmodel import func, select

from customer_portal.db import unit_of_work
from customer_portal.models import Invoice, InvoiceLine, SignedDocument
from tests.factories import invoice_input, line_input, payment_input

CLI = str(Path(sys.executable).with_name("customer-portal"))


def cli(*args: str, check_code: int | None = None) -> subprocess.CompletedProcess:
    run = subprocess.run([CLI, *args], capture_output=True, text=True, env=os.environ.copy())
    assert "Traceback" not in run.stderr, run.stderr
    if check_code is not None:
        assert run.returncode == check_code, run.stdout + run.stderr
    return run


def write_json(path: Path, payload) -> str:
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_publish_reports_each_rejection_and_exits_1(engine, tmp_path):
    batch = write_json(
        tmp_path / "batch.json",
        {
            "invoices": [
                invoice_input("F-1"),
                invoice_input("F-2", lines=[line_input(unit_price="-3")]),
                invoice_input("F-3"),
            ]
        },
    )
    run = cli("publish", batch, check_code=1)
    assert "3 invoices: 2 published, 1 rejected" in run.stdout
    assert "F-2" in run.stdout and "lines[0].unit_price: must not be negative" in run.stdout

    again = write_json(tmp_path / "again.json", [invoice_input("F-1"), invoice_input("F-3")])
    assert "2 invoices: 2 unchanged" in cli("publish", again, check_code=0).stdout


def test_publish_renders_and_signs_in_worker_processes(engine, tmp_path):
    batch = write_json(tmp_path / "big.json", [invoice_input(f"P-{i}") for i in range(40)])
    run = cli("publish", "--workers", "2", batch, check_code=0)
    assert "40 invoices: 40 published" in run.stdout
    with unit_of_work(engine) as session:
        assert session.exec(select(func.count()).select_from(SignedDocument)).one() == 40
    assert "Invalid value for '--workers'" in cli("publish", "--workers", "-1", batch).stderr


def test_publish_csv(engine, tmp_path):
    csv_file = tmp_path / "batch.csv"
    csv_file.write_text(
        "number,issue_date,customer_code,customer_name,customer_tax_id,customer_email,"
        "description,quantity,unit_price,tax_name,tax_rate\n"
        "C-1,2019-04-30,K1,Ana Pérez,12345678Z,ana@example.com,Fibra,1,39.90,IGIC,7\n"
        "C-1,2019-04-30,K1,Ana Pérez,12345678Z,ana@example.com,Móvil,2,15.00,IGIC,7\n",
        encoding="utf-8",
    )
    assert "1 invoices: 1 published" in cli("publish", str(csv_file), check_code=0).stdout
    with unit_of_work(engine) as session:
        assert session.exec(select(Invoice.total_cents)).one() == 7479  # 69.90 + 7 %


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{oops", "malformed JSON at line 1"),
        ("", "malformed JSON"),
        ("42", "expected a list of invoices"),
    ],
)
def test_unreadable_batches_exit_2_with_a_message(engine, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    run = cli("publish", str(path), check_code=2)
    assert message in run.stderr


def test_missing_file_exits_2(engine, tmp_path):
    assert "cannot read" in cli("publish", str(tmp_path / "nope.json"), check_code=2).stderr


def test_pdf_writes_the_stored_bytes_and_verify_checks_them(engine, tmp_path):
    cli("publish", write_json(tmp_path / "b.json", [invoice_input("F-2019/7")]), check_code=0)
    out = tmp_path / "factura.pdf"
    cli("pdf", "F-2019/7", "--output", str(out), check_code=0)
    with unit_of_work(engine) as session:
        assert out.read_bytes() == session.exec(select(SignedDocument.pdf)).one()

    verified = cli("verify", str(out), check_code=0).stdout
    assert verified.startswith("VALID") and "Link Soluciones" in verified
    data = bytearray(out.read_bytes())
    data[len(data) // 4] ^= 1
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    assert cli("verify", str(tampered), check_code=1).stdout.startswith("NOT VALID")

    assert "no published invoice" in cli("pdf", "F-404", "-o", str(out), check_code=2).stderr


def test_payments(engine, tmp_path):
    cli("publish", write_json(tmp_path / "b.json", [invoice_input("F-1")]), check_code=0)
    ok = write_json(tmp_path / "p.json", {"payments": [payment_input("F-1", "10", "R-1")]})
    assert "1 payments: 1 recorded" in cli("payment", ok, check_code=0).stdout
    bad = write_json(
        tmp_path / "p2.json",
        [payment_input("F-1", "1000", "R-2"), payment_input("F-9", "1", "R-3")],
    )
    run = cli("payment", bad, check_code=1)
    assert "is more than the 32.69 pending" in run.stdout
    assert "no published invoice has the number 'F-9'" in run.stdout


def test_bad_settings_stop_the_cli_with_the_variable_named(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_PORT", "abc")
    run = cli("publish", write_json(tmp_path / "b.json", []), check_code=2)
    assert "PORTAL_PORT: input should be a valid integer" in run.stderr


def test_init_creates_the_dev_secrets_once(portal_env, monkeypatch):
    instance = Path(portal_env["PORTAL_INSTANCE_DIR"])
    monkeypatch.delenv("PORTAL_SECRET_KEY")
    monkeypatch.delenv("PORTAL_API_KEY")
    before = cli("verify-store", check_code=2).stderr
    assert "PORTAL_SECRET_KEY" in before and "customer-portal init" in before
    assert not instance.exists()  # reading the settings wrote nothing

    first = cli("init", check_code=0).stdout
    assert f"Created {instance / 'secret_key'}" in first
    kept = {name: (instance / name).read_text() for name in ("secret_key", "api_key")}
    for name, secret in kept.items():
        assert len(secret.strip()) >= 32
        assert (instance / name).stat().st_mode & 0o777 == 0o600
    assert kept["secret_key"] != kept["api_key"]

    again = cli("init", check_code=0).stdout  # idempotent: the secrets stay
    assert "Created" not in again
    assert {name: (instance / name).read_text() for name in kept} == kept
    cli("verify-store", check_code=0)


def test_init_leaves_secrets_given_in_the_environment_alone(portal_env):
    cli("init", check_code=0)
    instance = Path(portal_env["PORTAL_INSTANCE_DIR"])
    assert not (instance / "secret_key").exists() and not (instance / "api_key").exists()


def test_settings_prints_every_variable_with_secrets_masked(portal_env, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one row a line, as a terminal this wide would
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql://portal:db-pass-123@db/portal")
    monkeypatch.setenv("PORTAL_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("PORTAL_SMTP_PASSWORD", "smtp-pass-123")
    monkeypatch.setenv("PORTAL_COMPANY_NAME", "Acme [bold]S.L.[/bold]")
    shown = cli("settings", check_code=0).stdout
    for secret in (
        portal_env["PORTAL_SECRET_KEY"],
        portal_env["PORTAL_API_KEY"],
        portal_env["PORTAL_SIGNING_P12_PASSWORD"],
        "db-pass-123",
        "smtp-pass-123",
    ):
        assert secret not in shown
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in shown.splitlines()
        if line.count("│") == 4
    }
    assert rows["PORTAL_SECRET_KEY"] == rows["PORTAL_SMTP_PASSWORD"] == "********"
    assert rows["PORTAL_DATABASE_URL"] == "postgresql+psycopg://portal:********@db/portal"
    assert rows["PORTAL_SMTP_HOST"] == "smtp.example.com"
    assert rows["PORTAL_COMPANY_NAME"] == "Acme [bold]S.L.[/bold]"  # shown, not rendered
    assert rows["PORTAL_INSTANCE_DIR"] == portal_env["PORTAL_INSTANCE_DIR"]
    assert rows["PORTAL_TSA_URL"] == "(not set)" and len(rows) == 44


def _processes_with(variable: str) -> list[int]:
    """The processes started with ``variable`` (``NAME=value``) in their environment."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if variable.encode() in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_a_killed_batch_leaves_whole_invoices_only(engine, tmp_path):
    """SIGKILL in the middle of a batch: every stored invoice is complete, then resumable."""
    # Big enough that even a fast machine is still publishing when the kill comes
    # (60 invoices once all landed before a poll saw five).
    total = 400
    invoices = [invoice_input(f"K-{i:04d}", lines=[line_input()] * 5) for i in range(total)]
    batch = write_json(tmp_path / "big.json", invoices)
    mark = f"PORTAL_TEST_RUN={uuid.uuid4().hex}"
    process = subprocess.Popen(
        [CLI, "publish", "--workers", "2", batch],
        env={**os.environ, "PORTAL_TEST_RUN": mark.split("=")[1]},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stored() -> int:
        with unit_of_work(engine) as session:
            return session.exec(select(func.count()).select_from(Invoice)).one()

    deadline = time.monotonic() + 120
    while stored() < 5 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the batch ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = stored()
    assert 5 <= done < total
    # Its worker processes (and their fork server) end with it.
    deadline = time.monotonic() + 20
    while _processes_with(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_with(mark) == []

    with unit_of_work(engine) as session:
        for invoice in session.exec(select(Invoice)).all():
            lines = session.exec(
                select(func.count()).where(InvoiceLine.invoice_id == invoice.id)
            ).one()
            docs = session.exec(
                select(func.count()).where(SignedDocument.invoice_id == invoice.id)
            ).one()
            assert (lines, docs) == (5, 1), invoice.number

    run = cli("publish", batch, check_code=0)
    assert f"{total} invoices: {done} unchanged, {total - done} published" in run.stdout


def test_verify_store_exits_0_on_an_intact_store(engine, publisher):
    empty = cli("verify-store", check_code=0).stdout
    assert "0 signed PDFs checked: 0 intact, 0 tampered" in empty
    for number in ("F-1", "F-2", "F-3"):
        publisher.publish(invoice_input(number))
    run = cli("verify-store", check_code=0)
    assert "3 signed PDFs checked: 3 intact, 0 tampered" in run.stdout
    assert "TAMPERED" not in run.stdout


def test_verify_store_exits_2_when_the_database_is_unreachable(portal_env, monkeypatch):
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/test")
    assert "cannot reach the database" in cli("verify-store", check_code=2).stderr


def test_migrate_says_what_it_did(portal_env):
    from customer_portal.db import head_revision

    first = cli("migrate", check_code=0).stdout
    assert f"upgraded from nothing to {head_revision()}" in first
    assert f"up to date ({head_revision()})" in cli("migrate", check_code=0).stdout
