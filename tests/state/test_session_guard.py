"""Who is asking, resolved before every event: only reads, and slides the expiry once a minute."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from customer_portal.db import unit_of_work
from customer_portal.domain.sessions import start_session
from customer_portal.models import AuthSession, utcnow
from customer_portal.state.auth import find_viewer
from tests import factories

IDLE = timedelta(hours=8)


@pytest.fixture
def token(engine) -> str:
    with unit_of_work(engine) as session:
        customer = factories.make_customer(session, name="Ana Martín")
        account = factories.make_account(session, customer=customer)
        return start_session(session=session, account=account, idle=IDLE)


def test_the_viewer_is_found_while_another_customer_writes(engine, token):
    """Every event asks this first: it must not wait for the write lock (benchmark 5).

    On SQLite a plain unit of work would wait (BEGIN IMMEDIATE); on PostgreSQL
    readers never wait for writers, and this holds there too.
    """
    with ThreadPoolExecutor(1) as pool, unit_of_work(engine) as writer:
        factories.make_customer(writer)  # flushed: this transaction holds the lock
        viewer = pool.submit(find_viewer, token).result(timeout=5)
    assert viewer is not None and viewer.customer_name == "Ana Martín"


def test_the_expiry_slides_when_a_minute_has_passed(engine, token):
    with unit_of_work(engine) as session:
        row = session.exec(select(AuthSession)).one()
        row.last_seen_at = utcnow() - timedelta(minutes=5)
        row.expires_at = utcnow() + timedelta(minutes=1)
        session.add(row)
    assert find_viewer(token) is not None
    with unit_of_work(engine) as session:
        row = session.exec(select(AuthSession)).one()
    assert row.expires_at > utcnow() + IDLE - timedelta(minutes=1)
    assert row.last_seen_at > utcnow() - timedelta(minutes=1)


def test_an_ended_session_is_nobody(engine, token):
    with unit_of_work(engine) as session:
        row = session.exec(select(AuthSession)).one()
        row.revoked_at = utcnow()
        session.add(row)
    assert find_viewer(token) is None
    assert find_viewer("") is None
    assert find_viewer("forged") is None


def test_the_viewer_costs_one_query(engine, token):
    """Asked before every event: session, account and customer name in one SELECT."""
    statements: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    try:
        viewer = find_viewer(token)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert viewer is not None and viewer.customer_name == "Ana Martín"
    assert len([s for s in statements if "SELECT" in s.upper()]) == 1


async def test_reflex_navigation_bookkeeping_is_not_looked_up(monkeypatch):
    """on_load_internal and set_is_hydrated read nothing private: no lookup for them."""
    from reflex.state import OnLoadInternalState
    from reflex_base.event import Event

    from customer_portal.state import auth
    from customer_portal.state.auth import AuthState, SessionGuard

    def no_lookup(token):
        raise AssertionError("looked up")

    monkeypatch.setattr(auth, "find_viewer", no_lookup)
    assert not issubclass(OnLoadInternalState, AuthState)
    for handler in ("on_load_internal", "set_is_hydrated"):
        assert handler in OnLoadInternalState.event_handlers
        name = f"{OnLoadInternalState.get_full_name()}.{handler}"
        auth._viewer.set(object())
        event = Event(name=name, payload={})
        assert await SessionGuard().preprocess(app=None, state=None, event=event) is None
        assert auth._viewer.get() is None


@pytest.mark.parametrize(
    ("router_data", "code"),
    [
        ({"query": {"cliente": "CLI-0002", "estado": "pendiente"}}, "CLI-0002"),
        ({"query": {"estado": "pendiente"}}, None),
        ({"query": {"cliente": ["A", "B"]}}, None),
        ({"query": "cliente=X"}, None),
        ({}, None),
        (None, None),
        ({"query": {"cliente": "X" * 500}}, "X" * 40),
    ],
)
def test_the_customer_a_page_asks_for(router_data, code):
    from customer_portal.state.auth import asked_customer

    assert asked_customer(router_data) == code


def test_the_viewer_honours_only_the_persons_own_customers(engine):
    with unit_of_work(engine) as session:
        alfa = factories.make_customer(session, code="ALFA", name="Alfa")
        beta = factories.make_customer(session, code="BETA", name="Beta")
        factories.make_customer(session, code="GAMMA", name="Gamma")
        account = factories.make_account(session, customer=alfa, email="g@x.es")
        session.add(factories.CustomerAccess(customer_id=beta.id, account_id=account.id))
        token = start_session(session=session, account=account, idle=IDLE)
    assert find_viewer(token, "BETA").customer.code == "BETA"
    assert find_viewer(token, "GAMMA").customer.code == "ALFA"
    assert [c.code for c in find_viewer(token).customers] == ["ALFA", "BETA"]
