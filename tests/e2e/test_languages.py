"""Spanish and English in Chromium: the browser's language, «Idioma», a person's saved choice."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from customer_portal.demo import DEMO_ACCOUNTANT, DEMO_PASSWORD
from tests.e2e.test_accessibility import serious

pytestmark = pytest.mark.e2e


def choose(page, language: str) -> None:
    """«Idioma» in the footer: pick and send (a plain form: the page comes back)."""
    page.locator("#idioma").select_option(label=language)
    page.locator("form.idioma button[type=submit]").click()
    page.wait_for_load_state("load")


def test_an_english_browser_gets_english_from_the_first_page(portal, browser):
    page = browser.new_context(locale="en-US").new_page()
    page.goto(portal.url + "/entrar")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title(re.compile(r"^Sign in · "))
    assert "Contraseña" not in page.locator("body").inner_text()
    # The browser's own complaint about an empty field, in the page's language.
    page.get_by_role("button", name="Sign in").click()
    message = page.locator("#email").evaluate("field => field.validationMessage")
    assert message == "Fill in this field."
    assert serious(page) == []


def test_the_picker_keeps_the_choice_in_this_browser(portal, browser):
    page = browser.new_context(locale="en-US").new_page()
    page.goto(portal.url + "/entrar?next=%2Fpagos")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    choose(page, "Español")
    expect(page).to_have_url(re.compile(r"/entrar/?\?next=%2Fpagos$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Entrar")
    page.reload()  # the cookie beats the browser's English
    expect(page.get_by_role("heading", level=1)).to_have_text("Entrar")
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_an_accountant_choice_follows_them_to_another_browser(portal, browser):
    spanish = browser.new_context(locale="es-ES").new_page()
    _sign_in(spanish, portal, button="Entrar")
    expect(spanish.get_by_role("heading", level=1)).to_have_text("Mis facturas")
    try:
        choose(spanish, "English")
        expect(spanish.get_by_role("heading", level=1)).to_have_text("My invoices")
        # Statuses and the switcher come from the server: English too.
        expect(spanish.get_by_label("Customer", exact=True)).to_be_visible()
        body = spanish.locator("main").inner_text()
        assert re.search(r"\b(Paid|Pending|Partially paid)\b", body)
        assert not re.search(r"\b(Cobrado|Pendiente)\b", body)
        assert serious(spanish) == []

        # A Spanish browser elsewhere, never told: the saved choice wins once signed in.
        other = browser.new_context(locale="es-ES").new_page()
        _sign_in(other, portal, button="Entrar")
        expect(other.get_by_role("heading", level=1)).to_have_text("My invoices")
        other.get_by_role("link", name="My account").click()
        expect(other.get_by_role("heading", level=1)).to_have_text("My account")
    finally:
        choose(spanish, "Español")
    expect(spanish.get_by_role("heading", level=1)).to_have_text("Mis facturas")


def _sign_in(page, portal, *, button: str) -> None:
    page.goto(portal.url + "/entrar")
    page.locator("#email").fill(DEMO_ACCOUNTANT)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r"/facturas/?(\?[^#]*)?$"))
    expect(page.locator("#filtros button[type=submit]")).to_be_enabled()


def test_a_fast_typist_in_an_english_browser_keeps_what_they_typed(portal, browser):
    # Typed before the page is live: switching to English must change the texts in
    # place, not redraw the page (a first render unlike the prerendered Spanish
    # HTML made React throw it away, emptying the email field).
    for _attempt in range(3):
        page = browser.new_context(locale="en-US").new_page()
        page.goto(portal.url + "/entrar")
        page.locator("#email").fill(DEMO_ACCOUNTANT)
        page.locator("#password").fill(DEMO_PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        assert page.locator("#email").input_value() == DEMO_ACCOUNTANT
        page.context.close()
