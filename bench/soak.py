"""Soak (`make soak`, not in CI): customers for minutes against the production mode.

Starts README "Despliegue" for real, as ``tests/deploy/production.py`` does
(PostgreSQL, Redis, ``SOAK_WORKERS`` web workers, nginx with TLS on
loopback), seeds ``SOAK_CUSTOMERS`` customers with invoices and a login
(bcrypt cost 12), signs each in through nginx's Entrar form and keeps one
tab per customer open over a real websocket, changing a filter every
``SOAK_PERIOD`` seconds for ``SOAK_SECONDS`` (default: 100 customers, one
change every 2 s each, 10 minutes).

Every minute it records the events answered, their latency percentiles,
the errors, and each worker's resident memory; at the end it says whether
there were no errors and whether memory stayed flat (the last third of the
run against the second). Results go to ``bench/results/soak.json``.

For README's capacity note the same harness runs short and hot, with one
and with two workers: ``SOAK_NAME=capacity-1 SOAK_WORKERS=1 SOAK_CUSTOMERS=200
SOAK_PERIOD=1 SOAK_SECONDS=60``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.common import machine, results_file
from bench.websockets import Latencies, _keep_changing, _open_tabs, _seed, _sign_in_all
from customer_portal.documents.pki import ensure_demo_pki
from customer_portal.settings import DEMO_P12_PASSWORD
from tests.deploy.production import Production
from tests.mail.smtp_server import SmtpServer

CUSTOMERS = int(os.environ.get("SOAK_CUSTOMERS", "100"))
SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
PERIOD = float(os.environ.get("SOAK_PERIOD", "2"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "2"))
SAMPLE_EVERY = float(os.environ.get("SOAK_SAMPLE_SECONDS", "60"))
#: Memory is "flat" if the last third's mean is within this of the second third's.
FLAT = 0.10
#: SOAK_NAME=capacity-1 saves to soak-capacity-1.json (runs that measure something else).
NAME = os.environ.get("SOAK_NAME", "")
RESULTS = results_file(f"soak-{NAME}.json" if NAME else "soak.json")


def _group_rss_mb(leader: int) -> float:
    """Resident memory of a worker: its process group (the command and granian's process)."""
    total_kb = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != leader:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (OSError, ProcessLookupError):
            continue
    return round(total_kb / 1024, 1)


async def _soak(production: Production, emails: list[str], console: Console) -> dict:
    url = production.url
    cookies = await _sign_in_all(url, emails, verify=False)
    tabs = await _open_tabs(url, cookies, ssl_verify=False)
    console.print(f"{len(tabs)} customers signed in, one tab each; soaking for {SECONDS:.0f} s")
    minutes: list[dict] = []
    window = Latencies()
    started = time.perf_counter()
    until = started + SECONDS

    async def sample() -> None:
        nonlocal window
        while time.perf_counter() < until:
            await asyncio.sleep(min(SAMPLE_EVERY, max(0.0, until - time.perf_counter())))
            done, window = window, Latencies()
            row = {
                "at_s": round(time.perf_counter() - started),
                **done.summary(),
                "worker_rss_mb": {
                    w.name: _group_rss_mb(w.process.pid) for w in production.workers if w.process
                },
            }
            minutes.append(row)
            console.print(
                f"{row['at_s']:>5} s: {row['events']} events, p95 "
                f"{row['event_ms']['p95']} ms, {row['errors']} errors, RSS {row['worker_rss_mb']}"
            )

    await asyncio.gather(
        sample(), *(_keep_changing(tab, PERIOD, until, lambda: window) for tab in tabs)
    )
    await asyncio.gather(*(tab.close() for tab in tabs), return_exceptions=True)
    return {"minutes": minutes}


def _verdict(minutes: list[dict]) -> dict:
    errors = sum(m["errors"] for m in minutes)
    third = max(1, len(minutes) // 3)
    flat = {}
    for name in minutes[0]["worker_rss_mb"]:
        middle = statistics.mean(m["worker_rss_mb"][name] for m in minutes[third : 2 * third])
        last = statistics.mean(m["worker_rss_mb"][name] for m in minutes[-third:])
        flat[name] = {
            "middle_mb": round(middle, 1),
            "last_mb": round(last, 1),
            "growth": round(last / middle - 1, 3),
        }
    return {
        "events": sum(m["events"] for m in minutes),
        "errors": errors,
        "memory": flat,
        "memory_flat": all(abs(f["growth"]) <= FLAT for f in flat.values()),
        "zero_errors": errors == 0,
    }


def _print(console: Console, minutes: list[dict], verdict: dict) -> None:
    table = Table(title=f"Soak: {CUSTOMERS} customers, a change every {PERIOD:g} s each")
    for column in ("at (s)", "events", "p50 ms", "p95 ms", "p99 ms", "errors", "worker RSS (MB)"):
        table.add_column(column, justify="right")
    for m in minutes:
        table.add_row(
            str(m["at_s"]),
            str(m["events"]),
            str(m["event_ms"]["p50"]),
            str(m["event_ms"]["p95"]),
            str(m["event_ms"]["p99"]),
            str(m["errors"]),
            ", ".join(f"{k} {v}" for k, v in m["worker_rss_mb"].items()),
        )
    console.print(table)
    console.print(
        f"{verdict['events']} events, {verdict['errors']} errors "
        f"({'zero errors' if verdict['zero_errors'] else 'ERRORS'}); memory "
        + ", ".join(
            f"{k} {v['middle_mb']} → {v['last_mb']} MB" for k, v in verdict["memory"].items()
        )
        + (" (flat)" if verdict["memory_flat"] else " (GROWING)")
    )


def main() -> int:
    """Start the production mode, soak it, print and save the figures."""
    console = Console(width=120)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pki = ensure_demo_pki(folder / "pki", "Link Soluciones", DEMO_P12_PASSWORD)
        smtp = SmtpServer().start()
        production = Production(folder=folder / "production", pki=pki, smtp_port=smtp.port)
        try:
            console.print(f"Starting the production mode: {WORKERS} workers, nginx, PG, Redis")
            production.start(workers=WORKERS)
            console.print(f"Seeding {CUSTOMERS} customers")
            emails = _seed(production.env["PORTAL_DATABASE_URL"], CUSTOMERS)
            results = asyncio.run(_soak(production, emails, console))
            nginx_errors = len(production.failures())
        finally:
            production.stop()
            smtp.stop()
    verdict = _verdict(results["minutes"])
    verdict["nginx_5xx"] = nginx_errors
    _print(console, results["minutes"], verdict)
    saved = {
        "machine": machine(),
        "customers": CUSTOMERS,
        "seconds": SECONDS,
        "change_every_s": PERIOD,
        "workers": WORKERS,
        **verdict,
        **results,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
    console.print(f"Saved {RESULTS}")
    return 0 if verdict["zero_errors"] and verdict["memory_flat"] and not nginx_errors else 1


if __name__ == "__main__":
    sys.exit(main())
