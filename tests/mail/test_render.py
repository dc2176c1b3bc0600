"""The three emails: the manual's words, branding from settings, safe HTML."""

import pytest

from customer_portal.mail.render import EmailKind, TemplateProblem, render_email
from customer_portal.settings import Branding

LINK = "https://facturas.example.com/credenciales/abc.def"


DEFAULT_BRANDING = Branding()


def render(kind, branding=DEFAULT_BRANDING, **context):
    return render_email(kind, context, branding=branding, base_url="https://facturas.example.com")


def test_welcome_email_follows_the_manual():
    email = render(
        EmailKind.WELCOME,
        customer_name="CLIENTE PRUEBA CUSTOMER WEB 1",
        link=LINK,
        invoice_number="1",
        invoice_date="30/04/2019",
        expires="07/05/2019 10:00",
    )
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
    # The address is visible under the button, for clients that hide buttons.
    assert email.html.count(LINK) >= 3


def test_new_invoice_email_names_number_and_date():
    link = "https://facturas.example.com/factura?numero=F-2019%2F1"
    email = render(
        EmailKind.NEW_INVOICE,
        customer_name="Ana",
        invoice_number="F-2019/1",
        invoice_date="30/04/2019",
        link=link,
    )
    assert email.subject == "Nueva Factura disponible en Link Customer Portal Web"
    assert (
        "la nueva <strong>factura F-2019/1</strong> correspondiente a la fecha "
        "<strong>30/04/2019</strong>" in email.html
    )
    assert "Ver factura" in email.html and link in email.text


def test_reset_email_has_the_manuals_sentence():
    link = "https://facturas.example.com/restablecer/tok"
    email = render(EmailKind.PASSWORD_RESET, link=link, expires="30/04/2019 11:00")
    assert email.subject == "Restablecer contraseña"
    assert (
        "Por favor, para restaurar su contraseña en Link Customer Portal Web pulse sobre el "
        f'siguiente enlace: <a href="{link}"'
    ) in email.html
    assert ">restaurar contraseña</a>" in email.html and link in email.text


def test_company_name_comes_from_settings():
    branding = Branding(
        company_name="Acme",
        portal_name="Acme Customer Portal Web",
        phones=("900 000 000",),
        web="www.acme.example",
        tagline="#acme",
    )
    email = render(
        EmailKind.WELCOME,
        branding,
        customer_name="X",
        link=LINK,
        invoice_number="",
        invoice_date="",
        expires="",
    )
    assert email.subject == "Alta en Acme Customer Portal Web"
    assert "Facturas de Acme" in email.html and "900 000 000" in email.text
    assert "Link" not in email.subject and "928 472 915" not in email.html


def test_customer_names_are_escaped_in_html_and_kept_in_text():
    email = render(
        EmailKind.NEW_INVOICE,
        customer_name="Muñoz & <Pérez>",
        invoice_number="1",
        invoice_date="30/04/2019",
        link=LINK,
    )
    assert "Muñoz &amp; &lt;Pérez&gt;" in email.html and "<Pérez>" not in email.html
    assert "Muñoz & <Pérez>" in email.text


def test_a_missing_variable_is_a_clear_error_not_a_blank():
    with pytest.raises(TemplateProblem, match="customer_name"):
        render(EmailKind.NEW_INVOICE, invoice_number="1", invoice_date="30/04/2019", link=LINK)
    with pytest.raises(TemplateProblem, match="unknown email kind"):
        render("newsletter")


def test_html_is_built_for_mail_clients_and_phones():
    html = render(
        EmailKind.NEW_INVOICE,
        customer_name="A",
        invoice_number="1",
        invoice_date="30/04/2019",
        link=LINK,
    ).html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'role="presentation"' in html and "max-width:600px" in html
    assert "<style" not in html  # inline styles only: Gmail strips style blocks
    assert 'lang="es"' in html
