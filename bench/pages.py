"""Page weight and first render of /entrar and /facturas in headless Chromium.

Serves the demo portal as `make run` does (see :mod:`bench.lighthouse`) and
opens each page ``RUNS`` times in a fresh browser profile (an empty cache),
unthrottled, on loopback, recording through the DevTools protocol every
byte received (headers included) and when the page became usable:

- ``/entrar``: when the "Entrar" button is painted. The form is a plain
  HTML form posted to the server, so it works from then on, before the
  page's scripts have run; "live" is when they have (the websocket is up).
- ``/facturas`` (signed in, the browser's first visit to the page): when
  the first invoice is on screen, and when "Buscar" is enabled (live).

Then the same page again in the same profile (a second visit) to show what
the long-lived caching of hashed assets saves, and which responses carry it.
Medians of the runs; results in ``bench/results/pages.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.common import machine, results_file
from bench.lighthouse import CHROMIUM, DEMO_EMAIL, _portal
from customer_portal.demo import DEMO_PASSWORD

RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "5"))
RESULTS = results_file("pages.json")
#: The issue's aims: a first visit to /entrar under 250 KB, its button usable within 1 s.
WEIGHT_AIM_KB = 250
USABLE_AIM_MS = 1000

# Milliseconds since navigation start at which ``selector`` is on screen and enabled.
_WHEN_READY = """
async (selector) => {
  for (;;) {
    const element = document.querySelector(selector);
    if (element && !element.disabled && element.getBoundingClientRect().height > 0) {
      // On screen means painted: wait for the next frame to be drawn.
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
      return performance.now();
    }
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}
"""


@dataclass(frozen=True)
class Visit:
    """One page load: what came over the wire and when the page was ready."""

    page: str
    visit: str
    kilobytes: float
    requests: int
    usable_ms: float
    live_ms: float


class _Wire:
    """Bytes received by one page, from the DevTools protocol's Network domain."""

    def __init__(self, page):
        self.bytes = 0
        self.requests = 0
        session = page.context.new_cdp_session(page)
        session.on("Network.loadingFinished", self._finished)
        session.send("Network.enable")

    def _finished(self, event: dict) -> None:
        self.bytes += event["encodedDataLength"]
        self.requests += 1


def _visit(page, url: str, name: str, visit: str, usable: str, live: str) -> Visit:
    wire = _Wire(page)
    page.goto(url, wait_until="commit")
    usable_ms = page.evaluate(_WHEN_READY, usable)
    live_ms = page.evaluate(_WHEN_READY, live)
    page.wait_for_load_state("networkidle")
    return Visit(name, visit, wire.bytes / 1024, wire.requests, usable_ms, live_ms)


def _sign_in(page, url: str) -> None:
    page.goto(f"{url}/entrar")
    page.locator("input[name=email]").fill(DEMO_EMAIL)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/facturas**")


def _cache_headers(page, url: str) -> dict[str, str]:
    """Cache-Control of each response of a fresh load of ``url``, by path."""
    seen: dict[str, str] = {}
    page.on(
        "response",
        lambda r: seen.setdefault(r.url.split("?")[0], r.headers.get("cache-control", "")),
    )
    page.goto(url, wait_until="networkidle")
    return seen


def measure(url: str) -> tuple[list[Visit], dict[str, str]]:
    """``RUNS`` first and second visits of each page, and the caching headers seen."""
    from playwright.sync_api import sync_playwright

    button = "form button[type=submit]"
    live_button = f"html[data-portal-live] {button}"
    invoice = "a[href*='/factura?numero=']"
    search = "#filtros button[type=submit]"
    visits: list[Visit] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for _ in range(RUNS):
            context = browser.new_context(locale="es-ES")
            context.add_init_script(_MARK_LIVE)
            page = context.new_page()
            for visit in ("first", "second"):
                visits.append(_visit(page, f"{url}/entrar", "/entrar", visit, button, live_button))
            _sign_in(page, url)
            # A new profile with only the session cookie: /facturas on an empty cache.
            signed_in = browser.new_context(locale="es-ES", storage_state=context.storage_state())
            context.close()
            signed_in.add_init_script(_MARK_LIVE)
            page = signed_in.new_page()
            for visit in ("first", "second"):
                visits.append(_visit(page, f"{url}/facturas", "/facturas", visit, invoice, search))
            signed_in.close()
        headers = _cache_headers(browser.new_context().new_page(), f"{url}/entrar")
        browser.close()
    return visits, headers


# Marks the document once Reflex's websocket is connected, so "live" is a selector.
_MARK_LIVE = """
(() => {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      const mark = () => document.documentElement.setAttribute("data-portal-live", "");
      this.addEventListener("open", mark);
    }
  };
})();
"""


def _median(visits: list[Visit], page: str, visit: str) -> Visit:
    chosen = [v for v in visits if v.page == page and v.visit == visit]
    return Visit(
        page,
        visit,
        statistics.median(v.kilobytes for v in chosen),
        round(statistics.median(v.requests for v in chosen)),
        statistics.median(v.usable_ms for v in chosen),
        statistics.median(v.live_ms for v in chosen),
    )


def main() -> None:
    console = Console()
    with tempfile.TemporaryDirectory() as tmp, _portal(Path(tmp)) as url:
        console.print(f"Loading /entrar and /facturas {RUNS} times each in Chromium…")
        visits, headers = measure(url)
    medians = [_median(visits, p, v) for p in ("/entrar", "/facturas") for v in ("first", "second")]
    table = Table(title=f"Pages on loopback, unthrottled (median of {RUNS})")
    for column in ("page", "visit", "KB received", "requests", "usable", "live"):
        table.add_column(column, justify="left" if column in ("page", "visit") else "right")
    for m in medians:
        table.add_row(
            m.page,
            m.visit,
            f"{m.kilobytes:.0f}",
            str(m.requests),
            f"{m.usable_ms:.0f} ms",
            f"{m.live_ms:.0f} ms",
        )
    console.print(table)
    first, second = medians[0], medians[1]
    hashed = {path: value for path, value in headers.items() if "/assets/" in path}
    immutable = sum("immutable" in value for value in hashed.values())
    console.print(
        f"/entrar, first visit: {first.kilobytes:.0f} KB ({first.kilobytes / WEIGHT_AIM_KB:.2f}x "
        f"the {WEIGHT_AIM_KB} KB aim), button usable at {first.usable_ms:.0f} ms "
        f"({first.usable_ms / USABLE_AIM_MS:.2f}x the 1 s aim); a second visit receives "
        f"{second.kilobytes / first.kilobytes:.0%} of the bytes. Hashed assets cached for a "
        f"year, immutable: {immutable} of {len(hashed)}."
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "machine": machine(),
                "runs": RUNS,
                "medians": [asdict(m) for m in medians],
                "hashed_assets": len(hashed),
                "hashed_assets_immutable": immutable,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(main())
