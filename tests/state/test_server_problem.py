"""A failed event: which banner the tab gets, and one shared wait for the database."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
import sqlalchemy as sa

from customer_portal import db
from customer_portal.state import server_problem
from customer_portal.state.server_problem import ServerProblemState, on_server_error
from tests.factories import reset_process_caches


def _refused() -> sa.exc.OperationalError:
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:9/none")
    try:
        engine.connect()
    except sa.exc.OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("port 9 answered")


def test_an_unreachable_database_gets_the_retry_and_one_log_line(caplog):
    with caplog.at_level(logging.WARNING):
        event = on_server_error(_refused())
    assert event.handler.fn.__name__ == ServerProblemState.wait_for_database.fn.__name__
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert caplog.records[0].exc_info is None  # no stack: an outage is not a bug


def test_any_other_failure_gets_the_message_and_the_traceback_in_the_log(caplog):
    with caplog.at_level(logging.WARNING):
        event = on_server_error(ValueError("a bug"))
    assert event.handler.fn.__name__ == ServerProblemState.show_failure.fn.__name__
    assert caplog.records[0].levelname == "ERROR" and caplog.records[0].exc_info is not None


def test_these_events_need_no_database_and_no_session():
    # The session guard lets them through without a lookup: while the database
    # is down, a lookup would fail the wait itself, and fail again, forever.
    names = {handler for handler in ServerProblemState.event_handlers}
    assert {"wait_for_database", "show_failure", "dismiss"} <= names
    assert all(
        f"{ServerProblemState.get_full_name()}.{name}" in server_problem.EVENTS_WITHOUT_DATABASE
        for name in ("wait_for_database", "show_failure", "dismiss")
    )


@pytest.fixture
def portal_database(own_postgres, portal_env, monkeypatch):
    monkeypatch.setenv("PORTAL_DATABASE_URL", own_postgres.url)
    reset_process_caches()
    yield own_postgres
    db.get_engine().dispose()
    reset_process_caches()


def test_many_tabs_wait_on_one_poll_of_the_database(portal_database, monkeypatch):
    asks: list[float] = []
    real = db.database_answers

    def counted(engine=None) -> bool:
        asks.append(time.monotonic())
        return real(engine)

    monkeypatch.setattr(server_problem, "database_answers", counted)
    portal_database.stop()
    threading.Thread(target=lambda: (time.sleep(1.5), portal_database.start())).start()

    async def tabs() -> list[bool]:
        return await asyncio.gather(*(server_problem.database_back(30) for _ in range(50)))

    assert asyncio.run(tabs()) == [True] * 50
    # One poller for 50 tabs, backing off (0.2 s doubling): a handful of
    # queries in 1.5 s, not one per tab per round.
    assert 2 <= len(asks) <= 8


def test_a_tab_stops_waiting_after_its_patience(portal_database):
    portal_database.stop()
    started = time.monotonic()
    assert asyncio.run(server_problem.database_back(1.0)) is False
    assert time.monotonic() - started < 4


def test_only_small_events_are_held_and_only_so_many(monkeypatch):
    from reflex_base.event import Event
    from reflex_base.event.context import EventContext

    class Context:
        token = "tab-1"

    monkeypatch.setattr(EventContext, "get", classmethod(lambda cls: Context))
    monkeypatch.setattr(server_problem, "_held", server_problem.OrderedDict())
    server_problem.hold_for_retry(Event(name="s.apply_filters", payload={"q": "F-1"}))
    assert server_problem._held["tab-1"] == ("s.apply_filters", {"q": "F-1"})
    # A client may send anything: a huge payload is not kept (the page's loads run instead).
    server_problem.hold_for_retry(Event(name="s.apply_filters", payload={"q": "x" * 100_000}))
    assert "tab-1" not in server_problem._held
    monkeypatch.setattr(server_problem, "_MAX_HELD", 3)
    for n in range(5):
        Context.token = f"tab-{n}"
        server_problem.hold_for_retry(Event(name="s.e", payload={}))
    assert list(server_problem._held) == ["tab-2", "tab-3", "tab-4"]
