"""The emails as a phone shows them: Chromium at 360 px, no sideways scrolling."""

from __future__ import annotations

import pytest

from customer_portal.mail.render import EmailKind, render_email
from customer_portal.settings import Branding

pytestmark = pytest.mark.e2e

LONG_LINK = "https://facturas.example.com/credenciales/" + "x" * 180

CONTEXTS = {
    EmailKind.WELCOME: {
        "customer_name": "CLIENTE PRUEBA CUSTOMER WEB 1",
        "link": LONG_LINK,
        "invoice_number": "F2026-1001",
        "invoice_date": "30/04/2019",
        "expires": "07/05/2019 10:00",
    },
    EmailKind.NEW_INVOICE: {
        "customer_name": "Ferretería Muñoz Pérez S.L.",
        "link": LONG_LINK,
        "invoice_number": "F2026-1001",
        "invoice_date": "30/04/2019",
    },
    EmailKind.PASSWORD_RESET: {"link": LONG_LINK, "expires": "30/04/2019 11:00"},
}


@pytest.mark.parametrize("kind", list(EmailKind))
def test_email_fits_a_phone_and_its_button_is_a_link(browser, kind):
    email = render_email(
        kind, CONTEXTS[kind], branding=Branding(), base_url="https://facturas.example.com"
    )
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_content(email.html)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    label = {
        EmailKind.WELCOME: "Ver credenciales",
        EmailKind.NEW_INVOICE: "Ver factura",
        EmailKind.PASSWORD_RESET: "restaurar contraseña",
    }[kind]
    button = page.get_by_role("link", name=label).first
    assert button.get_attribute("href") == LONG_LINK
    assert button.is_visible()
    context.close()
