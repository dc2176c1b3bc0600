"""The operator lists and removes a customer's people: API (with the key) and CLI."""

from __future__ import annotations

from customer_portal.db import unit_of_work
from customer_portal.domain.people import ensure_people, may_see
from tests.api.test_publishing_api import auth, client  # noqa: F401 (the fixture)
from tests.factories import make_account, make_customer
from tests.test_cli import cli


def two_people(engine):
    with unit_of_work(engine) as session:
        customer = make_customer(session, code="EMP-1", email="admin@empresa.es")
        clerk = make_account(session, customer=customer)
        ensure_people(session=session, customer=customer, contacts=["gestor@asesoria.es"])
        return customer, clerk


async def test_the_api_lists_and_removes_people(engine, client):  # noqa: F811
    customer, clerk = two_people(engine)
    assert (await client.get("/api/v1/customers/EMP-1/people")).status_code == 401
    listed = await client.get("/api/v1/customers/EMP-1/people", headers=auth())
    assert listed.json() == {
        "customer": "EMP-1",
        "people": [
            {"email": "admin@empresa.es", "active": True, "second_factor": False},
            {"email": "gestor@asesoria.es", "active": False, "second_factor": False},
        ],
    }
    url = "/api/v1/customers/EMP-1/people/admin@empresa.es"
    assert (await client.delete(url)).status_code == 401
    assert (await client.delete(url, headers=auth())).status_code == 204
    assert (await client.delete(url, headers=auth())).status_code == 404
    assert (await client.get("/api/v1/customers/NOPE/people", headers=auth())).status_code == 404
    with unit_of_work(engine) as session:
        assert not may_see(session=session, account_id=clerk.id, customer_id=customer.id)


def test_the_cli_lists_and_removes_people(engine):
    two_people(engine)
    shown = cli("people", "EMP-1", check_code=0).stdout
    assert (
        "admin@empresa.es: active" in shown and "gestor@asesoria.es: credentials not set" in shown
    )
    removed = cli("people", "EMP-1", "--remove", "Gestor@Asesoria.es", check_code=0).stdout
    assert "Removed" in removed and "1 people of EMP-1" in removed
    assert "is not a person" in cli("people", "EMP-1", "--remove", "x@y.es", check_code=2).stderr
