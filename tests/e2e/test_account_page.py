"""Mi cuenta and Modificar contraseña in Chromium: the checklist, Enter, the devices."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, signed_in
from tests.e2e.test_accounts import PASSWORD, new_customer, signed_out

pytestmark = pytest.mark.e2e

FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)


def rule_states(page) -> dict[str, str]:
    return dict(
        page.locator("#password-rules li").evaluate_all(
            "items => items.map(li => [li.dataset.rule, li.dataset.passed])"
        )
    )


def test_no_rule_is_green_before_typing_and_the_limit_speaks_of_characters(portal, browser):
    page = signed_in(browser, portal)
    page.goto(portal.url + "/cuenta")
    page.get_by_role("heading", name="Mi cuenta").wait_for()
    expect(page.locator("#password-rules li")).to_have_count(6)
    assert set(rule_states(page).values()) == {"false"}
    limit = page.locator("li[data-rule='max_bytes']")
    expect(limit).to_contain_text("No más de 72 caracteres")
    expect(page.locator("#password-rules")).not_to_contain_text("bytes")
    page.get_by_label("Contraseña nueva").fill("a")
    expect(limit).to_have_attribute("data-passed", "true")
    expect(page.locator("li[data-rule='lower']")).to_have_attribute("data-passed", "true")
    expect(page.locator("li[data-rule='length']")).to_have_attribute("data-passed", "false")


def test_enter_submits_modificar_contrasena_and_mi_cuenta(portal, mail_server, browser):
    email, link = new_customer(portal, mail_server)
    page = browser.new_context(locale="es-ES").new_page()
    page.goto(link)
    page.get_by_role("heading", name="Modificar contraseña").wait_for()
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    repeat = page.get_by_label("Repetir contraseña")
    # Not yet acceptable: Enter sends nothing and says what is missing.
    repeat.fill(PASSWORD[:-1])
    repeat.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Requisitos pendientes")).to_contain_text(
        "Las dos contraseñas coinciden"
    )
    assert "/credenciales" in page.url
    # Enter right after the last keystroke, before the button has caught up.
    repeat.fill(PASSWORD)
    repeat.press("Enter")
    page.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))

    page.goto(portal.url + "/cuenta")
    page.get_by_role("heading", name="Mi cuenta").wait_for()
    page.get_by_label("Contraseña actual").fill(PASSWORD)
    page.get_by_label("Contraseña nueva").fill("Otra-Clave3")
    page.get_by_label("Repetir contraseña").fill("Otra-Clave3")
    page.get_by_label("Repetir contraseña").press("Enter")
    expect(page.get_by_role("status").filter(has_text="Contraseña actualizada")).to_be_visible()

    fresh = signed_out(page)
    log_in(fresh, portal, email, "Otra-Clave3")
    fresh.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))


def test_mi_cuenta_names_each_browser(portal, browser):
    page = signed_in(browser, portal, user_agent=FIREFOX_ON_WINDOWS)
    page.goto(portal.url + "/cuenta")
    sessions = page.get_by_role("region", name="Sesiones abiertas")
    this_one = sessions.locator("tr").filter(has_text="Esta sesión")
    expect(this_one).to_contain_text("Firefox en Windows")
    expect(sessions).not_to_contain_text("Mozilla")


def test_avisos_por_email_are_saved_and_the_next_email_carries_the_pdf(
    portal, mail_server, browser
):
    from tests.e2e.helpers import publish, wait_for_email
    from tests.e2e.test_accounts import activate
    from tests.factories import customer_input, invoice_input

    email, link = new_customer(portal, mail_server)
    page = browser.new_context(locale="es-ES").new_page()
    activate(page, link, email)
    page.goto(portal.url + "/cuenta")
    avisos = page.locator("#avisos")
    new_invoices = avisos.get_by_label("Recibir un email cuando tenga facturas nuevas")
    attach = avisos.get_by_label("Adjuntar a ese email las facturas firmadas (PDF)")
    expect(new_invoices).to_be_checked()
    expect(attach).not_to_be_checked()
    attach.check()
    avisos.get_by_role("button", name="Guardar avisos").click()
    expect(
        page.get_by_role("status").filter(has_text="Avisos por email guardados.")
    ).to_be_visible()
    page.reload()
    saved = page.locator("#avisos").get_by_label("Adjuntar a ese email las facturas firmadas (PDF)")
    expect(saved).to_be_checked()

    n = email.removeprefix("cliente.e2e").split("@")[0]  # new_customer's numbering
    number = f"AVISO-{n}"
    customer = customer_input(code=f"ACC{n}", name=f"Cliente Muñoz {n}", email=email)
    before = len(mail_server.received)
    publish(portal, invoice_input(number, customer=customer))
    message = wait_for_email(
        mail_server,
        email,
        "Nueva Factura disponible en Link Customer Portal Web",
        after=before,
        portal=portal,
    )
    (pdf,) = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == f"Factura-{number}.pdf"
    assert pdf.get_content().startswith(b"%PDF")


def test_a_new_browser_is_emailed_about_and_no_he_sido_yo_locks_it_out(
    portal, mail_server, browser
):
    from tests.e2e.helpers import link_in, wait_for_email
    from tests.e2e.test_accounts import activate

    email, link = new_customer(portal, mail_server)
    owner = browser.new_context(locale="es-ES").new_page()
    activate(owner, link, email)  # the first browser: known from now on, no email

    before = len(mail_server.received)
    intruder = signed_in(
        browser, portal, email=email, password=PASSWORD, user_agent=FIREFOX_ON_WINDOWS
    )
    notice = wait_for_email(
        mail_server,
        email,
        "Nuevo inicio de sesión en Link Customer Portal Web",
        after=before,
        portal=portal,
    )
    assert "Firefox en Windows" in notice.get_body(("plain",)).get_content()

    owner.goto(portal.url + "/cuenta")
    activity = owner.get_by_role("region", name="Actividad reciente")
    expect(activity.locator("tr").filter(has_text="Inicio de sesión").first).to_contain_text(
        "Firefox en Windows"
    )
    expect(activity.locator("tr").filter(has_text="Alta: contraseña elegida")).to_have_count(1)

    form = owner.locator("#no-he-sido-yo")
    form.get_by_role("button", name="No he sido yo").click()  # not ticked: the browser refuses
    assert "/cuenta" in owner.url
    before = len(mail_server.received)
    form.get_by_label("Confirmo que no he sido yo").check()
    form.get_by_role("button", name="No he sido yo").click()
    owner.wait_for_url(re.compile(r"/entrar"))
    expect(owner.get_by_role("status")).to_contain_text("Hemos cerrado todas las sesiones")

    intruder.goto(portal.url + "/facturas")  # the other browser is out too
    intruder.wait_for_url(re.compile(r"/entrar"))
    log_in(intruder, portal, email, PASSWORD)  # and the password no longer works
    expect(intruder.get_by_role("alert")).to_contain_text("no son correctos")

    reset = wait_for_email(mail_server, email, "Restablecer contraseña", after=before)
    owner.goto(link_in(reset, "/restablecer/"))
    owner.get_by_label("Correo electrónico").fill(email)
    owner.get_by_label("Contraseña", exact=True).fill("Nueva-Clave7")
    owner.get_by_label("Repetir contraseña").fill("Nueva-Clave7")
    owner.get_by_role("button", name="Actualizar").click()
    owner.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))
