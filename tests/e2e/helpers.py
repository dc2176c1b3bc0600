"""Helpers for the browser tests: publish through the API, read the mail that arrives."""

from __future__ import annotations

import json
import re
import time
import urllib.request

from playwright.sync_api import expect

from customer_portal.demo import DEMO_PASSWORD
from tests.portal_fixtures import API_KEY

LINK = re.compile(r"https?://\S+")


def publish(portal, *invoices) -> dict:
    request = urllib.request.Request(
        portal.url + "/api/v1/invoices",
        data=json.dumps(list(invoices)).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def wait_for_email(
    mail_server, to: str, subject: str, *, after: int = 0, timeout: float = 60, portal=None
):
    """The first message to ``to`` with ``subject`` among those received after index ``after``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in mail_server.received[after:]:
            if received.rcpt_tos == [to] and received.message["Subject"] == subject:
                return received.message
        time.sleep(0.3)
    outbox = portal.cli("outbox", "--all").stdout[-3000:] if portal is not None else ""
    raise AssertionError(f"no email {subject!r} to {to} within {timeout} s\n{outbox}")


def link_in(message, contains: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return next(url for url in LINK.findall(text) if contains in url)


def log_in(page, portal, email: str, password: str, *, path: str = "/entrar") -> None:
    page.goto(portal.url + path)
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()


def signed_in(
    browser,
    portal,
    email: str = "cliente1@example.com",
    *,
    password: str = DEMO_PASSWORD,
    **context_options,
):
    """A new browser profile signed in as a demo customer, on Mis facturas.

    ``context_options`` go to ``browser.new_context`` (e.g. a phone's viewport).
    """
    context_options = {"locale": "es-ES", "accept_downloads": True, **context_options}
    page = browser.new_context(**context_options).new_page()
    page.goto(portal.url + "/entrar")
    # By id and type, not by their words: the browser's locale picks the language.
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))
    # Live: Buscar is enabled once the page is hydrated. Before that, Enter in a
    # filter does nothing (the browser would submit the form itself), so a test
    # that types at once would race the socket.
    # (Folded away on a phone, so found by its place rather than its role.)
    expect(page.locator("#filtros button[type=submit]")).to_be_enabled()
    return page


# Sums every layout shift not caused by input, from the first paint on: add it
# with page.add_init_script before goto, read it with layout_shift(page).
LAYOUT_SHIFT = """
window.__layoutShift = 0;
new PerformanceObserver((entries) => {
  for (const entry of entries.getEntries()) {
    if (!entry.hadRecentInput) window.__layoutShift += entry.value;
  }
}).observe({type: "layout-shift", buffered: true});
"""


def layout_shift(page) -> float:
    """The page's cumulative layout shift so far (needs LAYOUT_SHIFT added first)."""
    return page.evaluate("window.__layoutShift")
