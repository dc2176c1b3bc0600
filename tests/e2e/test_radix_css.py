"""The cut-down Radix stylesheet against the real thing: the installed Radix and the drawn pages.

``assets/radix/`` keeps only the rules of the Radix components the portal
draws and of the layout props it sets (customer_portal/components/radix_css.py).
These tests fail when Radix's version changes without regenerating the files,
or when a page starts drawing a Radix class whose rules were dropped (it
would show unstyled).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from customer_portal.components.radix_css import OUTPUT, UTILITIES, cut, is_kept
from tests.e2e.helpers import signed_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
# Every Radix class on the page: components ("rt-Button") and utilities ("sm:rt-r-gtc-3").
CLASSES = """
[...new Set([...document.querySelectorAll('[class*="rt-"]')]
  .flatMap(e => [...e.classList]).filter(c => /^([a-z]+:)?rt-/.test(c)))]
"""


def _installed(portal) -> Path:
    return Path(portal.env["REFLEX_WEB_WORKDIR"]) / "node_modules/@radix-ui/themes"


def test_the_files_are_what_the_installed_radix_cuts_down_to(portal):
    for output in (OUTPUT, UTILITIES):
        original = (_installed(portal) / output.name).read_text()
        assert output.read_text() == cut(original, output.name), (
            f"regenerate: python -m customer_portal.components.radix_css {_installed(portal)}"
        )


def _drawn(page) -> set[str]:
    return set(page.evaluate(CLASSES))


def _rule_for(css: str, name: str) -> bool:
    """Whether ``css`` has a selector with the class ``name`` (``sm:`` escaped as in CSS)."""
    escaped = re.escape("." + name.replace(":", "\\:"))
    return re.search(escaped + r"(?![\w-])", css) is not None


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}])
def test_every_radix_component_a_page_draws_keeps_its_rules(portal, browser, viewport):
    page = signed_in(browser, portal, viewport=viewport)
    drawn = _drawn(page)
    for path, ready in [
        ("/facturas?orden=estado", "#resumen"),
        ("/facturas?numero=NADA", "#resumen"),
        ("/factura?numero=F2026-1010", "text=Conceptos"),
        ("/factura?numero=NO-EXISTE", "main h1"),
        ("/pagos", "#resumen"),
        ("/cuenta", "text=Sesiones abiertas"),
        ("/no-existe", "main h1"),
    ]:
        page.goto(portal.url + path)
        expect(page.locator(ready).first).to_be_visible()
        drawn |= _drawn(page)
    page.context.clear_cookies()
    for path in ("/", "/entrar", "/recuperar"):
        page.goto(portal.url + path)
        expect(page.locator("main h1").first).to_be_visible()
        drawn |= _drawn(page)
    # As prerendered, before any script: the placeholders a list shows while it loads.
    still = browser.new_context(viewport=viewport, java_script_enabled=False).new_page()
    for path in ("/facturas", "/factura?numero=F2026-1010", "/pagos", "/cuenta"):
        still.goto(portal.url + path)
        drawn |= _drawn(still)
    assert "rt-Skeleton" in drawn
    components = {c.removeprefix("rt-") for c in drawn if re.fullmatch(r"rt-[A-Z]\w*", c)}
    assert {"Button", "Card" if viewport is PHONE else "TableRoot", "Badge"} <= components
    assert not {c for c in components if not is_kept(c)}, "add to radix_css.KEPT"
    # A utility class Radix has a rule for keeps it (rt-r-size-2 lives with its component).
    original, kept = (_installed(portal) / "utilities.css").read_text(), UTILITIES.read_text()
    utilities = {c for c in drawn if "rt-r-" in c}
    assert any(c.startswith("rt-r-gap-") for c in utilities)
    dropped = {c for c in utilities if _rule_for(original, c) and not _rule_for(kept, c)}
    assert not dropped, "add to radix_css.KEPT_UTILITIES"
