"""The running portal delivers mail in the background, and shows it in the dev mailbox."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from customer_portal.domain.status import InvoiceStatus, status_label
from tests.e2e.helpers import signed_in, wait_for_email
from tests.factories import customer_input, invoice_input
from tests.portal_fixtures import API_KEY

pytestmark = pytest.mark.e2e


def publish(portal, *invoices) -> None:
    request = urllib.request.Request(
        portal.url + "/api/v1/invoices",
        data=json.dumps(list(invoices)).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200


def test_published_invoice_email_arrives_within_seconds(portal, mail_server):
    publish(
        portal,
        invoice_input(
            "MAIL-1",
            customer=customer_input(
                code="E2E-MAIL", name="Lucía Pérez Muñoz", email="lucia@example.com"
            ),
        ),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        mine = [r for r in mail_server.received if r.rcpt_tos == ["lucia@example.com"]]
        if mine:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the Alta email did not arrive within 30 s")
    message = mine[0].message
    assert message["Subject"] == "Alta en Link Customer Portal Web"
    text = message.get_body(("plain",)).get_content()
    assert "Estimado/a Lucía Pérez Muñoz." in text
    assert f"{portal.url}/credenciales/" in text


def test_dev_mailbox_shows_the_emails_rendered(portal, page):
    page.goto(portal.url + "/dev/correo")
    page.get_by_role("heading", name="Buzón de pruebas").wait_for(timeout=30_000)
    first = page.get_by_role("button", name="Nueva Factura disponible en Link Customer Portal Web")
    first.first.click()
    frame = page.frame_locator("iframe[title='Vista del correo']")
    frame.get_by_text("¡Gracias!").wait_for(timeout=10_000)
    assert "Ver factura" in frame.locator("body").inner_text()


def test_one_publication_brings_a_new_customer_one_alta_listing_every_invoice(portal, mail_server):
    customer = customer_input(
        code="E2E-MAIL-3", name="FERRETERÍA MUÑOZ S.L.", email="ferreteria@example.com"
    )
    before = len(mail_server.received)
    numbers = ["MAIL-3A", "MAIL-3B", "MAIL-3C"]
    publish(portal, *(invoice_input(number, customer=customer) for number in numbers))
    alta = wait_for_email(
        mail_server,
        "ferreteria@example.com",
        "Alta en Link Customer Portal Web",
        after=before,
        timeout=30,
        portal=portal,
    )
    text = alta.get_body(("plain",)).get_content()
    assert "Estimado/a FERRETERÍA MUÑOZ S.L.\n" in text
    assert "Ya tiene disponibles estas 3 facturas" in text
    for number in numbers:
        assert f"Factura {number} del 30/04/2019" in text
    assert "ES IMPORTANTE NO SALTARSE ESTE PASO" in text
    time.sleep(3)  # a second email would have come by now (the worker polls every second)
    mine = [r for r in mail_server.received[before:] if r.rcpt_tos == ["ferreteria@example.com"]]
    assert len(mine) == 1


def test_list_page_and_email_agree_on_a_status(portal, mail_server, browser):
    """F2026-1009 of the demo is half paid and past its due date, everywhere."""
    label = status_label(InvoiceStatus.PARTIALLY_PAID, overdue=True)
    assert label.text == "Cobrado parcialmente · vencida"
    # The demo's invoices went out in one email, after their payments were recorded.
    email = wait_for_email(
        mail_server,
        "cliente1@example.com",
        "Nueva Factura disponible en Link Customer Portal Web",
        timeout=30,
        portal=portal,
    )
    text = email.get_body(("plain",)).get_content()
    block = text.split("Factura F2026-1009 del", 1)[1].split("Ver factura", 1)[0]
    assert f"Estado: {label.text}" in block
    html = email.get_body(("html",)).get_content()
    assert f'color:{label.hex};font-weight:bold;">{label.text}</span>' in html

    page = signed_in(browser, portal)
    row = page.get_by_role("row").filter(has_text="F2026-1009")
    listed = row.get_by_text(label.text, exact=True)
    listed.wait_for(timeout=15_000)
    in_list = listed.evaluate(
        "e => [e.getAttribute('data-accent-color'), getComputedStyle(e).backgroundColor]"
    )
    page.goto(portal.url + "/factura?numero=F2026-1009")
    shown = page.get_by_text(label.text, exact=True)
    shown.wait_for(timeout=15_000)
    on_page = shown.evaluate(
        "e => [e.getAttribute('data-accent-color'), getComputedStyle(e).backgroundColor]"
    )
    assert in_list == on_page and in_list[0] == label.radix
    page.context.close()
