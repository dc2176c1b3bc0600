"""Mis facturas and Mis pagos on a 360×740 phone, and what changes a list in any browser.

The first invoice on the first screen, filters folded behind "Filtros (n)",
no layout shift, touch targets of a usable size, filters that apply as soon
as they change, dates typed day first in an English browser, and focus on the
results summary after a sort or a page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import LAYOUT_SHIFT, layout_shift, signed_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}


def summary(page):
    return page.locator("#resumen")


def filters_button(page):
    return page.get_by_role("button", name=re.compile(r"^Filtros"))


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def size(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, locator
    return box["width"], box["height"]


def test_a_phone_sees_the_first_invoice_and_unfolds_the_filters(portal, browser):
    page = signed_in(browser, portal, viewport=PHONE)
    page.goto(portal.url + "/facturas")
    first = page.locator(".rt-Card").filter(has_text="F2026-1012")
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]

    button, form = filters_button(page), page.locator("#filtros")
    expect(button).to_have_text("Filtros")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-controls", "filtros")
    expect(form).to_be_hidden()
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("Número de factura")).to_be_visible()
    button.click()
    expect(form).to_be_hidden()

    # Two filters in use: counted on the button, listed, each removable.
    page.goto(portal.url + "/facturas?estado=parcial,pendiente&vencidas=si")
    expect(filters_button(page)).to_have_text("Filtros (2)")
    remove = page.get_by_role("button", name="Quitar filtro Solo vencidas")
    expect(page.get_by_role("button", name=re.compile("Quitar filtro Estado"))).to_be_visible()
    remove.click()
    page.wait_for_url(re.compile(r"/facturas/?\?estado=parcial(%2C|,)pendiente$"))
    expect(filters_button(page)).to_have_text("Filtros (1)")
    expect(summary(page)).to_contain_text("4 facturas")


def test_mis_pagos_folds_its_filters_too(portal, browser):
    page = signed_in(browser, portal, viewport=PHONE)
    page.goto(portal.url + "/pagos?factura=F2026")
    expect(filters_button(page)).to_have_text("Filtros (1)")
    expect(filters_button(page)).to_have_attribute("aria-expanded", "false")
    first = page.locator(".rt-Card").filter(has_text="DEMO-PAGO-F2026-1010")
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    expect(page.locator("#tam")).to_be_hidden()
    filters_button(page).click()
    page.locator("#tam").select_option("10")
    page.wait_for_url(re.compile(r"factura=F2026&tam=10"))
    expect(summary(page)).to_have_text("10 pagos, ordenados por fecha, más recientes primero")


def test_the_list_does_not_jump_while_it_loads(portal, browser):
    page = signed_in(browser, portal, viewport=PHONE)
    page.add_init_script(LAYOUT_SHIFT)
    page.goto(portal.url + "/facturas")
    expect(summary(page)).to_contain_text("12 facturas")
    page.wait_for_timeout(3000)
    assert layout_shift(page) < 0.1


def test_touch_targets_are_big_enough(portal, browser):
    page = signed_in(browser, portal, viewport=PHONE)
    page.goto(portal.url + "/facturas?tam=10")
    expect(summary(page)).to_contain_text("página 1 de 2")
    pdf = page.get_by_role("button", name="Descargar PDF de la factura F2026-1012")
    pager = [page.get_by_role("button", name=n) for n in ("Anterior", "Siguiente")]
    for target in [pdf, *pager, filters_button(page)]:
        assert min(size(target)) >= 44, target
    filters_button(page).click()
    for target in [
        page.locator("#tam"),
        page.locator("label[for=estado_cobrado]"),
        page.locator("label[for=vencidas_si]"),
        page.get_by_role("button", name="Buscar"),
    ]:
        assert size(target)[1] >= 44, target
    # The whole label ticks its box.
    page.get_by_text("Solo vencidas").click()
    page.wait_for_url(re.compile(r"vencidas=si"))

    desk = signed_in(browser, portal)
    for header in ("número", "fecha", "total", "estado"):
        target = desk.get_by_role("button", name=f"Ordenar por {header}")
        assert size(target)[1] >= 44, header
    assert size(desk.get_by_role("button", name=re.compile("Descargar PDF")).first)[1] >= 24


def test_por_pagina_and_checkboxes_apply_at_once(portal, browser):
    page = signed_in(browser, portal)
    expect(summary(page)).to_contain_text("12 facturas")
    # From 768 px the filters are always shown: no button to unfold them.
    expect(filters_button(page)).to_be_hidden()
    page.locator("#tam").select_option("10")
    page.wait_for_url(re.compile(r"tam=10"))
    expect(summary(page)).to_contain_text("12 facturas · página 1 de 2")
    expect(page.locator("table tbody tr")).to_have_count(10)
    # Changing a setting does not take the customer elsewhere: focus stays on it.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'tam'")

    page.locator("label[for=estado_pendiente]").click()
    page.wait_for_url(re.compile(r"estado=pendiente"))
    expect(summary(page)).to_contain_text("2 facturas")
    expect(page.locator("table tbody tr")).to_have_count(2)
    expect(page.locator("#tam")).to_have_value("10")
    expect(page.locator("#estado_pendiente")).to_be_checked()
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'estado_pendiente'"
    )


def test_dates_are_typed_day_first_in_an_english_browser(portal, browser):
    # The page speaks English to an English browser, and dates stay day first.
    page = signed_in(browser, portal, locale="en-US", viewport=PHONE)
    page.get_by_role("button", name=re.compile(r"^Filters")).click()
    since = page.get_by_role("textbox", name="From")
    expect(since).to_have_attribute("placeholder", "dd/mm/yyyy")
    expect(since).to_have_attribute("inputmode", "numeric")
    # The 5th of March: the invoices of April to December (the 1st of each month).
    since.fill("05/03/2026")
    since.press("Enter")
    page.wait_for_url(re.compile(r"desde=2026-03-05"))
    expect(summary(page)).to_contain_text("9 invoices")
    expect(page.get_by_role("textbox", name="From")).to_have_value("05/03/2026")
    expect(page.get_by_role("button", name="Remove filter From 05/03/2026")).to_be_visible()

    until = page.get_by_role("textbox", name="To")
    until.fill("31/02/2026")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("“31/02/2026” is not a valid date")).to_be_visible()
    expect(until).to_have_attribute("aria-invalid", "true")
    assert "hasta=" not in page.url
    expect(summary(page)).to_contain_text("9 invoices")


def test_a_reversed_range_says_so_even_with_the_filters_folded(portal, browser):
    page = signed_in(browser, portal, viewport=PHONE)
    page.goto(portal.url + "/pagos?desde=2026-05-01&hasta=2026-04-01")
    expect(page.get_by_text("La fecha «Desde» es posterior a «Hasta».")).to_be_visible()
    expect(page.get_by_role("textbox", name="Desde")).to_have_value("01/05/2026")


def test_focus_goes_to_the_summary_after_a_sort_and_a_page(portal, browser):
    page = signed_in(browser, portal)
    page.goto(portal.url + "/facturas?tam=10")
    expect(summary(page)).to_have_text(
        "12 facturas · página 1 de 2, ordenadas por fecha, más recientes primero"
    )
    page.get_by_role("button", name="Ordenar por número").click()
    page.wait_for_url(re.compile(r"orden=numero"))
    expect(summary(page)).to_contain_text("ordenadas por número, de menor a mayor")
    expect(page.get_by_role("columnheader", name="Ordenar por número")).to_have_attribute(
        "aria-sort", "ascending"
    )
    page.wait_for_function("document.activeElement && document.activeElement.id === 'resumen'")

    page.get_by_role("button", name="Siguiente").click()
    expect(summary(page)).to_contain_text("página 2 de 2")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'resumen'")
    assert focused_id(page) == "resumen"


def test_amounts_keep_their_spanish_form(portal, browser):
    page = signed_in(browser, portal)
    minimum = page.get_by_label("Importe mínimo (€)")
    expect(minimum).to_have_attribute("inputmode", "decimal")
    minimum.fill("1.000,50")
    minimum.press("Enter")
    page.wait_for_url(re.compile(r"min=1\.000(%2C|,)50"))
    expect(page.get_by_label("Importe mínimo (€)")).to_have_value("1.000,50")
    expect(
        page.get_by_role("button", name="Quitar filtro Importe mínimo: 1.000,50 €")
    ).to_be_visible()
