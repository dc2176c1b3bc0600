"""Extracto de cuenta in Chromium: the period asked, balances that add up, the signed PDF."""

from __future__ import annotations

import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import signed_in

pytestmark = pytest.mark.e2e


def test_a_customer_asks_for_a_period_and_gets_its_statement_and_signed_pdf(
    portal, browser, tmp_path
):
    page = signed_in(browser, portal, accept_downloads=True, viewport={"width": 360, "height": 740})
    page.get_by_role("link", name="Extracto").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Extracto de cuenta")
    page.get_by_label("Desde").fill("01/01/2020")
    page.get_by_label("Hasta").fill("31/12/2026")
    page.get_by_role("button", name="Ver extracto").click()
    today = datetime.now(ZoneInfo("Europe/Madrid")).strftime("%d/%m/%Y")  # never past today
    expect(page.locator("#periodo")).to_have_text(f"Del 01/01/2020 al {today}", timeout=10_000)
    region = page.get_by_role("region", name="Movimientos en EUR")
    expect(region).to_be_visible()
    text = region.inner_text()
    assert "Saldo inicial" in text and "Saldo final" in text and "Factura F2026-1010" in text
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar extracto firmado (PDF)").click()
    saved = tmp_path / "extracto.pdf"
    download.value.save_as(saved)
    pdfsig = subprocess.run(["pdfsig", str(saved)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in pdfsig
