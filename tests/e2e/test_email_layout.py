"""The emails as a phone shows them: Chromium at 360 px, no sideways scrolling."""

from __future__ import annotations

import pytest

from customer_portal.domain.status import InvoiceStatus, status_label
from customer_portal.mail.render import EmailKind, render_email
from customer_portal.settings import Branding

pytestmark = pytest.mark.e2e

BASE = "https://facturas.example.com"
LONG_LINK = BASE + "/credenciales/" + "x" * 180


def invoice(number: str, status=InvoiceStatus.PENDING, overdue=False) -> dict[str, str]:
    label = status_label(status, overdue)
    return {
        "number": number,
        "date": "30/04/2019",
        "amount": "1.210,00\xa0€",
        "due_date": "30/05/2019",
        "status": label.text,
        "status_color": label.hex,
        "status_background": label.background,
        "link": f"{BASE}/factura?numero={number}",
    }


SEVERAL = [
    invoice("F2026-1001"),
    invoice("F2026-1002", InvoiceStatus.PARTIALLY_PAID, overdue=True),
    invoice("F2026-1003", InvoiceStatus.PAID),
]

# (kind, context, the button that must be a visible link, its address)
EMAILS = {
    "alta": (
        EmailKind.WELCOME,
        {
            "customer_name": "CLIENTE PRUEBA CUSTOMER WEB 1",
            "link": LONG_LINK,
            "invoices": [invoice("F2026-1001")],
            "expires": "07/05/2019 10:00, hora de España (Madrid)",
        },
        "Ver credenciales",
        LONG_LINK,
    ),
    "alta with several invoices": (
        EmailKind.WELCOME,
        {
            "customer_name": "FERRETERÍA MUÑOZ PÉREZ S.L.",
            "link": LONG_LINK,
            "invoices": SEVERAL,
            "expires": "07/05/2019 10:00, hora de España (Madrid)",
        },
        "Ver credenciales",
        LONG_LINK,
    ),
    "nueva factura": (
        EmailKind.NEW_INVOICE,
        {"customer_name": "Ferretería Muñoz Pérez S.L.", "invoices": [invoice("F2026-1001")]},
        "Ver factura",
        f"{BASE}/factura?numero=F2026-1001",
    ),
    "nueva factura listing several": (
        EmailKind.NEW_INVOICE,
        {"customer_name": "Ferretería Muñoz Pérez S.L.", "invoices": SEVERAL},
        "Ver factura F2026-1002",
        f"{BASE}/factura?numero=F2026-1002",
    ),
    "nueva factura with a reminder": (
        EmailKind.NEW_INVOICE,
        {
            "customer_name": "Ferretería Muñoz Pérez S.L.",
            "invoices": SEVERAL,
            "credentials_link": LONG_LINK,
            "expires": "07/05/2019 10:00, hora de España (Madrid)",
        },
        "Ver credenciales",
        LONG_LINK,
    ),
    "restablecer": (
        EmailKind.PASSWORD_RESET,
        {"link": LONG_LINK, "expires": "30/04/2019 11:00"},
        "restaurar contraseña",
        LONG_LINK,
    ),
}


@pytest.mark.parametrize("name", list(EMAILS))
def test_email_fits_a_phone_and_its_button_is_a_link(browser, name):
    kind, context, label, href = EMAILS[name]
    email = render_email(kind, context, branding=Branding(), base_url=BASE)
    page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    page.set_content(email.html)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    button = page.get_by_role("link", name=label, exact=True)
    assert button.count() == 1
    assert button.get_attribute("href") == href
    assert button.is_visible()
    # Every link of the email is there once: no address repeated beside its button.
    hrefs = page.eval_on_selector_all("a[href^='https://facturas']", "els => els.map(e => e.href)")
    assert len(hrefs) == len(set(hrefs))
    page.context.close()


def test_a_listed_invoice_shows_its_status_in_the_badges_colours(browser):
    kind, context, _, _ = EMAILS["nueva factura listing several"]
    email = render_email(kind, context, branding=Branding(), base_url=BASE)
    page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    page.set_content(email.html)
    label = status_label(InvoiceStatus.PARTIALLY_PAID, True)
    status = page.get_by_text(label.text, exact=True)
    assert status.is_visible()
    colour = status.evaluate("e => getComputedStyle(e).color")
    red, green, blue = (int(label.hex[i : i + 2], 16) for i in (1, 3, 5))
    assert colour == f"rgb({red}, {green}, {blue})"
    page.context.close()
