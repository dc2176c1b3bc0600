"""People made on publication: a login per email, linked to each customer that names it."""

from datetime import timedelta

from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.domain.people import (
    choose_customer,
    customers_of,
    ensure_people,
    may_see,
    people_of,
    remove_person,
)
from customer_portal.domain.sessions import start_session
from customer_portal.models import Account, AuthSession
from tests.factories import make_account, make_customer


def emails(people) -> list[str]:
    return [person.email for person in people]


def test_a_new_customer_gets_an_unactivated_login_of_its_email_and_contacts(engine):
    with unit_of_work(engine) as session:
        customer = make_customer(session, email="  Ana@Example.COM ")
        people = ensure_people(
            session=session, customer=customer, contacts=["Gestor@Asesoria.es", "ana@example.com"]
        )
        assert emails(people) == ["ana@example.com", "gestor@asesoria.es"]
        assert all(person.activated_at is None for person in people)
        # Asked again, the same people.
        again = ensure_people(session=session, customer=customer, contacts=["gestor@asesoria.es"])
        assert [p.id for p in again] == [p.id for p in people]
        assert emails(people_of(session=session, customer_id=customer.id)) == emails(people)


def test_one_person_of_several_customers_has_one_login(engine):
    with unit_of_work(engine) as session:
        accountant = make_account(session, email="gestor@asesoria.es")
        first = session.exec(select(Account)).one()
        companies = [
            make_customer(session, code=f"EMP-{n}", name=f"Empresa {n}", email=f"e{n}@x.es")
            for n in (2, 3)
        ]
        for company in companies:
            ensure_people(session=session, customer=company, contacts=["GESTOR@asesoria.es"])
        logins = session.exec(select(Account).where(Account.email == "gestor@asesoria.es")).all()
        assert [login.id for login in logins] == [first.id] == [accountant.id]
        names = [c.name for c in customers_of(session=session, account_id=accountant.id)]
        assert names == sorted(names) and {"Empresa 2", "Empresa 3"} < set(names)
        for company in companies:
            assert may_see(session=session, account_id=accountant.id, customer_id=company.id)


def test_choosing_a_customer_only_among_ones_own(engine):
    with unit_of_work(engine) as session:
        accountant = make_account(session, email="gestor@asesoria.es")
        mine = customers_of(session=session, account_id=accountant.id)
        other = make_customer(session, code="AJENO", email="ajeno@x.es")
        assert choose_customer(mine, mine[0].code) == mine[0]
        assert choose_customer(mine, other.code) == mine[0]  # not theirs: their first instead
        assert choose_customer(mine, None) == mine[0]
        assert choose_customer([], "X") is None


def test_people_who_never_came_in_follow_the_billing_system(engine):
    with unit_of_work(engine) as session:
        customer = make_customer(session, email="old@example.com")
        ensure_people(session=session, customer=customer, contacts=["clerk@example.com"])
        customer.email = "New@example.com"
        session.add(customer)
        now = ensure_people(session=session, customer=customer, contacts=[])
        assert emails(now) == ["new@example.com"]
        # Never activated and no longer named: unlinked (no credentials to an old mailbox).
        assert emails(people_of(session=session, customer_id=customer.id)) == ["new@example.com"]


def test_people_who_set_their_password_stay_until_the_operator_removes_them(engine):
    with unit_of_work(engine) as session:
        account = make_account(session, email="mine@example.com")
        customer = customers_of(session=session, account_id=account.id)[0]
        stored = session.get(type(make_customer(session)), customer.id)
        stored.email = "changed@example.com"
        session.add(stored)
        ensure_people(session=session, customer=stored)
        assert emails(people_of(session=session, customer_id=customer.id)) == [
            "changed@example.com",
            "mine@example.com",
        ]
        token = start_session(session=session, account=account, idle=timedelta(hours=1))
        assert remove_person(session=session, customer=stored, email="MINE@example.com")
        assert not remove_person(session=session, customer=stored, email="mine@example.com")
        assert not may_see(session=session, account_id=account.id, customer_id=customer.id)
        # With no customer left, their sessions end too.
        live = session.exec(select(AuthSession).where(AuthSession.revoked_at.is_(None))).all()
        assert live == [] and token
