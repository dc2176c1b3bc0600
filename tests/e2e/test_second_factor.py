"""Verificación en dos pasos in Chromium: the QR scanned off the screen, real codes, an attacker.

The attacker knows the password but not the phone: the code step stops them,
wrong codes are refused, and nothing private opens.
"""

from __future__ import annotations

import io
import re

import pyotp
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.helpers import log_in
from tests.e2e.test_accessibility import serious
from tests.e2e.test_accounts import PASSWORD, activate, new_customer
from tests.factories import previous_totp

pytestmark = pytest.mark.e2e


def scan_qr(page) -> str:
    """What a phone's camera reads off the setup page's QR code."""
    shot = page.locator("svg[role=img]").screenshot()
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
    return found.text


def test_set_up_with_the_qr_then_entrar_needs_the_phone(portal, mail_server, browser):
    email, link = new_customer(portal, mail_server)
    owner = browser.new_context(locale="es-ES").new_page()
    activate(owner, link, email)
    owner.goto(portal.url + "/cuenta")
    owner.get_by_role("link", name="Activar la verificación en dos pasos").click()
    owner.get_by_role("heading", name="Activar la verificación en dos pasos").wait_for()
    assert serious(owner) == []

    uri = scan_qr(owner)
    totp = pyotp.parse_uri(uri)
    assert uri.startswith("otpauth://totp/") and email.replace("@", "%40") in uri
    typed_key = owner.locator("#clave").inner_text().replace(" ", "")
    assert typed_key == totp.secret  # the key to type by hand is the same secret

    owner.get_by_label("Código de verificación").fill(previous_totp(totp.secret, margin=15))
    owner.get_by_role("button", name="Activar").click()
    codes = owner.locator("#codigos-recuperacion li")
    expect(codes).to_have_count(10)
    recovery = codes.nth(0).inner_text()
    owner.get_by_role("link", name="Ya los he guardado: continuar").click()
    owner.wait_for_url(re.compile(r"/cuenta"))
    card = owner.locator("#verificacion")
    expect(card).to_contain_text("Activada")
    expect(card).to_contain_text("Le quedan 10 códigos de recuperación")

    # An attacker with the password alone.
    attacker = browser.new_context(locale="es-ES").new_page()
    log_in(attacker, portal, email, PASSWORD)
    attacker.wait_for_url(re.compile(r"/entrar/codigo"))
    expect(attacker.get_by_role("status")).to_contain_text("Ahora, el código")
    assert serious(attacker) == []
    attacker.get_by_label("Código de verificación").fill("123456")
    attacker.get_by_role("button", name="Verificar").click()
    expect(attacker.get_by_role("alert")).to_contain_text("El código no es correcto")
    attacker.goto(portal.url + "/facturas")
    attacker.wait_for_url(re.compile(r"/entrar"))

    # The owner on another browser: password, then the phone's code.
    phone = browser.new_context(locale="es-ES").new_page()
    log_in(phone, portal, email, PASSWORD, path="/entrar?next=/cuenta")
    phone.wait_for_url(re.compile(r"/entrar/codigo"))
    phone.get_by_label("Código de verificación").fill(totp.now())
    phone.get_by_label("Código de verificación").press("Enter")
    phone.wait_for_url(re.compile(r"/cuenta"))

    # A recovery code works in place of the phone, once.
    spare = browser.new_context(locale="es-ES").new_page()
    log_in(spare, portal, email, PASSWORD)
    spare.wait_for_url(re.compile(r"/entrar/codigo"))
    spare.get_by_label("Código de verificación").fill(recovery)
    spare.get_by_role("button", name="Verificar").click()
    spare.wait_for_url(re.compile(r"/facturas"))
