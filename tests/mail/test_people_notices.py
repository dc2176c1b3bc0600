"""Several people per customer, several customers per person: who gets which email.

Through the publisher and the real SMTP peer, on both databases.
"""

from __future__ import annotations

from customer_portal.db import unit_of_work
from customer_portal.domain.people import unlink_person
from customer_portal.mail.worker import deliver_once
from tests.factories import customer_input, invoice_input
from tests.mail.test_notices import activate, mail_publisher, publish, text_of

__all__ = ["mail_publisher"]

GESTOR = "gestor@asesoria.es"


def company(n: int, *contacts: str) -> dict:
    return customer_input(
        code=f"EMP-{n}",
        name=f"Empresa {n}",
        email=f"admin{n}@empresa{n}.es",
        contacts=list(contacts),
    )


def to(smtp_server, address: str) -> list:
    return [r for r in smtp_server.received if r.rcpt_tos == [address]]


def test_a_clerk_and_an_accountant_each_get_their_alta(engine, mail_publisher, smtp_server):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("E1-1", customer=company(1, GESTOR)))
    deliver_once(engine=engine, settings=settings)
    for address in ("admin1@empresa1.es", GESTOR):
        (alta,) = to(smtp_server, address)
        assert alta.message["Subject"] == "Alta en Link Customer Portal Web"
        assert "/credenciales/" in text_of(alta)


def test_an_accountant_of_three_companies_gets_one_alta_and_each_companys_news(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    publish(
        publisher,
        invoice_input("E1-1", customer=company(1, GESTOR)),
        invoice_input("E2-1", customer=company(2, GESTOR.upper())),
        invoice_input("E3-1", customer=company(3, GESTOR)),
    )
    deliver_once(engine=engine, settings=settings)
    subjects = sorted(r.message["Subject"] for r in to(smtp_server, GESTOR))
    # One Alta; the other companies' invoices remind of the credentials.
    assert subjects.count("Alta en Link Customer Portal Web") == 1
    assert subjects.count("Nueva Factura disponible en Link Customer Portal Web") == 2

    activate(engine, GESTOR)
    before = len(smtp_server.received)
    publish(publisher, invoice_input("E2-2", customer=company(2, GESTOR)))
    deliver_once(engine=engine, settings=settings)
    news = [r for r in smtp_server.received[before:] if r.rcpt_tos == [GESTOR]]
    assert len(news) == 1 and "E2-2" in text_of(news[0]) and "credenciales" not in text_of(news[0])


def test_a_person_removed_meanwhile_gets_no_more_of_that_customer(
    engine, mail_publisher, smtp_server
):
    publisher, settings = mail_publisher
    publish(publisher, invoice_input("E1-1", customer=company(1, GESTOR)))
    deliver_once(engine=engine, settings=settings)
    activate(engine, GESTOR)
    publish(publisher, invoice_input("E1-2", customer=company(1, GESTOR)))  # queued, held
    with unit_of_work(engine) as session:
        assert unlink_person(session=session, code="EMP-1", email=GESTOR, actor="test")
    before = len(smtp_server.received)
    deliver_once(engine=engine, settings=settings)
    assert [r.rcpt_tos for r in smtp_server.received[before:]] == [["admin1@empresa1.es"]]
    # The billing system still names them: the operator's removal stands.
    publish(publisher, invoice_input("E1-3", customer=company(1, GESTOR)))
    deliver_once(engine=engine, settings=settings)
    assert GESTOR not in [r.rcpt_tos[0] for r in smtp_server.received[before:]]
