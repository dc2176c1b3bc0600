"""An outside accountant of two companies in Chromium: the switcher, and nothing of a third.

The demo's gestoria@example.com is a person of CLI-0001 and CLI-0002; CLI-0003
is someone else's.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import signed_in
from tests.e2e.test_accessibility import serious

pytestmark = pytest.mark.e2e

ACCOUNTANT = "gestoria@example.com"


def numbers(page) -> set[str]:
    page.locator("#resumen").wait_for()
    return set(page.locator("table a").filter(has_text=re.compile(r"^F\d")).all_inner_texts())


def test_the_accountant_switches_between_their_companies_only(portal, browser):
    page = signed_in(browser, portal, email=ACCOUNTANT)
    switcher = page.get_by_label("Cliente", exact=True)
    expect(switcher).to_have_value("CLI-0001")  # the first by name
    first = numbers(page)
    assert first and serious(page) == []

    switcher.select_option(label="Ferretería Muñoz Pérez S.L.")
    page.get_by_role("button", name="Ver", exact=True).click()
    page.wait_for_url(re.compile(r"/facturas/?\?cliente=CLI-0002"))
    expect(page.get_by_label("Cliente", exact=True)).to_have_value("CLI-0002")
    second = numbers(page)
    assert second and not (second & first)

    # The choice travels with the sections and survives a filter change.
    page.get_by_role("link", name="Mis pagos").click()
    page.wait_for_url(re.compile(r"/pagos/?\?cliente=CLI-0002"))
    page.get_by_role("link", name="Mis facturas").click()
    page.wait_for_url(re.compile(r"/facturas/?\?cliente=CLI-0002"))
    page.locator("#estado_pendiente").check()
    expect(page).to_have_url(re.compile(r"cliente=CLI-0002"))
    # An invoice of the second company opens, whatever company is chosen.
    number = sorted(second)[0]
    page.goto(portal.url + f"/factura?numero={number}&cliente=CLI-0001")
    expect(page.get_by_role("heading", name=re.compile(number))).to_be_visible()

    # Another company's code in the URL shows nothing of it.
    page.goto(portal.url + "/facturas?cliente=CLI-0003")
    expect(page.get_by_label("Cliente", exact=True)).to_have_value("CLI-0001")
    assert numbers(page) == first


def test_one_companys_person_sees_no_switcher(portal, browser):
    page = signed_in(browser, portal)  # cliente1@example.com: CLI-0001 only
    expect(page.get_by_label("Cliente", exact=True)).to_have_count(0)
    expect(page.locator(".nombre-cliente")).to_have_text("CLIENTE PRUEBA CUSTOMER WEB 1")


def test_the_switcher_on_a_phone(portal, browser):
    page = signed_in(browser, portal, email=ACCOUNTANT, viewport={"width": 360, "height": 740})
    switcher = page.get_by_label("Cliente", exact=True)
    expect(switcher).to_be_visible()
    box = switcher.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 360  # tappable, on screen
    assert serious(page) == []
