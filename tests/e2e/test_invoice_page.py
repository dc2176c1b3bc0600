"""Ver factura in Chromium: reflow on a phone, the signer in plain words, the tab's title."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LAYOUT_SHIFT, layout_shift, signed_in

pytestmark = pytest.mark.e2e

INVOICE = "/factura?numero=F2026-1010"  # cliente1's: 4 lines, partly paid, overdue
PHONE = {"viewport": {"width": 360, "height": 740}}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}

# Every visible element that reaches past the viewport's right edge.
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.right > window.innerWidth + 0.5;
  })
  .map((el) => el.tagName + (el.id ? '#' + el.id : '') + ' ' + el.textContent.slice(0, 30))"""


def open_invoice(browser, portal, **context):
    page = signed_in(browser, portal, **context)
    page.goto(portal.url + INVOICE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Factura F2026-1010")
    return page


def test_on_a_phone_the_lines_are_cards_and_nothing_is_cut(portal, browser):
    page = open_invoice(browser, portal, **PHONE)
    cards = page.locator("#conceptos-tarjetas > li")
    expect(cards).to_have_count(4)
    expect(page.get_by_role("region", name="Conceptos")).to_be_hidden()
    last = cards.nth(3)
    for label, value in (("Impuesto", "IGIC 7 %"), ("Importe", "5,85 €")):
        expect(last.get_by_text(label, exact=True)).to_be_visible()
        expect(last.get_by_text(value, exact=True)).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert page.evaluate(OVERFLOWING) == []
    # The page's own controls are thumb-sized.
    assert page.get_by_role("button", name="Descargar PDF").bounding_box()["height"] >= 44
    assert page.locator("#certificado summary").bounding_box()["height"] >= 44
    # The status comes from the shared badge: red, and saying it is overdue.
    expect(page.get_by_text("Cobrado parcialmente · vencida")).to_be_visible()


def test_on_a_desktop_the_lines_are_a_table_a_keyboard_can_scroll(portal, browser):
    page = open_invoice(browser, portal, **DESKTOP)
    expect(page.locator("#conceptos-tarjetas")).to_be_hidden()
    region = page.get_by_role("region", name="Conceptos")
    expect(region).to_be_visible()
    expect(region).to_have_attribute("tabindex", "0")
    headers = region.locator("th").all_inner_texts()
    assert headers == ["Descripción", "Cantidad", "Precio unitario", "Impuesto", "Importe"]
    expect(region.locator("tbody tr")).to_have_count(4)
    assert page.evaluate(OVERFLOWING) == []


@pytest.mark.parametrize("context", [PHONE, DESKTOP], ids=["360", "1280"])
def test_the_signer_is_named_and_the_certificate_opens_with_the_keyboard(portal, browser, context):
    page = open_invoice(browser, portal, **context)
    line = page.locator("#firma")
    expect(line).to_have_text(
        re.compile(
            r"^Firmada digitalmente por Link Soluciones el \d\d/\d\d/\d{4} \d\d:\d\d, "
            r"hora de España \(Madrid\)\.$"
        )
    )
    assert "Common Name" not in page.content()
    details = page.locator("#certificado")
    expect(details.get_by_text("Emitido por")).to_be_hidden()

    summary = details.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")
    for label, value in (
        ("Nombre común", "Link Soluciones (firma de facturas, demo)"),
        ("Organización", "Link Soluciones"),
        ("País", "España (ES)"),
        ("Emitido por", "Link Soluciones Demo CA (solo pruebas)"),
    ):
        expect(details.get_by_text(label, exact=True)).to_be_visible()
        expect(details.get_by_text(value, exact=True)).to_be_visible()
    expect(details.get_by_text(re.compile(r"^([0-9A-F]{2}:)+[0-9A-F]{2}$"))).to_be_visible()
    validity = re.compile(r"^del \d\d/\d\d/\d{4} al \d\d/\d\d/\d{4}$")
    expect(details.get_by_text(validity)).to_be_visible()
    page.keyboard.press("Space")
    expect(details.get_by_text("Emitido por")).to_be_hidden()


def test_the_tab_title_names_the_invoice(portal, browser):
    page = open_invoice(browser, portal, **DESKTOP)
    expect(page).to_have_title("Factura F2026-1010 · Link Customer Portal Web")
    page.goto(portal.url + "/factura?numero=no-existe")
    expect(page.get_by_role("heading", level=1)).to_have_text("Factura no encontrada")
    expect(page).to_have_title("Factura no encontrada · Link Customer Portal Web")
    # Leaving the page gives the tab back to the next page's title.
    page.get_by_role("link", name="Volver a Mis facturas").click()
    expect(page).to_have_title(re.compile(r"^Mis facturas · "))


def test_the_page_does_not_jump_when_the_invoice_arrives(portal, browser):
    # A slow phone: the prerendered frame paints well before the invoice comes
    # over the websocket; the footer must not be pushed down when it does.
    page = signed_in(browser, portal, **PHONE)
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.add_init_script(LAYOUT_SHIFT)
    page.goto(portal.url + INVOICE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Factura F2026-1010")
    page.wait_for_timeout(2000)
    assert layout_shift(page) < 0.1


def test_ver_pdf_opens_the_signed_pdf_in_a_new_tab(portal, browser, tmp_path):
    page = open_invoice(browser, portal, **DESKTOP)
    responses = []
    page.context.on(
        "response",
        lambda r: responses.append(r) if r.url.split("?")[0].count("/api/v1/descargas/") else None,
    )
    link = page.get_by_role("link", name=re.compile("Ver PDF"))
    expect(link).to_have_attribute("target", "_blank")
    with page.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    deadline = 50
    while not responses and deadline:
        tab.wait_for_timeout(100)
        deadline -= 1
    shown = responses[-1]
    assert shown.status == 200 and shown.url.endswith("?ver=1")
    assert shown.headers["content-type"] == "application/pdf"
    assert shown.headers["content-disposition"].startswith("inline; ")
    stored = tmp_path / "stored.pdf"
    portal.cli("pdf", "F2026-1010", "--output", str(stored))
    # The tab shows it in Chromium's viewer; the same link, with the same cookie, is the PDF.
    assert tab.context.request.get(shown.url).body() == stored.read_bytes()
