"""The account flows of the seed manual, end to end: email, link, form, login, logout."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import link_in, log_in, publish, wait_for_email
from tests.factories import customer_input, invoice_input

pytestmark = pytest.mark.e2e

_ids = itertools.count(1)
PASSWORD = "Clave-Segura1"


def new_customer(portal, mail_server):
    """A customer with a published invoice and the Alta email it brought."""
    n = next(_ids)
    email = f"cliente.e2e{n}@example.com"
    before = len(mail_server.received)
    publish(
        portal,
        invoice_input(
            f"ACC-{n}",
            customer=customer_input(code=f"ACC{n}", name=f"Cliente Muñoz {n}", email=email),
        ),
    )
    alta = wait_for_email(
        mail_server, email, "Alta en Link Customer Portal Web", after=before, portal=portal
    )
    return email, link_in(alta, "/credenciales/")


def signed_out(page):
    """A new browser profile: no cookie and no Reflex tab state from before."""
    return page.context.browser.new_context(locale="es-ES").new_page()


def activate(page, link, email, password=PASSWORD):
    page.goto(link)
    page.get_by_role("heading", name="Modificar contraseña").wait_for()
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña", exact=True).fill(password)
    page.get_by_label("Repetir contraseña").fill(password)
    page.get_by_role("button", name="Actualizar").click()
    page.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))


def test_ver_credenciales_checklist_and_button_follow_the_typing(portal, mail_server, page):
    email, link = new_customer(portal, mail_server)
    page.goto(link)
    button = page.get_by_role("button", name="Actualizar")
    rules = page.locator("#password-rules li")
    expect(button).to_be_disabled()
    expect(rules).to_have_count(6)

    page.get_by_label("Correo electrónico").fill(email)
    password = page.get_by_label("Contraseña", exact=True)
    repeat = page.get_by_label("Repetir contraseña")
    steps = [
        ("a", {"lower"}),
        ("aB", {"lower", "upper"}),
        ("aB!", {"lower", "upper", "symbol"}),
        ("aB!def", {"lower", "upper", "symbol", "length"}),
    ]
    for typed, passing in steps:
        password.fill(typed)
        for key in ("lower", "upper", "symbol", "length"):
            expect(page.locator(f"li[data-rule='{key}']")).to_have_attribute(
                "data-passed", "true" if key in passing else "false"
            )
        expect(button).to_be_disabled()

    repeat.press_sequentially("aB!def")
    expect(page.locator("li[data-rule='match']")).to_have_attribute("data-passed", "true")
    expect(button).to_be_enabled()
    repeat.press("Backspace")
    expect(button).to_be_disabled()
    repeat.press("f")
    expect(button).to_be_enabled()

    password.fill("aB!d*f")
    expect(page.get_by_text("Desaconsejamos el uso del símbolo del asterisco")).to_be_visible()
    password.fill("aB!" + "ñ" * 35)
    expect(page.locator("li[data-rule='max_bytes']")).to_have_attribute("data-passed", "false")
    expect(button).to_be_disabled()


def test_activation_needs_the_mailed_address_then_signs_in_once(portal, mail_server, page):
    email, link = new_customer(portal, mail_server)
    page.goto(link)
    page.get_by_label("Correo electrónico").fill("otra.direccion@example.com")
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_label("Repetir contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Actualizar").click()
    expect(page.get_by_role("alert")).to_contain_text("debe ser la misma a la que le ha llegado")
    # The form came back from the server: the passwords were not kept anywhere.
    expect(page.get_by_label("Contraseña", exact=True)).to_have_value("")
    expect(page.get_by_role("button", name="Actualizar")).to_be_disabled()

    page.get_by_label("Correo electrónico").fill(email.upper())
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_label("Repetir contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Actualizar").click()
    page.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))
    expect(page.get_by_role("heading", name="Mis facturas")).to_be_visible()
    expect(page.get_by_role("navigation")).to_contain_text("Cliente Muñoz")

    page.goto(link)  # the link worked once
    expect(page.get_by_role("heading", name="Este enlace ya no sirve")).to_be_visible()


def test_a_tampered_link_offers_a_new_one(portal, mail_server, page):
    email, link = new_customer(portal, mail_server)
    page.goto(link[:-3] + "xyz")
    expect(page.get_by_role("heading", name="Este enlace ya no sirve")).to_be_visible()
    before = len(mail_server.received)
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_role("button", name="Enviar un enlace nuevo").click()
    expect(page.get_by_role("status").filter(has_text="nuevo enlace")).to_be_visible()
    fresh = link_in(
        wait_for_email(mail_server, email, "Alta en Link Customer Portal Web", after=before),
        "/credenciales/",
    )
    # Opened from the email, as a customer does: a new tab (cookies shared).
    # Reused, this tab's state from the dead link raced the fresh form.
    activate(page.context.new_page(), fresh, email)


def test_login_errors_are_generic_and_logout_ends_the_session(portal, mail_server, page):
    email, link = new_customer(portal, mail_server)
    activate(page, link, email)
    page.get_by_role("button", name="Salir").click()
    page.wait_for_url(re.compile(r"/entrar/?\?aviso=[^&]*$"))
    page.goto(portal.url + "/facturas")
    page.wait_for_url(re.compile(r"/entrar\?next=%2Ffacturas"))

    messages = []
    for address, password in ((email, "Mala-Clave1"), ("nadie.nunca@example.com", PASSWORD)):
        log_in(page, portal, address, password)
        expect(page.get_by_role("alert")).to_contain_text("no son correctos")
        messages.append(page.get_by_role("alert").inner_text())
    wrong_password, unknown_email = messages
    assert (
        wrong_password == unknown_email == "El correo electrónico o la contraseña no son correctos."
    )
    expect(page.get_by_label("Contraseña")).to_have_value("")

    log_in(page, portal, email, PASSWORD)
    page.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))


def test_a_deep_link_survives_the_login(portal, mail_server, page):
    email, link = new_customer(portal, mail_server)
    activate(page, link, email)
    page = signed_out(page)
    page.goto(portal.url + "/cuenta")
    page.wait_for_url(re.compile(r"/entrar\?next=%2Fcuenta"))
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_label("Contraseña").press("Enter")  # keyboard only
    page.wait_for_url(re.compile(r"/cuenta/?$"))
    expect(page.get_by_role("heading", name="Mi cuenta")).to_be_visible()


def test_an_outside_next_is_ignored(portal, mail_server, page):
    email, link = new_customer(portal, mail_server)
    activate(page, link, email)
    page = signed_out(page)
    log_in(page, portal, email, PASSWORD, path="/entrar?next=https%3A%2F%2Fevil.example%2F")
    page.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))


def test_five_failures_lock_the_account(portal, mail_server, page):
    email, link = new_customer(portal, mail_server)
    activate(page, link, email)
    page = signed_out(page)
    for _ in range(5):
        log_in(page, portal, email, "Mala-Clave1")
        expect(page.get_by_role("alert")).to_contain_text("no son correctos")
    log_in(page, portal, email, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Demasiados intentos fallidos")


def test_forgot_password_round_trip(portal, mail_server, page):
    email, link = new_customer(portal, mail_server)
    activate(page, link, email)
    page = signed_out(page)

    answers = []
    for address in ("nadie.nunca@example.com", email):
        page.goto(portal.url + "/entrar")
        page.get_by_role("link", name="¿Has olvidado tu contraseña?").click()
        # Both pages have a "Correo electrónico" field: wait for the new one.
        page.get_by_role("heading", name="¿Has olvidado tu contraseña?").wait_for()
        page.get_by_label("Correo electrónico").fill(address)
        before = len(mail_server.received)
        page.get_by_role("button", name="Enviar enlace").click()
        answer = page.get_by_role("status")
        expect(answer).to_contain_text("Si el correo está registrado")
        answers.append(answer.inner_text())
    assert answers[0] == answers[1] and "Si el correo está registrado" in answers[0]

    reset = wait_for_email(mail_server, email, "Restablecer contraseña", after=before)
    reset_link = link_in(reset, "/restablecer/")
    page.goto(reset_link)
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña", exact=True).fill("Nueva-Clave2")
    page.get_by_label("Repetir contraseña").fill("Nueva-Clave2")
    page.get_by_role("button", name="Actualizar").click()
    page.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))

    page.goto(reset_link)
    expect(page.get_by_role("heading", name="Este enlace ya no sirve")).to_be_visible()
    page = signed_out(page)
    log_in(page, portal, email, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("no son correctos")
    log_in(page, portal, email, "Nueva-Clave2")
    page.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))


def test_account_page_changes_password_and_closes_other_sessions(portal, mail_server, browser):
    email, link = new_customer(portal, mail_server)
    first = browser.new_context().new_page()
    activate(first, link, email)
    second = browser.new_context().new_page()
    log_in(second, portal, email, PASSWORD)
    second.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))

    first.goto(portal.url + "/cuenta")
    expect(first.locator("table").last.locator("tbody tr")).to_have_count(2)
    first.get_by_role("button", name="Cerrar las demás sesiones").click()
    expect(first.get_by_role("status")).to_contain_text("1 sesión")
    second.goto(portal.url + "/cuenta")
    second.wait_for_url(re.compile(r"/entrar\?next=%2Fcuenta"))

    first.get_by_label("Contraseña actual").fill("Mala-Clave1")
    first.get_by_label("Contraseña nueva").fill("Otra-Clave3")
    first.get_by_label("Repetir contraseña").fill("Otra-Clave3")
    first.get_by_role("button", name="Actualizar").click()
    expect(first.get_by_role("alert")).to_contain_text("La contraseña actual no es correcta")
    first.get_by_label("Contraseña actual").fill(PASSWORD)
    first.get_by_label("Contraseña nueva").fill("Otra-Clave3")
    first.get_by_label("Repetir contraseña").fill("Otra-Clave3")
    first.get_by_role("button", name="Actualizar").click()
    expect(first.get_by_role("status")).to_contain_text("Contraseña actualizada")
    first.context.close()
    second.context.close()


@pytest.mark.parametrize("path", ["/entrar", "/recuperar"])
def test_forms_fit_a_phone(portal, browser, path):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(portal.url + path)
    page.get_by_role("heading", level=1).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_ver_factura_from_the_email_survives_the_login(portal, mail_server, page):
    email, link = new_customer(portal, mail_server)
    activate(page, link, email)
    n = email.split("e2e")[1].split("@")[0]
    before = len(mail_server.received)
    publish(
        portal,
        invoice_input(
            f"ACC-{n}/2",
            customer=customer_input(code=f"ACC{n}", name=f"Cliente Muñoz {n}", email=email),
        ),
    )
    notice = wait_for_email(
        mail_server,
        email,
        "Nueva Factura disponible en Link Customer Portal Web",
        after=before,
        portal=portal,
    )
    ver_factura = link_in(notice, "/factura?numero=")
    assert ver_factura.endswith(f"/factura?numero=ACC-{n}%2F2")

    stranger = signed_out(page)
    stranger.goto(ver_factura)
    stranger.wait_for_url(re.compile(r"/entrar\?next="))
    stranger.get_by_label("Correo electrónico").fill(email)
    stranger.get_by_label("Contraseña").fill(PASSWORD)
    stranger.get_by_role("button", name="Entrar").click()
    stranger.wait_for_url(re.compile(r"/factura/?\?numero=ACC-"))
    expect(stranger.get_by_role("heading", level=1)).to_have_text(f"Factura ACC-{n}/2")
    expect(stranger.get_by_text("Pendiente").first).to_be_visible()
    expect(stranger.get_by_text("42,69 €").first).to_be_visible()
    expect(stranger.get_by_text("firmada digitalmente")).to_be_visible()


def test_a_customer_cannot_open_another_customers_invoice(portal, mail_server, page):
    first_email, first_link = new_customer(portal, mail_server)
    first_number = "ACC-" + first_email.split("e2e")[1].split("@")[0]
    second_email, second_link = new_customer(portal, mail_server)
    activate(page, second_link, second_email)
    page.goto(f"{portal.url}/factura?numero={first_number}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Factura no encontrada")
    expect(page.get_by_text("42,69")).to_have_count(0)
