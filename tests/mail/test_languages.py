"""Emails go out in the recipient's language: their choice, else their browser's, else Spanish.

Through the publisher and the real SMTP peer, on both databases.
"""

from __future__ import annotations

from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.mail.worker import deliver_once
from customer_portal.models import Account
from tests.factories import customer_input, invoice_input
from tests.mail.test_notices import activate, mail_publisher, publish, text_of

__all__ = ["mail_publisher"]


def speaks(engine, email: str, *, language=None, browser_language=None) -> None:
    with unit_of_work(engine) as session:
        account = session.exec(select(Account).where(Account.email == email)).one()
        account.language, account.browser_language = language, browser_language
        session.add(account)
        session.commit()


def test_a_person_who_chose_english_gets_english_and_the_other_spanish(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    customer = customer_input(email="clerk@example.com", contacts=["accountant@example.com"])
    publish(publisher, invoice_input("F-1", customer=customer))
    deliver_once(engine=engine, settings=settings)
    for address in ("clerk@example.com", "accountant@example.com"):
        activate(engine, address)
    speaks(engine, "accountant@example.com", language="en", browser_language="es")
    before = len(smtp_server.received)

    publish(publisher, invoice_input("F-2", customer=customer))
    deliver_once(engine=engine, settings=settings)
    news = {r.rcpt_tos[0]: r.message for r in smtp_server.received[before:]}
    english, spanish = news["accountant@example.com"], news["clerk@example.com"]
    assert english["Subject"] == "New invoice available on Link Customer Portal Web"
    assert spanish["Subject"] == "Nueva Factura disponible en Link Customer Portal Web"
    body = english.get_body(("plain",)).get_content()
    assert "Pending" in body and "Pendiente" not in body
    assert "Pendiente" in text_of_message(spanish)
    html = english.get_body(("html",)).get_content()
    assert 'lang="en"' in html and "Pendiente" not in html


def test_without_a_choice_the_browser_language_of_the_last_sign_in_is_used(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    customer = customer_input(email="ana@example.com")
    publish(publisher, invoice_input("F-1", customer=customer))
    deliver_once(engine=engine, settings=settings)
    (alta,) = smtp_server.received
    assert alta.message["Subject"] == "Alta en Link Customer Portal Web"  # nothing known yet
    activate(engine, "ana@example.com")
    speaks(engine, "ana@example.com", browser_language="en")

    publish(publisher, invoice_input("F-2", customer=customer))
    deliver_once(engine=engine, settings=settings)
    assert smtp_server.received[-1].message["Subject"].startswith("New invoice available")
    assert "F-2" in text_of(smtp_server.received[-1])


def text_of_message(message) -> str:
    return message.get_body(("plain",)).get_content()
