"""Verificar factura in Chromium: a code typed or scanned, the original, a file compared."""

from __future__ import annotations

import subprocess
from urllib.parse import urlsplit

import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.helpers import signed_in

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 740}}


def the_code(browser, portal) -> str:
    """F2026-1010's code, as its customer reads it on Ver factura."""
    page = signed_in(browser, portal)
    page.goto(portal.url + "/factura?numero=F2026-1010")
    code = page.locator("#codigo-verificacion").inner_text()
    page.context.close()
    return code


def test_anyone_with_the_code_sees_the_invoice_gets_the_original_and_compares_a_file(
    portal, browser, tmp_path
):
    code = the_code(browser, portal)
    assert len(code) == 24 and code.count("-") == 4

    # An auditor on a phone, without an account, types it as people do.
    page = browser.new_context(accept_downloads=True, **PHONE).new_page()
    page.goto(portal.url + "/verificar")
    page.get_by_label("Código seguro de verificación").fill(code.replace("-", " ").lower())
    page.get_by_role("button", name="Comprobar").click()
    expect(page.get_by_role("heading", level=2).first).to_have_text("Factura F2026-1010")
    body = page.locator("main").inner_text()
    for fact in ("Link Soluciones S.L.", "Cobrado parcialmente", code):
        assert fact in body
    assert "CLIENTE PRUEBA" not in body and "cliente1" not in body  # nothing of the customer
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360

    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar el original firmado").click()
    original = tmp_path / "original.pdf"
    download.value.save_as(original)
    stored = tmp_path / "stored.pdf"
    assert portal.cli("pdf", "F2026-1010", "--output", str(stored)).returncode == 0
    assert original.read_bytes() == stored.read_bytes()

    page.get_by_label("Archivo PDF de la factura").set_input_files(str(original))
    page.get_by_role("button", name="Comparar con el original").click()
    expect(page.get_by_role("status").filter(has_text="idéntico, byte a byte")).to_be_visible()

    tampered = tmp_path / "tampered.pdf"
    data = bytearray(original.read_bytes())
    data[len(data) // 3] ^= 0x01
    tampered.write_bytes(bytes(data))
    page.get_by_label("Archivo PDF de la factura").set_input_files(str(tampered))
    page.get_by_role("button", name="Comparar con el original").click()
    expect(page.get_by_role("alert").filter(has_text="no es la factura original")).to_be_visible()
    violations = [
        v["id"]
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert violations == []

    # The QR printed on the PDF, scanned from the page's image, opens the same answer.
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(original),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    scanned = [b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "page-1.png"))]
    assert len(scanned) == 1 and urlsplit(scanned[0]).path == "/verificar"
    link = urlsplit(scanned[0])
    page.goto(f"{portal.url}{link.path}?{link.query}")
    expect(page.get_by_role("heading", level=2).first).to_have_text("Factura F2026-1010")


def test_a_wrong_code_and_an_unknown_one_get_the_same_answer(portal, browser):
    page = browser.new_context().new_page()
    answers = []
    for typed in ("7KQ2-9XMD-4H1B-ZC0R-W5TE", "esto no es un código"):
        page.goto(portal.url + "/verificar")
        page.get_by_label("Código seguro de verificación").fill(typed)
        page.get_by_role("button", name="Comprobar").click()
        alert = page.get_by_role("alert").filter(has_text="No hay ninguna factura")
        expect(alert).to_be_visible()
        answers.append(alert.inner_text())
    assert answers[0] == answers[1]
    expect(page.get_by_role("heading", level=2)).to_have_count(0)
