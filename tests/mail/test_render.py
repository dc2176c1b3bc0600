"""The three emails: the manual's words, one register (usted), branding from settings, safe HTML."""

import re

import pytest

from customer_portal.domain.status import InvoiceStatus, status_label
from customer_portal.mail.render import EmailKind, TemplateProblem, full_stop, render_email
from customer_portal.settings import Branding

LINK = "https://facturas.example.com/credenciales/abc.def"
BASE = "https://facturas.example.com"


DEFAULT_BRANDING = Branding()


def render(kind, branding=DEFAULT_BRANDING, **context):
    return render_email(kind, context, branding=branding, base_url=BASE)


def invoice(number="1", *, amount="1.210,00\xa0€", due="30/05/2019", status=None, overdue=False):
    label = status_label(status or InvoiceStatus.PENDING, overdue)
    return {
        "number": number,
        "date": "30/04/2019",
        "amount": amount,
        "due_date": due,
        "status": label.text,
        "status_color": label.hex,
        "status_background": label.background,
        "link": f"{BASE}/factura?numero={number}",
    }


def welcome(**overrides):
    context = {
        "customer_name": "CLIENTE PRUEBA CUSTOMER WEB 1",
        "link": LINK,
        "invoices": [invoice()],
        "expires": "07/05/2019 10:00, hora de España (Madrid)",
    }
    return render(EmailKind.WELCOME, **{**context, **overrides})


def new_invoice(*invoices, **overrides):
    context = {"customer_name": "CLIENTE PRUEBA CUSTOMER WEB 1", "invoices": list(invoices)}
    return render(EmailKind.NEW_INVOICE, **{**context, **overrides})


def reset(**overrides):
    context = {"link": f"{BASE}/restablecer/tok", "expires": "30/04/2019 11:00"}
    return render(EmailKind.PASSWORD_RESET, **{**context, **overrides})


def test_welcome_email_follows_the_manual():
    email = welcome()
    assert email.subject == "Alta en Link Customer Portal Web"
    for body in (email.html, email.text):
        assert "Estimado/a CLIENTE PRUEBA CUSTOMER WEB 1." in body
        assert "Customer Portal Web de Facturas de Link Soluciones" in body
        assert "Ver credenciales" in body and LINK in body
        assert "¡Gracias!" in body and "#nuestrocompromisoerestu" in body
        for phone in ("928 472 915", "922 032 835", "912 535 535"):
            assert phone in body
        assert "www.linksoluciones.com" in body
    assert f'href="{LINK}"' in email.html


def test_welcome_email_carries_the_manuals_warnings():
    for body in (welcome().html, welcome().text):
        flat = re.sub(r"<[^>]+>", "", body).replace("“", '"').replace("”", '"')
        assert "ES IMPORTANTE NO SALTARSE ESTE PASO" in flat
        assert (
            "la dirección de correo electrónico que indique debe ser la misma a la que le ha "
            "llegado este correo" in flat
        )
        assert "no le llegarán las facturas" in flat
        assert (
            "las contraseñas deben tener al menos 6 caracteres, y deben contener al menos un "
            "carácter que no sea una letra ni un dígito, una letra en minúscula ('a'-'z') y una "
            "letra en mayúscula ('A'-'Z')" in flat
        )
        assert "desaconsejamos el uso del símbolo del asterisco (*)" in flat


def test_the_rules_name_the_portals_minimum_length():
    assert "al menos 10 caracteres" in welcome(password_min_length=10).text


def test_welcome_email_names_its_invoice_with_amount_and_due_date():
    text = welcome().text
    assert "Ya tiene disponible la factura 1 correspondiente a la fecha 30/04/2019." in text
    assert "Importe: 1.210,00\xa0€" in text and "Vencimiento: 30/05/2019" in text
    assert "Estado: Pendiente" in text


def test_a_bare_welcome_names_no_invoice():
    email = welcome(invoices=[])
    assert "factura" not in email.text.split("Ver credenciales")[0].lower().replace(
        "customer portal web de facturas", ""
    )


def test_new_invoice_with_one_invoice_has_the_manuals_sentence_amount_and_due_date():
    email = new_invoice(invoice("1"))
    assert email.subject == "Nueva Factura disponible en Link Customer Portal Web"
    assert (
        "Ya tiene <strong>disponible</strong> la nueva <strong>factura 1</strong> correspondiente "
        "a la fecha <strong>30/04/2019</strong>, que puede ver accediendo al Customer Portal Web "
        "desde el botón inferior." in email.html
    )
    assert (
        "Ya tiene disponible la nueva factura 1 correspondiente a la fecha 30/04/2019, que puede "
        "ver accediendo al Customer Portal Web desde el enlace inferior." in email.text
    )
    for body in (email.html, email.text):
        assert "1.210,00\xa0€" in body and "30/05/2019" in body
    assert f'href="{BASE}/factura?numero=1"' in email.html
    assert "Ver factura" in email.html and f"{BASE}/factura?numero=1" in email.text
    assert "credenciales" not in email.text.lower()


def test_new_invoice_with_several_invoices_lists_each():
    invoices = [
        invoice("F-1", amount="42,69\xa0€", due="30/05/2019"),
        invoice("F-2", amount="1.210,00\xa0€", due="15/06/2019"),
        invoice("F-3", amount="7,00\xa0€", due="", status=InvoiceStatus.PAID),
    ]
    email = new_invoice(*invoices)
    assert email.subject == "Nueva Factura disponible en Link Customer Portal Web"
    assert "las 3 nuevas facturas" in email.text
    for item in invoices:
        assert f'href="{item["link"]}"' in email.html
        assert f">Ver factura {item['number']}</a>" in email.html
        assert f"Ver factura {item['number']}: {item['link']}" in email.text
        assert f"Factura {item['number']} del 30/04/2019" in email.text
        assert item["amount"] in email.text and item["amount"] in email.html
    assert "Vencimiento: 30/05/2019" in email.text and "Vencimiento: 15/06/2019" in email.text
    assert "Vencimiento: sin fecha de vencimiento" in email.text
    assert "Estado: Cobrado" in email.text


def test_a_reminder_brings_the_credentials_link_and_the_warnings():
    email = new_invoice(invoice("F-9"), credentials_link=LINK, expires="07/05/2019 10:00")
    assert email.subject == "Nueva Factura disponible en Link Customer Portal Web"
    for body in (email.html, email.text):
        assert "todavía no ha indicado sus credenciales" in body
        assert "Ver credenciales" in body and LINK in body
        assert "desaconsejamos el uso del símbolo del asterisco (*)" in body
    assert f'href="{LINK}"' in email.html


def test_reset_email_has_the_manuals_sentence_and_its_link_once():
    link = f"{BASE}/restablecer/tok"
    email = reset()
    assert email.subject == "Restablecer contraseña"
    assert (
        "Por favor, para restaurar su contraseña en Link Customer Portal Web pulse sobre el "
        "siguiente enlace:" in email.html
    )
    assert ">restaurar contraseña</a>" in email.html
    assert email.html.count(link) == 1 and email.text.count(link) == 1


def test_company_name_comes_from_settings():
    branding = Branding(
        company_name="Acme",
        portal_name="Acme Customer Portal Web",
        phones=("900 000 000",),
        web="www.acme.example",
        tagline="#acme",
    )
    email = render(
        EmailKind.WELCOME, branding, customer_name="X", link=LINK, invoices=[], expires=""
    )
    assert email.subject == "Alta en Acme Customer Portal Web"
    assert "Facturas de Acme" in email.html and "900 000 000" in email.text
    assert "Link" not in email.subject and "928 472 915" not in email.html


def test_customer_names_are_escaped_in_html_and_kept_in_text():
    email = new_invoice(invoice(), customer_name="Muñoz & <Pérez>")
    assert "Muñoz &amp; &lt;Pérez&gt;" in email.html and "<Pérez>" not in email.html
    assert "Muñoz & <Pérez>" in email.text


@pytest.mark.parametrize(
    ("name", "greeting"),
    [
        ("FERRETERÍA MUÑOZ S.L.", "Estimado/a FERRETERÍA MUÑOZ S.L."),
        ("Ana Muñoz", "Estimado/a Ana Muñoz."),
        ("Talleres Pérez S.A. ", "Estimado/a Talleres Pérez S.A."),
    ],
)
def test_a_name_ending_in_a_full_stop_gets_no_second_one(name, greeting):
    for email in (welcome(customer_name=name), new_invoice(invoice(), customer_name=name)):
        for body in (email.html, email.text):
            assert greeting in body
            assert ".." not in body


def test_full_stop():
    assert (
        full_stop("S.L.") == "S.L." and full_stop("Ana") == "Ana." and full_stop("¿Sí?") == "¿Sí?"
    )


# Second-person singular (tú) forms that crept in before: every email says usted.
TU_FORMS = re.compile(
    r"\b(tienes|has|tu|tus|te|ti|contigo|puedes|quieres|copia|ignora|entra|pulsa|haz|"
    r"llámanos|navega|síguenos|recibirás|deberás|informes|estés|elige|indica)\b",
    re.IGNORECASE,
)


def every_email():
    yield welcome()
    yield welcome(invoices=[])
    yield welcome(invoices=[invoice("A"), invoice("B")])
    yield new_invoice(invoice())
    yield new_invoice(invoice("A"), invoice("B", status=InvoiceStatus.PARTIALLY_PAID, overdue=True))
    yield new_invoice(invoice(), credentials_link=LINK, expires="x")
    yield new_invoice(invoice("A"), invoice("B"), credentials_link=LINK, expires="x")
    yield reset()


def test_every_email_speaks_as_usted():
    for email in every_email():
        for body in (email.subject, re.sub(r"<[^>]+>", " ", email.html), email.text):
            words = body.replace("#nuestrocompromisoerestu", "")
            assert TU_FORMS.findall(words) == [], words


def test_no_email_has_a_double_full_stop():
    for email in every_email():
        for body in (re.sub(r"<[^>]+>", "", email.html), email.text):
            assert ".." not in body


def test_a_missing_variable_is_a_clear_error_not_a_blank():
    with pytest.raises(TemplateProblem, match="customer_name"):
        render(EmailKind.NEW_INVOICE, invoices=[invoice()])
    with pytest.raises(TemplateProblem, match="no invoices"):
        render(EmailKind.NEW_INVOICE, customer_name="Ana", invoices=[])
    with pytest.raises(TemplateProblem, match="unknown email kind"):
        render("newsletter")


def test_html_is_built_for_mail_clients_and_phones():
    html = new_invoice(invoice()).html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'role="presentation"' in html and "max-width:600px" in html
    assert "<style" not in html  # inline styles only: Gmail strips style blocks
    assert 'lang="es"' in html
