"""Customers on real websockets: logins do not stall others (3), many customers at once (5).

`make bench` runs this after the publishing bench. It serves the portal as
`make run` does (``reflex run --env prod --single-port``, one process, Reflex
state in memory, SQLite; :func:`bench.lighthouse._portal`), seeds customers
with invoices and a login each (bcrypt cost 12, as production stores it), and
drives Reflex's Socket.IO endpoint ``/_event`` from Python, as the browser
does:

- each simulated customer signs in through the real Entrar form (``POST
  /sesion/entrar``) and gets its ``portal_session`` cookie;
- it opens the websocket with a client token, that cookie and the portal's
  Origin, hydrating ``/facturas`` in the connect packet;
- a *filter change* is what the browser sends for a ticked «Pendiente» (or
  Limpiar filtros): one ``apply_filters`` event, whose answer (a delta) holds
  the new list and its URL, which the page then puts in the address bar.
  It is timed from emit until that answer arrives. (Until 2026-11-28 a
  change was ``apply_filters`` answered by a redirect, then the new URL's
  ``on_load_internal``: two events from here, four on the server.)

Benchmark 3 alternates windows without and with 20 logins in flight (each
finished login starts another), while 20 signed-in customers change a filter
every 200 ms; it prints the p95 of both and their ratio, measured side by
side in one run. Benchmark 5 keeps 200, then 500, customers changing a
filter once a second for 60 s: latency percentiles, errors, and the server's
memory per session.

The load generator shares the machine's cores with the portal: its own CPU
time is printed, so a reader can tell how much of a latency is the client.
Sizes shrink for development: BENCH_WS_SESSIONS="20 50" BENCH_WS_SECONDS=10
BENCH_WS_ONLY=3 (or 5). Results go to bench/results/websockets.json;
BENCH_WS_WORKERS=2 serves the portal with two backend processes sharing
Reflex's state in the local Redis (database 15), each keeping its tabs'
state in memory while they are busy (the lease ``rxconfig.py`` turns on), as
production runs: `make bench` runs benchmark 5 that way too, saved as
websockets-2-workers.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import socketio
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from bench.common import machine, results_file
from bench.lighthouse import _portal
from customer_portal import db, routes
from customer_portal.domain.passwords import BCRYPT_ROUNDS, hash_password
from customer_portal.models import Customer
from tests.factories import make_account, make_customer, make_invoice

RESULTS = results_file("websockets.json")
PASSWORD = "Bench-ws-2026!"
ROOT_STATE = "reflex___state____state"
# The full names Reflex gives the states (see InvoiceListState.get_full_name()).
LIST_STATE = (
    f"{ROOT_STATE}.customer_portal___state___auth____auth_state"
    ".customer_portal___state___invoice_list____invoice_list_state"
)
INVOICES_PER_CUSTOMER = 24
#: The two filter forms a customer alternates between: «Pendiente» ticked, and none.
FORMS = ({"estado.pendiente": True, "numero": ""}, {"numero": ""})
TIMEOUT = 10.0
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")

#: The brief's 200 and 500, and fewer to find the knee: the most sessions that meet the target.
SESSIONS = [int(n) for n in os.environ.get("BENCH_WS_SESSIONS", "50 100 200 500").split()]
TARGET_P95_MS = 100.0
SECONDS = float(os.environ.get("BENCH_WS_SECONDS", "60"))
ONLY = os.environ.get("BENCH_WS_ONLY", "")
#: Benchmark 3: customers changing a filter every 200 ms, and logins in flight.
STALL_CLIENTS, STALL_LOGINS, STALL_PERIOD = 20, 20, 0.2
STALL_WINDOW = float(os.environ.get("BENCH_WS_WINDOW", "10"))
STALL_ROUNDS = int(os.environ.get("BENCH_WS_ROUNDS", "3"))


class BenchError(Exception):
    """A session got no answer, or the wrong one."""


@dataclass
class Latencies:
    """Seconds per websocket event and per filter change, and what went wrong."""

    events: list[float] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """Percentiles in ms, counts and errors."""
        return {
            "events": len(self.events),
            "filter_changes": len(self.changes),
            "errors": len(self.errors),
            "error_kinds": sorted(set(self.errors))[:5],
            "event_ms": _percentiles(self.events),
            "filter_change_ms": _percentiles(self.changes),
        }


def _percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50": round(cuts[49] * 1000, 1),
        "p95": round(cuts[94] * 1000, 1),
        "p99": round(cuts[98] * 1000, 1),
        "max": round(max(values) * 1000, 1),
    }


def _seed(database_url: str, count: int) -> list[str]:
    """``count`` customers with invoices and an activated login; their emails."""
    password_hash = hash_password(PASSWORD)  # BCRYPT_ROUNDS, as production stores it
    assert password_hash.startswith(f"$2b${BCRYPT_ROUNDS:02d}$"), password_hash
    engine = db.create_db_engine(database_url)
    emails = []
    with db.unit_of_work(engine) as session:
        for n in range(count):
            email = f"bench{n:04d}@example.com"
            customer = make_customer(session, code=f"BENCH-{n:04d}", email=email, name=f"Bench {n}")
            make_account(session, customer=customer, password_hash=password_hash)
            for i in range(INVOICES_PER_CUSTOMER):
                issued = date(2026, 1, 1) + timedelta(days=7 * i)
                make_invoice(
                    session,
                    customer=customer,
                    number=f"B{n:04d}-{i:03d}",
                    total=10_000 + 137 * i,
                    paid=10_000 + 137 * i if i % 3 == 0 else 0,
                    issue_date=issued,
                    due_date=issued + timedelta(days=30),
                )
            emails.append(email)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Customer)).scalar() >= count
    engine.dispose()
    return emails


async def sign_in(http: httpx.AsyncClient, email: str) -> str:
    """The session token the real Entrar form hands the browser."""
    response = await http.post(
        routes.SIGN_IN_ACTION,
        data={"email": email, "password": PASSWORD, "next": routes.INVOICES},
    )
    token = response.cookies.get("portal_session")
    if response.status_code != 303 or not token:
        raise BenchError(f"sign-in of {email} answered {response.status_code}")
    return token


def _router_data(path: str) -> dict:
    parts = urlsplit(path)
    return {"pathname": parts.path, "asPath": path, "query": dict(parse_qsl(parts.query))}


class CustomerTab:
    """One signed-in customer's browser tab on Mis facturas, over a real websocket."""

    def __init__(self, url: str, cookie: str, *, ssl_verify: bool = True):
        self.url = url
        self.cookie = cookie
        self.path = routes.INVOICES
        self.turn = 0
        # ssl_verify=False only for a test certificate (bench/soak.py's nginx on loopback).
        self.client = socketio.AsyncClient(reconnection=False, ssl_verify=ssl_verify)
        self._waiting: tuple | None = None
        self.client.on("event", self._on_update, namespace="/_event")

    async def _on_update(self, update: dict) -> None:
        if self._waiting is None:
            return
        match, future = self._waiting
        found = match(update)
        if found is not None and not future.done():
            future.set_result(found)

    async def _send(self, name: str, payload: dict, match) -> object:
        future = asyncio.get_running_loop().create_future()
        self._waiting = (match, future)
        try:
            event = {"name": name, "payload": payload, "router_data": _router_data(self.path)}
            await self.client.emit("event", event, namespace="/_event")
            return await asyncio.wait_for(future, TIMEOUT)
        except TimeoutError as exc:
            raise BenchError(f"no answer to {name.rsplit('.', 1)[-1]}") from exc
        finally:
            self._waiting = None

    async def open(self) -> None:
        """Connect as the browser does: hydrate in the connect packet, wait for the list."""
        future = asyncio.get_running_loop().create_future()
        self._waiting = (_list_loaded, future)
        boot = {
            "name": f"{ROOT_STATE}.hydrate_and_load",
            "payload": {},
            "router_data": _router_data(self.path),
        }
        await self.client.connect(
            f"{self.url}?token={uuid.uuid4()}",
            socketio_path="/_event",
            namespaces=["/_event"],
            transports=["websocket"],
            headers={"Origin": self.url, "Cookie": f"portal_session={self.cookie}"},
            auth={"event": boot},
            wait_timeout=TIMEOUT,
        )
        try:
            await asyncio.wait_for(future, TIMEOUT)
        except TimeoutError as exc:
            raise BenchError("the list never loaded") from exc
        finally:
            self._waiting = None

    async def change_filter(self, into: Latencies) -> None:
        """Tick «Pendiente» (or clear it): one event, answered with the new list and its URL."""
        form = FORMS[self.turn % 2]
        self.turn += 1
        start = time.perf_counter()
        kind, path = await self._send(
            f"{LIST_STATE}.apply_filters", {"form_data": form}, _list_changed
        )
        done = time.perf_counter()
        if kind != "list" or not str(path).startswith(routes.INVOICES):
            raise BenchError(f"answered with {kind} {str(path).split('?')[0]}")
        # What the page's pushState does: the next event carries the new URL.
        self.path = str(path)
        into.events.append(done - start)
        into.changes.append(done - start)

    async def close(self) -> None:
        """Close the websocket."""
        await self.client.disconnect()


def _redirect(update: dict):
    for event in update.get("events") or []:
        if event.get("name") == "_redirect":
            return event["payload"]["path"]
    return None


def _list_changed(update: dict):
    """("list", its URL) for the answer to a change, ("redirect", path) if sent elsewhere."""
    changes = (update.get("delta") or {}).get(LIST_STATE) or {}
    if "answers_rx_state_" in changes:
        return "list", changes.get("address_rx_state_")
    redirected = _redirect(update)
    return None if redirected is None else ("redirect", redirected)


def _list_loaded(update: dict):
    changes = (update.get("delta") or {}).get(LIST_STATE) or {}
    if "loaded_rx_state_" in changes:
        return True
    # Anyone not signed in is sent to Entrar instead.
    return _redirect(update)


async def _keep_changing(tab: CustomerTab, period: float, until: float, into) -> None:
    """Change a filter every ``period`` s (fixed rate, from a random phase) until ``until``."""
    next_at = time.perf_counter() + random.uniform(0, period)
    while True:
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        if time.perf_counter() >= until:
            return
        try:
            await tab.change_filter(into())
        except (BenchError, socketio.exceptions.SocketIOError) as exc:
            into().errors.append(str(exc).split(" of ")[0][:80])
        next_at += period
        # A late answer skips the beats it missed, as a person would not queue clicks.
        if next_at < time.perf_counter():
            next_at = time.perf_counter()


async def _open_tabs(
    url: str, cookies: list[str], concurrency: int = 20, *, ssl_verify: bool = True
) -> list[CustomerTab]:
    gate = asyncio.Semaphore(concurrency)

    async def one(cookie: str) -> CustomerTab:
        async with gate:
            tab = CustomerTab(url, cookie, ssl_verify=ssl_verify)
            await tab.open()
            return tab

    return list(await asyncio.gather(*(one(c) for c in cookies)))


async def _sign_in_all(
    url: str, emails: list[str], concurrency: int = 4, *, verify: bool = True
) -> list[str]:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(
        base_url=url, headers={"Origin": url}, timeout=120, verify=verify
    ) as http:

        async def one(email: str) -> str:
            async with gate:
                return await sign_in(http, email)

        return list(await asyncio.gather(*(one(e) for e in emails)))


def _server_processes(port: int) -> list[Path]:
    """The portal's processes (Reflex's supervisor and its worker), by their PORTAL_PORT."""
    marker = f"PORTAL_PORT={port}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker in (proc / "environ").read_bytes().split(b"\0"):
                found.append(proc)
        except OSError:
            continue
    return found


def _server_rss_kb(port: int) -> int:
    """Resident memory of the portal's processes, in KiB."""
    total = 0
    for proc in _server_processes(port):
        try:
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def _server_cpu_s(port: int) -> float:
    """CPU seconds the portal's processes have used so far (user + system)."""
    ticks = 0
    for proc in _server_processes(port):
        try:
            fields = (proc / "stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


async def logins_do_not_stall(url: str, emails: list[str], login_emails: list[str]) -> dict:
    """Benchmark 3: 20 tabs every 200 ms, in windows without and with 20 logins in flight."""
    cookies = await _sign_in_all(url, emails)
    tabs = await _open_tabs(url, cookies)
    results = {"without": Latencies(), "with": Latencies()}
    logins: list[float] = []
    login_errors: list[str] = []
    current = ["without"]
    async with httpx.AsyncClient(base_url=url, headers={"Origin": url}, timeout=120) as http:

        async def keep_signing_in(email: str, until: float) -> None:
            while time.perf_counter() < until:
                start = time.perf_counter()
                try:
                    await sign_in(http, email)
                    logins.append(time.perf_counter() - start)
                except (BenchError, httpx.HTTPError) as exc:
                    login_errors.append(str(exc)[:80])

        # Warm up (first queries, caches), then alternate the windows.
        await asyncio.gather(
            *(_keep_changing(t, STALL_PERIOD, time.perf_counter() + 3, Latencies) for t in tabs)
        )
        for _ in range(STALL_ROUNDS):
            for window in ("without", "with"):
                current[0] = window
                until = time.perf_counter() + STALL_WINDOW
                work = [
                    _keep_changing(t, STALL_PERIOD, until, lambda: results[current[0]])
                    for t in tabs
                ]
                if window == "with":
                    work += [keep_signing_in(e, until) for e in login_emails]
                await asyncio.gather(*work)
    await asyncio.gather(*(t.close() for t in tabs))
    without, with_ = results["without"].summary(), results["with"].summary()
    return {
        "clients": len(tabs),
        "period_ms": STALL_PERIOD * 1000,
        "logins_in_flight": len(login_emails),
        "bcrypt_cost": BCRYPT_ROUNDS,
        "window_s": STALL_WINDOW,
        "rounds": STALL_ROUNDS,
        "without_logins": without,
        "with_logins": with_,
        "logins_done": len(logins),
        "login_errors": len(login_errors),
        "login_ms": _percentiles(logins),
        "p95_ratio": round(with_["event_ms"]["p95"] / max(without["event_ms"]["p95"], 0.1), 2),
        "change_p95_ratio": round(
            with_["filter_change_ms"]["p95"] / max(without["filter_change_ms"]["p95"], 0.1), 2
        ),
    }


async def many_customers(url: str, port: int, cookies: list[str]) -> dict:
    """Benchmark 5: ``len(cookies)`` tabs, each changing a filter once a second."""
    rss_before = _server_rss_kb(port)
    opened = time.perf_counter()
    tabs = await _open_tabs(url, cookies)
    opened = time.perf_counter() - opened
    found = Latencies()
    cpu, server_cpu = time.process_time(), _server_cpu_s(port)
    until = time.perf_counter() + SECONDS
    await asyncio.gather(*(_keep_changing(t, 1.0, until, lambda: found) for t in tabs))
    client_cpu = (time.process_time() - cpu) / SECONDS
    server_cpu = _server_cpu_s(port) - server_cpu
    rss_after = _server_rss_kb(port)
    await asyncio.gather(*(t.close() for t in tabs), return_exceptions=True)
    return {
        "sessions": len(tabs),
        "seconds": SECONDS,
        "connect_all_s": round(opened, 1),
        **found.summary(),
        "server_rss_mb_before": round(rss_before / 1024, 1),
        "server_rss_mb_after": round(rss_after / 1024, 1),
        "kb_per_session": round((rss_after - rss_before) / len(tabs), 1),
        "load_generator_cpu": round(client_cpu, 2),
        "server_cpu": round(server_cpu / SECONDS, 2),
        "server_cpu_ms_per_event": round(server_cpu * 1000 / max(len(found.events), 1), 2),
    }


def _print(console: Console, results: dict) -> None:
    stall = results.get("logins_do_not_stall")
    if stall:
        table = Table(
            title=(
                f"3. Logins do not stall others: {stall['clients']} customers changing a filter "
                f"every {stall['period_ms']:.0f} ms, {stall['logins_in_flight']} logins in flight "
                f"(bcrypt cost {stall['bcrypt_cost']})"
            )
        )
        for column in ("", "events", "event p50", "event p95", "change p95", "errors"):
            table.add_column(column, justify="right" if column else "left")
        for name, key in (("without logins", "without_logins"), ("with logins", "with_logins")):
            row = stall[key]
            table.add_row(
                name,
                str(row["events"]),
                f"{row['event_ms']['p50']:.1f} ms",
                f"{row['event_ms']['p95']:.1f} ms",
                f"{row['filter_change_ms']['p95']:.1f} ms",
                str(row["errors"]),
            )
        table.add_row(
            "ratio (target ≤ 1.5×)",
            "",
            "",
            f"{stall['p95_ratio']:.2f}×",
            f"{stall['change_p95_ratio']:.2f}×",
            "",
        )
        console.print(table)
        console.print(
            f"{stall['logins_done']} logins meanwhile, p50 {stall['login_ms']['p50']:.0f} ms, "
            f"p95 {stall['login_ms']['p95']:.0f} ms, {stall['login_errors']} failed"
        )
    runs = results.get("many_customers") or []
    if runs:
        table = Table(
            title="5. Many customers at once: each changes a filter once a second "
            "(target: event p95 < 100 ms, zero errors)"
        )
        columns = ("sessions", "events", "p50", "p95", "p99", "change p95", "errors")
        for column in (*columns, "server RSS", "per session", "server CPU", "client CPU"):
            table.add_column(column, justify="right")
        for run in runs:
            ms = run["event_ms"]
            table.add_row(
                str(run["sessions"]),
                str(run["events"]),
                f"{ms['p50']:.1f} ms",
                f"{ms['p95']:.1f} ms",
                f"{ms['p99']:.1f} ms",
                f"{run['filter_change_ms']['p95']:.1f} ms",
                str(run["errors"]),
                f"{run['server_rss_mb_after']:.0f} MB",
                f"{run['kb_per_session']:.0f} KB",
                f"{run['server_cpu']:.0%} ({run['server_cpu_ms_per_event']:.1f} ms/event)",
                f"{run['load_generator_cpu']:.0%}",
            )
        console.print(table)
        knee = results["many_customers_knee"]
        console.print(
            f"Most sessions measured that meet {knee['target']}: "
            f"{knee['most_sessions_meeting_it'] or 'none'}"
        )


async def _run(url: str, port: int, emails: list[str], console: Console) -> dict:
    results: dict = {
        "machine": {**machine(), "note": "load generator (this process) and portal share the CPUs"}
    }
    if ONLY in ("", "3"):
        console.print("Benchmark 3: logins beside customers changing filters")
        results["logins_do_not_stall"] = await logins_do_not_stall(
            url, emails[:STALL_CLIENTS], emails[-STALL_LOGINS:]
        )
    if ONLY in ("", "5"):
        console.print(f"Benchmark 5: signing {max(SESSIONS)} customers in (bcrypt cost 12)")
        cookies = await _sign_in_all(url, emails[: max(SESSIONS)])
        results["many_customers"] = []
        for n in SESSIONS:
            console.print(f"Benchmark 5: {n} sessions for {SECONDS:.0f} s")
            results["many_customers"].append(await many_customers(url, port, cookies[:n]))
        met = [
            run["sessions"]
            for run in results["many_customers"]
            if run["event_ms"]["p95"] < TARGET_P95_MS and run["errors"] == 0
        ]
        results["many_customers_knee"] = {
            "target": f"event p95 < {TARGET_P95_MS:.0f} ms, zero errors",
            "most_sessions_meeting_it": max(met, default=0),
        }
    return results


def _backend_env() -> dict[str, str]:
    """BENCH_WS_WORKERS=n: n backend processes sharing Reflex's state in the local Redis."""
    workers = os.environ.get("BENCH_WS_WORKERS", "")
    if not workers:
        return {}
    return {"REFLEX_REDIS_URL": REDIS_URL, "GRANIAN_WORKERS": str(int(workers))}


def main() -> None:
    """Serve the portal, seed customers, run benchmarks 3 and 5, print and save them."""
    console = Console(width=120)
    count = max(max(SESSIONS), STALL_CLIENTS) + STALL_LOGINS
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with _portal(folder, _backend_env()) as url:
            console.print(f"Seeding {count} customers, {INVOICES_PER_CUSTOMER} invoices each")
            emails = _seed(f"sqlite:///{folder / 'instance' / 'portal.db'}", count)
            port = urlsplit(url).port or 80
            results = asyncio.run(_run(url, port, emails, console))
    _print(console, results)
    workers = _backend_env().get("GRANIAN_WORKERS")
    results["backend"] = f"{workers} workers, state in Redis" if workers else "1 process"
    saved = RESULTS.with_stem(f"websockets-{workers}-workers") if workers else RESULTS
    saved.parent.mkdir(exist_ok=True)
    saved.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    console.print(f"Saved {saved}")


if __name__ == "__main__":
    sys.exit(main())
