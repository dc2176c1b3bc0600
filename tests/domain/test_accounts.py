"""Accounts made on publication: one login per customer, an email never shared."""

import logging

from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.domain.accounts import ensure_account
from customer_portal.models import Account, Customer
from tests.factories import make_account, make_customer


def test_a_new_customer_gets_an_unactivated_login_of_its_email(engine):
    with unit_of_work(engine) as session:
        customer = make_customer(session, email="  Ana@Example.COM ")
        account = ensure_account(session=session, customer=customer)
        assert account is not None
        assert (account.customer_id, account.email, account.activated_at) == (
            customer.id,
            "ana@example.com",
            None,
        )
        # Asked again, the same login.
        assert ensure_account(session=session, customer=customer).id == account.id


def test_an_email_that_is_another_customers_login_makes_no_second_login(engine, caplog):
    with unit_of_work(engine) as session:
        first = make_account(session, email="shared@example.com")
        other = make_customer(session, code="OTRO-1", email="SHARED@example.com")
        with caplog.at_level(logging.WARNING):
            assert ensure_account(session=session, customer=other) is None
        logins = session.exec(select(Account).where(Account.email == "shared@example.com")).all()
        assert [login.id for login in logins] == [first.id]
    assert "email of customer OTRO-1 already used by another customer's login" in caplog.text


def test_a_login_not_yet_activated_follows_its_customers_new_email(engine):
    with unit_of_work(engine) as session:
        customer = make_customer(session, email="old@example.com")
        account = ensure_account(session=session, customer=customer)
        customer.email = "New@example.com"
        session.add(customer)
        assert ensure_account(session=session, customer=customer).email == "new@example.com"
        assert account.email == "new@example.com"


def test_an_activated_login_keeps_its_email(engine):
    with unit_of_work(engine) as session:
        account = make_account(session, email="mine@example.com")
        customer = session.get(Customer, account.customer_id)
        customer.email = "changed@example.com"
        session.add(customer)
        kept = ensure_account(session=session, customer=customer)
        assert (kept.id, kept.email) == (account.id, "mine@example.com")


def test_another_customers_login_with_my_new_email_leaves_mine_alone(engine, caplog):
    with unit_of_work(engine) as session:
        make_account(session, email="taken@example.com")
        customer = make_customer(session, email="mine@example.com")
        mine = ensure_account(session=session, customer=customer)
        customer.email = "taken@example.com"
        session.add(customer)
        with caplog.at_level(logging.WARNING):
            assert ensure_account(session=session, customer=customer).id == mine.id
        assert mine.email == "mine@example.com"
