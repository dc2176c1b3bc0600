"""A person of several customers: the page shows the customer chosen, and only theirs.

The choice is the page's ``?cliente=``; the server honours it only for a
customer the person is linked to, for every event.
"""

from __future__ import annotations

import pytest

from customer_portal.db import unit_of_work
from customer_portal.domain.people import ensure_people
from customer_portal.models import Account
from customer_portal.state.invoice_detail import InvoiceDetailState
from customer_portal.state.invoice_list import InvoiceListState
from tests.factories import make_account, make_customer, make_invoice, signed_in_as, state_for


@pytest.fixture
def accountant(engine) -> Account:
    """gestor@asesoria.es: a person of Alfa and Beta; Gamma is someone else's."""
    with unit_of_work(engine) as session:
        alfa = make_customer(session, code="ALFA", name="Alfa S.L.", email="alfa@x.es")
        beta = make_customer(session, code="BETA", name="Beta S.A.", email="beta@x.es")
        gamma = make_customer(session, code="GAMMA", name="Gamma", email="gamma@x.es")
        make_invoice(session, customer=alfa, number="A-1")
        make_invoice(session, customer=beta, number="B-1")
        make_invoice(session, customer=beta, number="B-2")
        make_invoice(session, customer=gamma, number="G-1")
        person = make_account(session, customer=alfa, email="gestor@asesoria.es")
        ensure_people(session=session, customer=beta, contacts=["gestor@asesoria.es"])
        return person


async def listed(account, url: str, code: str | None) -> InvoiceListState:
    signed_in_as(account, code)
    state = state_for(InvoiceListState, url=url)
    await InvoiceListState.open_list.fn(state)
    return state


async def test_the_chosen_customer_and_only_it(accountant):
    beta = await listed(accountant, "/facturas?cliente=BETA", "BETA")
    assert sorted(row.number for row in beta.rows) == ["B-1", "B-2"]
    # Links the page makes keep the choice: the list's own address, the files.
    assert "cliente=BETA" in beta.csv_href and "cliente=BETA" in beta.zip_href
    alfa = await listed(accountant, "/facturas", None)  # no choice: the first by name
    assert [row.number for row in alfa.rows] == ["A-1"]


async def test_another_customers_code_shows_nothing_of_it(accountant):
    forged = await listed(accountant, "/facturas?cliente=GAMMA", "GAMMA")
    assert "G-1" not in [row.number for row in forged.rows]
    assert [row.number for row in forged.rows] == ["A-1"]  # their own first instead


async def test_an_invoice_opens_from_any_of_the_persons_customers_but_no_other(accountant):
    for number, found in (("B-2", True), ("A-1", True), ("G-1", False)):
        signed_in_as(accountant)
        state = state_for(InvoiceDetailState, url=f"/factura?numero={number}")
        await InvoiceDetailState.open_invoice.fn(state)
        assert state.found is found, number


async def test_a_person_removed_from_every_customer_sees_nothing(engine, accountant):
    from sqlmodel import select

    from customer_portal.domain.people import remove_person
    from customer_portal.models import Customer

    with unit_of_work(engine) as session:
        for customer in session.exec(select(Customer)).all():
            remove_person(session=session, customer=customer, email="gestor@asesoria.es")
    state = await listed(accountant, "/facturas?cliente=ALFA", "ALFA")
    assert state.rows == [] and state.count == 0
