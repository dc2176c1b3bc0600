"""The production mode of README "Despliegue", run for real and broken on purpose.

Two web workers (``customer-portal serve``) on PostgreSQL, with Reflex's
state in Redis, behind nginx with TLS (the shipped template): a customer in
Chromium signs in, filters, opens an invoice and downloads it while the
workers are killed under them one after the other.
"""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from customer_portal.state.server_problem import RETRYING
from tests.deploy.production import Production
from tests.e2e.helpers import signed_in
from tests.factories import customer_input, invoice_input
from tests.postgres_server import PostgresServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def postgres():
    """The deployment's PostgreSQL: a server of its own, so that a test can restart it."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def production(tmp_path_factory, pki, mail_server, postgres):
    running = Production(
        folder=tmp_path_factory.mktemp("production"),
        pki=pki,
        smtp_port=mail_server.port,
        postgres_url=postgres.url,
    )
    try:
        yield running.start(workers=2)
    finally:
        running.stop()


def summary(page):
    return page.locator("#resumen")


def kill_under(page, production, worker) -> None:
    """SIGKILL ``worker``; return once the page is live on a worker again.

    nginx logs the page's websocket when the killed worker drops it; the page
    then opens another, through nginx, to the worker left, and hydrates again
    (a new tab token: Reflex takes the dead worker's claim on the old one for
    a second tab). A change pressed in the very instant a worker dies can be
    lost with it (Reflex does not send it again), so the customer here acts
    once the page is live again, as a person would.
    """
    live: list[bool] = []

    def watch(socket) -> None:
        socket.on(
            "framereceived",
            lambda frame: (
                live.append(True) if '"is_hydrated_rx_state_":true' in str(frame) else None
            ),
        )

    page.on("websocket", watch)
    before = production.served("/_event")[worker.name]
    production.kill_worker(worker)
    deadline = time.monotonic() + 3
    while production.served("/_event")[worker.name] == before and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # lets Playwright deliver the page's events meanwhile
    if production.served("/_event")[worker.name] > before:
        deadline = time.monotonic() + 30
        while not live and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert live, "the page did not come back after its worker was killed"
    page.remove_listener("websocket", watch)


def test_a_customer_carries_on_while_each_worker_is_killed(production, browser, tmp_path):
    page = signed_in(browser, production, ignore_https_errors=True)
    expect(summary(page)).to_contain_text("12 facturas")
    first, second = production.workers

    # Each worker in turn dies without a word (SIGKILL) while the customer is
    # signed in; whichever held their websocket, the next change reaches the
    # other worker, which finds the tab's state in Redis and the session in
    # PostgreSQL: no new sign-in, the list the change asked for.
    kill_under(page, production, first)
    page.locator("#estado_pendiente").check()
    expect(summary(page)).to_contain_text("2 facturas", timeout=30_000)
    production.start_worker(first)  # what systemd's Restart= does

    kill_under(page, production, second)
    page.locator("#estado_pendiente").uncheck()
    expect(summary(page)).to_contain_text("12 facturas", timeout=30_000)
    assert "/entrar" not in page.url

    page.get_by_role("link", name="F2026-1010").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Factura F2026-1010")
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar PDF").click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    stored = tmp_path / "stored.pdf"
    production.cli("pdf", "F2026-1010", "--output", str(stored))
    assert saved.read_bytes() == stored.read_bytes()
    pdfsig = subprocess.run(["pdfsig", str(saved)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in pdfsig
    production.start_worker(second)

    # nginx logs a websocket when it closes, with the worker it went to: the
    # customer's events were answered by both workers.
    page.context.close()
    deadline = time.monotonic() + 10
    while len(production.served("/_event")) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert set(production.served("/_event")) == {first.name, second.name}
    # Pages and links, too, come from both; and nginx never had to answer an
    # error, though a worker was down twice.
    assert set(production.served("/")) >= {first.name, second.name}
    assert production.failures() == []


#: Reflex's default ``app.state_manager.lock_expiration`` (ms 10000), which the portal keeps.
REFLEX_LOCK_EXPIRATION_SECONDS = 10


def test_database_connections_dropped_and_redis_restarted_while_a_customer_browses(
    production, browser
):
    page = signed_in(browser, production, ignore_https_errors=True)
    expect(summary(page)).to_contain_text("12 facturas")

    # Every PostgreSQL connection of the portal ends, as in a server restart: the
    # pools notice before using one (pre-ping), and the customer sees nothing.
    assert production.drop_database_connections() > 0
    page.locator("#estado_pendiente").check()
    expect(summary(page)).to_contain_text("2 facturas")

    # Redis restarts empty: the tabs' state is gone, the sessions (PostgreSQL)
    # are not. The next change either applies, or finds no state to apply to
    # and Reflex starts the tab again from its address (the list and filters
    # it showed): either way the page agrees with itself, still signed in.
    production.stop_redis()
    production.start_redis()
    pending = page.locator("#estado_pendiente")
    pending.click()  # untick «Pendiente»
    deadline = time.monotonic() + 30
    while True:
        ticked, said = pending.is_checked(), summary(page).inner_text()
        if said.startswith("2 facturas" if ticked else "12 facturas"):
            break
        assert time.monotonic() < deadline, f"ticked={ticked} but the list says {said!r}"
        page.wait_for_timeout(100)
    assert "/entrar" not in page.url
    if ticked:  # started again from its address: the customer unticks it again
        pending.uncheck()
    expect(summary(page)).to_contain_text("12 facturas")
    page.get_by_role("link", name="F2026-1010").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Factura F2026-1010")
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "Error" not in text
    assert production.failures() == []
    # A state lock a worker held when Redis went is gone with it; Reflex's lease
    # breaker notices when the lock would have expired (lock_expiration, 10 s)
    # and logs a LockExpiredError with its stack. Let that land here, not in
    # the next test, whose log check it would fail.
    time.sleep(REFLEX_LOCK_EXPIRATION_SECONDS + 1)


def test_postgres_restarted_while_a_customer_browses_and_a_batch_publishes(
    production, postgres, browser, tmp_path
):
    page = signed_in(browser, production, ignore_https_errors=True)
    expect(summary(page)).to_contain_text("12 facturas")
    customer = customer_input(code="OUTAGE", email="corte@example.com", tax_id="12345678Z")
    batch = [invoice_input(f"C-{i:04d}", customer=customer) for i in range(150)]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch))
    publisher = production.spawn("publish", str(path), "--workers", "1", log="publish-outage.log")
    engine = sa.create_engine(production.env["PORTAL_DATABASE_URL"], pool_pre_ping=True)

    def stored() -> int:
        with engine.connect() as conn:
            query = "SELECT count(*) FROM invoice WHERE number LIKE 'C-%'"
            return conn.execute(sa.text(query)).scalar_one()

    deadline = time.monotonic() + 120
    while stored() < 10:
        assert time.monotonic() < deadline and publisher.poll() is None
        time.sleep(0.2)

    # PostgreSQL stops (every connection ends) and comes back 4 s later. Meanwhile
    # the customer ticks «Pendiente»: the page says it is retrying, in Spanish,
    # and once the database answers the change applies by itself.
    engine.dispose()
    postgres.stop()
    down_at = time.monotonic()
    page.locator("#estado_pendiente").check()
    banner = page.locator("#problema-servidor")
    expect(banner).to_have_text(RETRYING, timeout=10_000)
    time.sleep(max(0.0, 4 - (time.monotonic() - down_at)))
    postgres.start()
    expect(summary(page)).to_contain_text("2 facturas", timeout=30_000)
    expect(banner).to_have_count(0)
    assert "/entrar" not in page.url
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "Error" not in text

    # The batch waited for the database and finished: every invoice once, with its PDF.
    assert publisher.wait(timeout=300) == 0, (production.folder / "publish-outage.log").read_text()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT i.number, count(d.id) FROM invoice i "
                "LEFT JOIN signed_document d ON d.invoice_id = i.id "
                "WHERE i.number LIKE 'C-%' GROUP BY i.number"
            )
        ).all()
    engine.dispose()
    assert dict(rows) == {item["number"]: 1 for item in batch}
    assert "database unreachable" in (production.folder / "publish-outage.log").read_text()
    # The workers logged the outage as such, without a stack per event.
    logs = "".join(worker.log.read_text() for worker in production.workers)
    assert "the database is unreachable" in logs
    assert "Traceback" not in logs.split("an event failed, the database is unreachable")[-1]


def test_two_publishers_and_two_deliverers_race_on_one_batch(production, mail_server, tmp_path):
    # Four new customers, 30 invoices each, in one file that two publishers
    # (`customer-portal publish`, as a billing run's script would start them)
    # publish at the same time, while two deliverers send the mail.
    customers = [
        customer_input(code=f"RACE-{c}", email=f"carrera{c}@example.com", tax_id="12345678Z")
        for c in range(4)
    ]
    batch = [
        invoice_input(f"R{c}-{i:04d}", customer=customers[c]) for c in range(4) for i in range(30)
    ]
    numbers = {item["number"] for item in batch}
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch))
    production.start_deliverers(2)
    publishers = [
        production.spawn("publish", str(path), "--workers", "1", log=f"publish{n}.log")
        for n in (1, 2)
    ]
    assert [publisher.wait(timeout=300) for publisher in publishers] == [0, 0]

    # Every invoice once, each with its signed PDF; between them the two
    # publishers published each once (the other found it already there).
    engine = sa.create_engine(production.env["PORTAL_DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT i.number, count(d.id) FROM invoice i "
                "LEFT JOIN signed_document d ON d.invoice_id = i.id "
                "WHERE i.number LIKE 'R%' GROUP BY i.number"
            )
        ).all()
    engine.dispose()
    assert dict(rows) == dict.fromkeys(numbers, 1)
    published = [
        re.search(r"(\d+) published", (production.folder / f"publish{n}.log").read_text())
        for n in (1, 2)
    ]
    assert sum(int(found[1]) for found in published if found) == len(numbers)
    assert "0 tampered" in production.cli("verify-store").stdout
    listed = production.cli("outbox", "--all").stdout

    # Every invoice in exactly one email to its customer; one Alta each; no
    # message twice. (Mail waits a little for more invoices of the same customer.)
    addresses = {customer["email"] for customer in customers}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        mail = [m for m in mail_server.received if m.rcpt_tos[0] in addresses]
        seen = [
            set(re.findall(r"R\d-\d{4}", m.message.get_body(("plain",)).get_content()))
            for m in mail
        ]
        if set().union(*seen) >= numbers:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"not every invoice was mailed:\n{listed[-3000:]}")
    time.sleep(3)  # a duplicate would arrive about now
    mail = [m for m in mail_server.received if m.rcpt_tos[0] in addresses]
    seen = [
        set(re.findall(r"R\d-\d{4}", m.message.get_body(("plain",)).get_content())) for m in mail
    ]
    assert sum(len(s) for s in seen) == len(numbers)  # none in two emails
    for message, found in zip(mail, seen, strict=True):
        code = message.rcpt_tos[0].removeprefix("carrera").split("@")[0]
        assert all(number.startswith(f"R{code}-") for number in found)
    welcomes = [m.rcpt_tos[0] for m in mail if m.message["Subject"].startswith("Alta en ")]
    assert sorted(welcomes) == sorted(addresses)
    message_ids = [m.message["Message-ID"] for m in mail]
    assert len(set(message_ids)) == len(message_ids)


def test_nginx_logs_no_account_or_download_token(production):
    import ssl
    import urllib.error
    import urllib.request

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # see the answer itself, not where it leads

    https = urllib.request.HTTPSHandler(context=ssl._create_unverified_context())
    opener = urllib.request.build_opener(Stay, https)  # the test's own certificate
    answers = {}
    for path in (
        "/credenciales/tok.en-SECRETO-1",
        "/restablecer/tok.en-SECRETO-2",
        "/api/v1/descargas/SECRETO-3",
    ):
        try:
            answers[path.split("/")[1]] = opener.open(production.url + path).status
        except urllib.error.HTTPError as answer:
            answers[path.split("/")[1]] = answer.code
    # The links move their token into a cookie and redirect; a bad download is refused.
    assert answers == {"credenciales": 303, "restablecer": 303, "api": 403}
    time.sleep(0.5)  # nginx writes the line as the request ends
    log = (production.nginx_prefix / "access.log").read_text()
    assert "SECRETO" not in log
    assert '"GET /credenciales/[token]" 303' in log
    assert '"GET /restablecer/[token]" 303' in log
    assert '"GET /api/v1/descargas/[token]" 403' in log
