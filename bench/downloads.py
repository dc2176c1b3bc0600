"""Download: the signed PDF through the authenticated route against the same bytes served static.

One granian worker (as ``reflex run --env prod`` serves the portal) runs
``bench/download_app.py``: the portal's edge and API, plus Starlette's
``StaticFiles`` serving a copy of the same PDF from the same router. A
customer with a signed invoice and a live session is set up first; then
the same load (``BENCH_CONNECTIONS`` keep-alive connections for
``BENCH_SECONDS`` each way) hits both URLs, alternating, ``BENCH_ROUNDS``
times. Each download round uses a fresh link (links live a minute) and the
customer's session cookie: every request is checked as a customer's is.

The load comes from a separate process: a small asyncio HTTP/1.1 client
that checks every response is a 200 with the PDF's length (and the first of
each connection byte for byte). SQLite, and PostgreSQL when its server
answers. Ratios are measured side by side; results also go to
``bench/results/downloads.json``.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlmodel import select

from bench.common import machine, postgres_schema, results_file
from bench.download_app import STATIC_PREFIX
from customer_portal import db
from customer_portal.documents.pki import ensure_demo_pki
from customer_portal.documents.signing import InvoiceSigner
from customer_portal.domain.downloads import mint_download_path
from customer_portal.domain.publishing import Publisher
from customer_portal.domain.sessions import SESSION_COOKIE, start_session
from customer_portal.models import Account, Customer, SignedDocument
from customer_portal.settings import Branding
from tests.factories import invoice_input, line_input, make_account
from tests.mail.smtp_server import free_port

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
PASSWORD = "bench"
#: Seconds one response may take before the run fails.
TIMEOUT = 20
SECRET_KEY = "d" * 40
IDLE = timedelta(hours=8)
RESULTS = results_file("downloads.json")
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Load:
    """One timed load on one URL."""

    name: str
    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


# --- The load generator, in its own process --------------------------------------------


async def _connection(port: int, request: bytes, pdf: bytes, deadline: float) -> tuple[int, str]:
    """Requests on one keep-alive connection until ``deadline``: (good ones, first problem)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
            except (TimeoutError, asyncio.IncompleteReadError) as exc:
                return done, f"no answer: {exc!r}"
            status = head[9:12]
            length = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length is None:
                return done, f"no Content-Length: {head[:200]!r}"
            body = await asyncio.wait_for(reader.readexactly(length), TIMEOUT)
            if status != b"200" or length != len(pdf):
                return done, f"{status.decode()} with {length} bytes: {body[:200]!r}"
            if done == 0 and body != pdf:
                return done, "200 with other bytes than the PDF's"
            done += 1
    finally:
        writer.close()
    return done, ""


async def _load_async(port: int, path: str, cookie: str, pdf: bytes, seconds: float):
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: {SESSION_COOKIE}={cookie}\r\nUser-Agent: bench\r\n\r\n"
    ).encode()
    start = time.perf_counter()
    results = await asyncio.gather(
        *(_connection(port, request, pdf, start + seconds) for _ in range(CONNECTIONS))
    )
    elapsed = time.perf_counter() - start
    problems = [problem for _done, problem in results if problem]
    return sum(done for done, _problem in results), elapsed, problems


def _load_process(port, path, cookie, pdf, seconds, queue) -> None:
    queue.put(asyncio.run(_load_async(port, path, cookie, pdf, seconds)))


def _load(name: str, port: int, path: str, cookie: str, pdf: bytes) -> Load:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(
        target=_load_process, args=(port, path, cookie, pdf, SECONDS, queue), daemon=True
    )
    process.start()
    done, elapsed, problems = queue.get(timeout=SECONDS + 120)
    process.join(10)
    if problems:
        raise RuntimeError(f"{name}: {len(problems)} connections failed, first: {problems[0]}")
    return Load(name, done, elapsed)


# --- The portal's data, and the server --------------------------------------------------


def _portal(url: str, folder: Path) -> tuple[str, str, bytes]:
    """One published invoice, its customer's account and live session: (number, token, pdf)."""
    engine = db.create_db_engine(url)
    try:
        db.migrate(engine)
        p12 = ensure_demo_pki(folder / "pki", "Bench", PASSWORD).signer_p12
        publisher = Publisher(
            engine=engine, signer=InvoiceSigner(p12, PASSWORD), branding=Branding()
        )
        lines = [line_input(description=f"Concepto {n}") for n in range(20)]
        publisher.publish(invoice_input("F2026-0001", lines=lines))
        with db.unit_of_work(engine) as session:
            customer = session.exec(select(Customer)).one()
            account = make_account(session, customer=customer)
            token = start_session(session=session, account=account, idle=IDLE, ip="127.0.0.1")
            pdf = session.exec(select(SignedDocument.pdf)).one()
    finally:
        engine.dispose()
    return "F2026-0001", token, bytes(pdf)


def _mint(url: str, number: str, token: str) -> str:
    engine = db.create_db_engine(url)
    try:
        with db.unit_of_work(engine) as session:
            account = session.exec(select(Account)).one()
            path = mint_download_path(
                session=session,
                secret_key=SECRET_KEY,
                account=account,
                number=number,
                session_token=token,
            )
    finally:
        engine.dispose()
    assert path is not None
    return path


def _env(url: str, folder: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "REFLEX_"))}
    env.update(
        PORTAL_ENV="dev",
        PORTAL_INSTANCE_DIR=str(folder / "instance"),
        PORTAL_DATABASE_URL=url,
        PORTAL_SECRET_KEY=SECRET_KEY,
        PORTAL_API_KEY="k" * 32,
        PORTAL_BASE_URL=f"http://127.0.0.1:{port}",
        BENCH_STATIC_DIR=str(folder / "static"),
        PYTHONPATH=str(ROOT),
    )
    return env


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "granian"),
        "--interface",
        "asgi",
        "--workers",
        "1",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-ws",
        "--log-level",
        "warning",
        "--factory",
        "bench.download_app:create_app",
    ]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"the server did not answer:\n{log.read_text()[-3000:]}")


def _run(name: str, url: str, folder: Path, console: Console) -> list[tuple[Load, Load]]:
    number, token, pdf = _portal(url, folder)
    static = folder / "static"
    static.mkdir(exist_ok=True)
    (static / "Factura-F2026-0001.pdf").write_bytes(pdf)
    port = free_port()
    server = _serve(_env(url, folder, port), port, folder / f"server-{name}.log")
    rounds = []
    try:
        for n in range(ROUNDS):
            console.print(f"{name}: round {n + 1} of {ROUNDS}…")
            path = _mint(url, number, token)
            download = _load(f"download route, {name}", port, path, token, pdf)
            reference = _load(
                f"static file, {name}", port, f"{STATIC_PREFIX}/Factura-F2026-0001.pdf", token, pdf
            )
            rounds.append((download, reference))
    finally:
        server.terminate()
        server.wait(20)
    return rounds


def main() -> None:
    console = Console()
    results: dict[str, list[tuple[Load, Load]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results["SQLite"] = _run("SQLite", f"sqlite:///{folder / 'portal.db'}", folder, console)
        postgres = postgres_schema() if os.environ.get("BENCH_POSTGRES", "1") != "0" else None
        if postgres is None:
            console.print("PostgreSQL skipped (BENCH_POSTGRES=0) or not answering: SQLite only.")
        else:
            url, drop = postgres
            try:
                results["PostgreSQL"] = _run("PostgreSQL", url, folder, console)
            finally:
                drop()

    table = Table(
        title=f"Signed PDF, {CONNECTIONS} connections, {ROUNDS} × {SECONDS:.0f} s each way"
    )
    for column in ("database", "round", "download req/s", "static req/s", "download / static"):
        table.add_column(column, justify="left" if column == "database" else "right")
    summary = {}
    for database, rounds in results.items():
        ratios = [d.per_second / s.per_second for d, s in rounds]
        for n, ((download, static), ratio) in enumerate(zip(rounds, ratios, strict=True), 1):
            table.add_row(
                database,
                str(n),
                f"{download.per_second:.0f}",
                f"{static.per_second:.0f}",
                f"{ratio:.0%}",
            )
        summary[database] = {
            "download_per_second": round(statistics.median(d.per_second for d, _ in rounds), 1),
            "static_per_second": round(statistics.median(s.per_second for _, s in rounds), 1),
            "median_ratio": round(statistics.median(ratios), 3),
        }
        table.add_row(
            database,
            "median",
            f"{summary[database]['download_per_second']:.0f}",
            f"{summary[database]['static_per_second']:.0f}",
            f"{summary[database]['median_ratio']:.0%}",
            end_section=True,
        )
    console.print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": machine(),
                "server": "granian, 1 worker (ASGI)",
                "connections": CONNECTIONS,
                "seconds_per_load": SECONDS,
                "summary": summary,
                "rounds": {
                    database: [{"download": asdict(d), "static": asdict(s)} for d, s in rounds]
                    for database, rounds in results.items()
                },
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
