"""The running portal delivers mail in the background, and shows it in the dev mailbox."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from tests.factories import customer_input, invoice_input
from tests.portal_fixtures import API_KEY

pytestmark = pytest.mark.e2e


def publish(portal, invoice) -> None:
    request = urllib.request.Request(
        portal.url + "/api/v1/invoices",
        data=json.dumps([invoice]).encode(),
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
