"""Lighthouse 12 scores of the customer's pages, on a phone and on a desktop.

`make lighthouse` runs this: it serves the demo portal as `make run` does (its
own instance and build folder, on a free port), starts Debian's Chromium with
a debugging port, and runs Lighthouse against `/` and `/entrar` signed out,
then against `/facturas` and an invoice's page signed in as the demo customer
(Lighthouse keeps the browser's cookies: ``--disable-storage-reset``). Each
page and device runs five times (``LIGHTHOUSE_RUNS``) and the median is shown.

A benchmark, not a test: the scores depend on the machine, so nothing here
fails on a low number. The README quotes a run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from customer_portal.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LIGHTHOUSE = ROOT / ".tools/lighthouse/node_modules/.bin/lighthouse"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
DEMO_EMAIL = "cliente1@example.com"
CATEGORIES = ("performance", "accessibility", "best-practices")
#: Runs per page and device; the one with the median performance score is kept.
#: Lighthouse's own advice for scores that vary from run to run (docs/variability.md).
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "5"))
#: Just some runs while working on one page: LIGHTHOUSE_ONLY="/facturas:mobile /:desktop".
ONLY = set(os.environ.get("LIGHTHOUSE_ONLY", "").split())
#: Where the last run's reports stay, to read what a score is made of.
REPORTS = ROOT / ".web-bench" / "lighthouse"


@dataclass(frozen=True)
class Result:
    """One Lighthouse run: a page on a device."""

    page: str
    device: str
    scores: dict[str, int]
    transferred_kb: float
    cls: float
    lcp_ms: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"exited before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def _portal(folder: Path, extra_env: dict[str, str] | None = None):
    """The demo portal as `make run` serves it, on a free port (``extra_env`` added)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "REFLEX_"))}
    env.update(extra_env or {})
    env.update(
        PORTAL_INSTANCE_DIR=str(folder / "instance"),
        PORTAL_PORT=str(port),
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_WEB_WORKDIR=str(ROOT / ".web-bench"),
        PATH=f"{ROOT / '.tools/node_modules/.bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    for command in ("init", "seed-demo"):
        subprocess.run([str(BIN / "customer-portal"), command], env=env, check=True)
    log = (folder / "reflex.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "reflex"), "run", "--env", "prod", "--single-port"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://localhost:{port}"
    try:
        _wait_for(f"{url}/api/v1/health", process, timeout=600)
        _wait_for(f"{url}/", process, timeout=120)
        yield url
    except SystemExit:
        # The reason is in the portal's log, which goes with the temporary folder.
        print((folder / "reflex.log").read_text(errors="replace")[-4000:], file=sys.stderr)
        raise
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            process.wait(timeout=30)
        log.close()


@contextmanager
def _chromium(folder: Path):
    """Chromium with a debugging port, shared by Playwright (login) and Lighthouse."""
    port = _free_port()
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            f"--remote-debugging-port={port}",
            f"--user-data-dir={folder / 'profile'}",
            "--no-sandbox",
            "--no-first-run",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=es-ES",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/json/version", process, timeout=30)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _sign_in(debug_port: int, url: str) -> str:
    """Sign the browser in as the demo customer; the path of its first invoice."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{debug_port}")
        page = browser.contexts[0].new_page()
        page.goto(f"{url}/entrar")
        page.locator("input[name=email]").fill(DEMO_EMAIL)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Entrar").click()
        page.wait_for_url("**/facturas**")
        link = page.locator("a[href*='/factura?numero=']").first
        link.wait_for()
        path = link.get_attribute("href") or ""
        page.close()
        return path


def _clear_cache(debug_port: int) -> None:
    """Empty the HTTP cache but keep the cookies, so every run is a first visit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{debug_port}")
        page = browser.contexts[0].new_page()
        browser.contexts[0].new_cdp_session(page).send("Network.clearBrowserCache")
        page.close()


def _lighthouse(debug_port: int, url: str, device: str, out: Path, *, keep_cookies: bool) -> dict:
    if keep_cookies:
        _clear_cache(debug_port)
    command = [
        str(LIGHTHOUSE),
        url,
        f"--port={debug_port}",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--quiet",
    ]
    if keep_cookies:
        # Lighthouse would clear the cookies with the cache: the cache went above.
        command.append("--disable-storage-reset")
    if device == "desktop":
        command.append("--preset=desktop")
    # Lighthouse now and then fails to record a trace on a busy machine
    # (NO_NAVSTART); a second try is a new run, not a retouched result.
    for _ in range(3):
        if subprocess.run(command).returncode == 0:
            return json.loads(out.read_text())
        print(f"Lighthouse failed on {url} ({device}); trying again", file=sys.stderr)
    raise SystemExit(f"Lighthouse failed three times on {url} ({device})")


def _result(page: str, device: str, report: dict) -> Result:
    audits = report["audits"]
    return Result(
        page=page,
        device=device,
        scores={c: round((report["categories"][c]["score"] or 0) * 100) for c in CATEGORIES},
        transferred_kb=audits["total-byte-weight"]["numericValue"] / 1024,
        cls=audits["cumulative-layout-shift"]["numericValue"],
        lcp_ms=audits["largest-contentful-paint"]["numericValue"],
    )


def main() -> None:
    """Serve the demo portal, run Lighthouse on four pages twice, print the scores."""
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `make lighthouse`")
    console = Console(width=120)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with _portal(folder) as url, _chromium(folder) as debug_port:
            # Made now: building the portal empties its web folder, where they go.
            REPORTS.mkdir(parents=True, exist_ok=True)
            pages = [("/", "/"), ("/entrar", "/entrar")]
            for signed_in in (False, True):
                if signed_in:
                    invoice = _sign_in(debug_port, url)
                    pages = [("/facturas", "/facturas"), ("/factura", invoice)]
                for name, path in pages:
                    for device in ("mobile", "desktop"):
                        if ONLY and f"{name}:{device}" not in ONLY:
                            continue
                        console.print(f"Lighthouse {device} {path} ×{RUNS}")
                        runs = []
                        for run in range(RUNS):
                            out = folder / f"lh-{run}.json"
                            report = _lighthouse(
                                debug_port, url + path, device, out, keep_cookies=signed_in
                            )
                            runs.append((_result(name, device, report), out))
                        runs.sort(key=lambda r: r[0].scores["performance"])
                        median, out = runs[len(runs) // 2]
                        shutil.copy(out, REPORTS / f"{name.strip('/') or 'inicio'}-{device}.json")
                        results.append(median)

    table = Table(
        title=f"Lighthouse 12, median of {RUNS} runs (mobile: simulated slow 4G and 4x CPU)"
    )
    for column in ("page", "device", "performance", "accessibility", "best practices"):
        table.add_column(column, justify="left" if column in ("page", "device") else "right")
    for column in ("transferred", "CLS", "LCP"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            r.page,
            r.device,
            *(str(r.scores[c]) for c in CATEGORIES),
            f"{r.transferred_kb:.0f} KB",
            f"{r.cls:.3f}",
            f"{r.lcp_ms / 1000:.1f} s",
        )
    console.print(table)


if __name__ == "__main__":
    main()
