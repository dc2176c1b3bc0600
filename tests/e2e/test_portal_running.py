"""`make run`'s portal: pages and HTTP API on one address, demo data seeded."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest

from tests.factories import invoice_input
from tests.portal_fixtures import API_KEY

pytestmark = pytest.mark.e2e


def test_home_page_renders_in_chromium(portal, page):
    page.goto(portal.url + "/")
    heading = page.get_by_role("heading", level=1)
    heading.wait_for(timeout=30_000)
    assert heading.inner_text() == "Link Customer Portal Web"
    body = page.locator("body").inner_text()
    assert "Cobrado, Cobrado parcialmente, Pendiente" in body
    assert "928 472 915" in body and "#nuestrocompromisoerestu" in body
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.title() == "Link Customer Portal Web"
    logo_loaded = page.evaluate(
        "() => { const i = document.querySelector('img'); return i.complete && i.naturalWidth > 0 }"
    )
    assert logo_loaded


def test_home_page_fits_a_phone(portal, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(portal.url + "/")
    page.get_by_role("heading", level=1).wait_for(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_api_on_the_same_port_publishes_a_signed_invoice(portal, tmp_path):
    request = urllib.request.Request(
        portal.url + "/api/v1/invoices",
        data=json.dumps([invoice_input("E2E-1")]).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        assert json.load(response)["results"] == [{"id": "E2E-1", "status": "published"}]

    out = tmp_path / "E2E-1.pdf"
    assert portal.cli("pdf", "E2E-1", "--output", str(out)).returncode == 0
    pdfsig = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in pdfsig and "ETSI.CAdES.detached" in pdfsig


def test_demo_data_is_seeded(portal, tmp_path):
    out = tmp_path / "demo.pdf"
    run = portal.cli("pdf", "F2026-1001", "--output", str(out))
    assert run.returncode == 0, run.stderr
    assert portal.cli("verify", str(out)).stdout.startswith("VALID")
