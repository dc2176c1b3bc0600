"""Mis pagos in the browser: reached from the nav, filters in the URL, sort, phone, isolation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import signed_in

pytestmark = pytest.mark.e2e

OTHER = "administracion@ferreteria-munoz.example.com"


def summary(page):
    return page.locator("#resumen")


def references(page):
    return page.locator("table tbody tr td:last-child").all_inner_texts()


def test_nav_marks_the_page_and_filters_live_in_the_url(portal, browser):
    page = signed_in(browser, portal)
    nav = page.get_by_role("navigation", name="Cuenta")
    expect(nav.get_by_role("link", name="Mis facturas")).to_have_attribute("aria-current", "page")
    nav.get_by_role("link", name="Mis pagos").click()
    page.wait_for_url(re.compile(r"/pagos/?$"))
    expect(nav.get_by_role("link", name="Mis pagos")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Mis facturas")).not_to_have_attribute(
        "aria-current", "page"
    )
    # cliente1: ten payments, newest first (October's half payment of F2026-1010).
    expect(summary(page)).to_contain_text("10 pagos")
    assert references(page)[0] == "DEMO-PAGO-F2026-1010"

    page.get_by_label("Número de factura").fill("1003")
    page.get_by_role("button", name="Buscar").click()
    page.wait_for_url(re.compile(r"factura=1003"))
    expect(summary(page)).to_have_text("1 pago")
    assert references(page) == ["DEMO-PAGO-F2026-1003"]

    page.goto(portal.url + "/pagos?desde=2026-03-01&hasta=2026-05-31")
    expect(summary(page)).to_contain_text("3 pagos")
    # Shown day first; the URL keeps ISO dates (and so do old bookmarks).
    expect(page.get_by_role("textbox", name="Desde")).to_have_value("01/03/2026")

    page.goto(portal.url + "/pagos")
    page.get_by_role("button", name="Ordenar por factura").click()
    page.wait_for_url(re.compile(r"orden=factura"))
    expect(page.locator("table tbody tr").first).to_contain_text("F2026-1001")
    header = page.get_by_role("columnheader", name="Ordenar por factura")
    expect(header).to_have_attribute("aria-sort", "ascending")

    page.get_by_role("link", name="F2026-1001").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Factura F2026-1001")


def test_another_customer_sees_only_their_own_payments(portal, browser):
    thief = signed_in(browser, portal, OTHER)
    thief.goto(portal.url + "/pagos")
    expect(summary(thief)).to_contain_text("10 pagos")
    assert all(ref.startswith("DEMO-PAGO-F2026-2") for ref in references(thief))
    thief.goto(portal.url + "/pagos?factura=F2026-1001")
    expect(thief.get_by_text("Ningún resultado con estos filtros.")).to_be_visible()
    assert "DEMO-PAGO-F2026-1" not in thief.content()


def test_signed_out_visitors_go_to_entrar_and_come_back(portal, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(portal.url + "/pagos?factura=1003")
    page.wait_for_url(re.compile(r"/entrar/?\?next="))
    assert "DEMO-PAGO" not in page.content()
    context.close()


def test_a_phone_gets_cards(portal, browser):
    page = signed_in(browser, portal, viewport={"width": 360, "height": 740})
    page.goto(portal.url + "/pagos")
    expect(page.get_by_text("10 pagos")).to_be_visible()
    expect(page.get_by_text("Referencia DEMO-PAGO-F2026-1010")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
