"""The portal's background mail worker and the mail commands of the CLI."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from customer_portal.db import run_in_unit_of_work, unit_of_work
from customer_portal.domain import auth
from customer_portal.domain.tokens import TokenPurpose
from customer_portal.mail.outbox import describe_row
from customer_portal.mail.worker import deliver_once, describe_pending, run_mail_worker
from customer_portal.models import OutboxEmail
from customer_portal.settings import load_settings
from tests.factories import reset_process_caches
from tests.mail.test_delivery import queue
from tests.mail.test_notices import queue_alta

CLI = str(Path(sys.executable).with_name("customer-portal"))


async def _until(predicate, timeout: float) -> bool:
    for _ in range(int(timeout * 10)):
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_worker_delivers_within_seconds_and_survives_errors(
    engine, smtp_server, smtp_settings
):
    settings = smtp_settings(PORTAL_MAIL_POLL_SECONDS="1")
    task = asyncio.create_task(run_mail_worker(engine=engine, settings=settings))
    try:
        queue(engine, 1)
        assert await _until(lambda: len(smtp_server.received) == 1, timeout=10)
        queue(engine, 1, to="otra@example.com")
        assert await _until(lambda: len(smtp_server.received) == 2, timeout=10)
        assert not task.done()
    finally:
        task.cancel()


async def test_without_smtp_the_worker_prints_each_email_once(engine, portal_env, capsys):
    settings = load_settings({**portal_env, "PORTAL_MAIL_POLL_SECONDS": "1"})
    queue(engine, 2)
    task = asyncio.create_task(run_mail_worker(engine=engine, settings=settings))
    await asyncio.sleep(2.5)  # at least two polls
    queue(engine, 1, to="tercera@example.com")
    await asyncio.sleep(1.5)
    task.cancel()
    printed = capsys.readouterr().out
    for n in (1, 2, 3):
        assert printed.count(f"Email #{n} [") == 1
    assert "to tercera@example.com: Nueva Factura disponible" in printed
    assert "https://facturas.example.com/factura?numero=F-0" in printed


def cli(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=os.environ.copy())


def test_outbox_lists_and_deliver_mail_sends(engine, smtp_server, monkeypatch):
    queue(engine, 2)
    listed = cli("outbox")
    assert listed.returncode == 0
    assert listed.stdout.count("Nueva Factura disponible") == 2 and "pending" in listed.stdout

    refused = cli("deliver-mail")
    assert refused.returncode == 2 and "PORTAL_SMTP_HOST" in refused.stderr

    monkeypatch.setenv("PORTAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTAL_SMTP_PORT", str(smtp_server.port))
    sent = cli("deliver-mail")
    assert sent.returncode == 0 and "2 sent" in sent.stdout
    assert len(smtp_server.received) == 2
    assert "No unsent emails." in cli("outbox").stdout
    assert cli("outbox", "--all").stdout.count("[sent, 1 tries]") == 2


def test_deliver_mail_watch_keeps_delivering_until_stopped(engine, smtp_server, monkeypatch):
    monkeypatch.setenv("PORTAL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTAL_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("PORTAL_MAIL_POLL_SECONDS", "1")
    watcher = subprocess.Popen(
        [CLI, "deliver-mail", "--watch"], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        queue(engine, 1)
        deadline = time.monotonic() + 20
        while len(smtp_server.received) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        queue(engine, 1, to="otra@example.com")  # queued after it started: still sent
        while len(smtp_server.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [m.rcpt_tos for m in smtp_server.received][-1] == ["otra@example.com"]
        assert watcher.poll() is None
    finally:
        watcher.send_signal(signal.SIGTERM)  # what systemd's stop sends
        out, _ = watcher.communicate(timeout=20)
    assert watcher.returncode == 0 and out.rstrip().endswith("Stopped.")
    assert len(smtp_server.received) == 2


def test_web_workers_leave_mail_to_deliverers_when_told(portal_env, monkeypatch):
    from customer_portal.customer_portal import mail_worker

    monkeypatch.setenv("PORTAL_MAIL_IN_WEB", "false")
    reset_process_caches()
    # Returns at once instead of looping for ever.
    asyncio.run(asyncio.wait_for(mail_worker(), timeout=5))


def test_the_console_shows_activation_links_only_when_asked(engine, smtp_settings):
    settings = smtp_settings()
    email_id, account_id = queue_alta(engine, settings)

    ((_, plain),) = run_in_unit_of_work(describe_pending, engine=engine, settings=settings)
    assert "/credenciales/" not in plain
    assert "(activation link: made when the email is sent, never stored)" in plain

    ((_, live),) = run_in_unit_of_work(
        describe_pending, engine=engine, settings=settings, live_links=True
    )
    (link,) = re.findall(r"https://facturas\.example\.com/credenciales/\S+", live)
    token = link.rsplit("/", 1)[1]
    preview = run_in_unit_of_work(
        auth.preview_link,
        engine=engine,
        settings=settings,
        purpose=TokenPurpose.ACTIVATION,
        token=token,
    )
    assert preview.ok and preview.account_id == account_id
    with unit_of_work(engine) as session:
        assert token not in session.get(OutboxEmail, email_id).context  # shown, not stored


def test_a_sent_email_never_shows_a_live_link(engine, smtp_server, smtp_settings):
    settings = smtp_settings()
    email_id, _ = queue_alta(engine, settings)
    deliver_once(engine=engine, settings=settings)
    with unit_of_work(engine) as session:
        row = session.get(OutboxEmail, email_id)
        shown = describe_row(session=session, row=row, settings=settings, live_link=True)
    assert shown.startswith(f"Email #{email_id} [sent, 1 tries] to ana@example.com: Alta en")
    assert "/credenciales/" not in shown


async def test_the_worker_prints_live_links_only_when_started_with_them(engine, portal_env, capsys):
    settings = load_settings({**portal_env, "PORTAL_MAIL_POLL_SECONDS": "1"})
    email_id, _ = queue_alta(engine, settings)
    for live_links, links_shown in ((False, 0), (True, 1)):
        task = asyncio.create_task(
            run_mail_worker(engine=engine, settings=settings, live_links=live_links)
        )
        printed = ""
        for _ in range(100):
            await asyncio.sleep(0.1)
            printed += capsys.readouterr().out
            if f"Email #{email_id} [" in printed:
                break
        task.cancel()
        assert printed.count(f"Email #{email_id} [pending") == 1
        assert printed.count("/credenciales/") == links_shown
