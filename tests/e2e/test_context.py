"""Where a customer is and how they get on: home, logo, Salir, deep links, unknown pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from customer_portal.demo import DEMO_PASSWORD
from tests.e2e.helpers import signed_in

pytestmark = pytest.mark.e2e


def test_an_unknown_address_gets_a_page_in_the_browser_language_with_a_way_back(portal, browser):
    english = browser.new_context(locale="en-US").new_page()
    english.goto(portal.url + "/no-existe/de-verdad")
    expect(english.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(english).to_have_title(re.compile(r"^Page not found · "))
    expect(english.get_by_role("link", name="Go to the home page")).to_be_visible()

    page = browser.new_context(locale="es-ES").new_page()
    page.goto(portal.url + "/no-existe/de-verdad")
    expect(page.get_by_role("heading", level=1)).to_have_text("Página no encontrada")
    expect(page).to_have_title(re.compile(r"^Página no encontrada · "))
    assert "Page not found" not in page.content()
    # The portal's header and the skip link, as on every page.
    expect(page.locator("header a[aria-label$=': inicio']")).to_be_visible()
    expect(page.get_by_role("link", name="Saltar al contenido")).to_be_attached()
    page.get_by_role("link", name="Ir al inicio").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Entrar")).to_be_visible()


def test_home_offers_entrar_as_one_link(portal, page):
    page.goto(portal.url + "/")
    expect(page.get_by_role("link", name="Entrar", exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name="Entrar")).to_have_count(0)
    box = page.get_by_role("link", name="Entrar", exact=True).bounding_box()
    assert box["height"] >= 40


def test_home_and_logo_take_a_signed_in_customer_to_their_invoices(portal, browser):
    page = signed_in(browser, portal)
    page.goto(portal.url + "/pagos")
    page.get_by_role("link", name=re.compile(r"inicio$")).click()
    page.wait_for_url(re.compile(r"/facturas/?$"))
    page.goto(portal.url + "/")
    page.wait_for_url(re.compile(r"/facturas/?$"))


def test_salir_says_so(portal, browser):
    page = signed_in(browser, portal)
    page.get_by_role("button", name="Salir").click()
    page.wait_for_url(re.compile(r"/entrar"))
    expect(page.get_by_text("Ha salido del portal.")).to_be_visible()
    # Said, not only shown: the heading and the server's answer, focus on the heading.
    expect(page.locator("#anuncio")).to_have_text(re.compile(r"^Entrar\. Ha salido del portal"))
    expect(page.get_by_role("heading", level=1)).to_be_focused()


def test_a_deep_link_says_why_entrar_is_asked_and_returns(portal, browser):
    page = browser.new_context(locale="es-ES").new_page()
    page.goto(portal.url + "/factura?numero=F2026-1003")
    page.wait_for_url(re.compile(r"/entrar/?\?next="))
    expect(page.get_by_text("Entre para ver la factura F2026-1003")).to_be_visible()
    page.get_by_label("Correo electrónico").fill("cliente1@example.com")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Factura F2026-1003")
