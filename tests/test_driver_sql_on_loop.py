"""One statement awaited on the event loop (PostgreSQL): commits, types, connections, failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import select

from customer_portal import db
from customer_portal.db import is_unreachable, unit_of_work
from customer_portal.domain.audit import insert_for_each, values_for_each
from customer_portal.driver_sql import (
    DriverStatement,
    close_idle_on_loop_connections,
    first_on_loop,
)
from customer_portal.limits import AUDIT_ACTOR_LENGTH
from customer_portal.models import AuditEvent
from tests.mail.smtp_server import free_port

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

_PID = DriverStatement(sa.select(sa.func.pg_backend_pid()))


async def _pid(engine) -> int:
    (pid,) = await first_on_loop(engine, _PID, {})
    return pid


async def test_the_statement_commits_on_its_own_without_waiting_for_the_disk(engine):
    """A data-modifying CTE lands with the statement; nothing waits for an fsync."""
    recorded = DriverStatement(
        sa.select(
            sa.func.current_setting("synchronous_commit"),
            sa.func.current_setting("statement_timeout"),
        ).add_cte(
            insert_for_each(
                actor=sa.literal("x" * 300), action="a", subject=sa.literal("F-1"), where=sa.true()
            ).cte("logged")
        )
    )
    row = await first_on_loop(engine, recorded, values_for_each("198.51.100.4", {"n": "ñ"}))
    assert row == ("off", "30s")  # and a statement stuck behind a lock gives up
    with unit_of_work(engine, read_only=True) as session:  # another connection sees it
        (event,) = session.exec(select(AuditEvent)).all()
    assert event.actor == "x" * AUDIT_ACTOR_LENGTH  # cut to the column, as record_event cuts
    assert (event.action, event.subject, event.ip) == ("a", "F-1", "198.51.100.4")
    assert event.detail == '{"n": "ñ"}'


async def test_values_and_results_pass_through_the_column_types_in_binary(engine):
    echo = DriverStatement(
        sa.select(
            sa.cast(sa.bindparam("data", type_=sa.LargeBinary), sa.LargeBinary),
            sa.cast(sa.bindparam("at", type_=sa.DateTime(timezone=True)), sa.DateTime(True)),
            sa.literal("fijo"),  # a value the statement holds, not the caller
        )
    )
    data = bytes(range(256)) * 100
    at = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
    assert await first_on_loop(engine, echo, {"data": data, "at": at}) == (data, at, "fijo")
    nothing = DriverStatement(sa.select(sa.literal(1)).where(sa.false()))
    assert await first_on_loop(engine, nothing, {}) is None


async def test_a_connection_serves_again_and_one_the_server_dropped_costs_nothing(engine):
    first = await _pid(engine)
    assert await _pid(engine) == first  # kept for the next statement
    with engine.connect() as other:  # a restart, as the idle connection sees it
        other.execute(sa.select(sa.func.pg_terminate_backend(first)))
    await asyncio.sleep(0.1)
    assert await _pid(engine) != first


async def test_a_failing_statement_raises_sqlalchemys_error_and_the_next_one_runs(engine):
    failing = DriverStatement(sa.select(sa.cast(sa.bindparam("n", type_=sa.String), sa.Integer)))
    with pytest.raises(sa.exc.DBAPIError) as raised:
        await first_on_loop(engine, failing, {"n": "ninguno"})
    assert not is_unreachable(raised.value)
    assert "invalid input syntax for type integer" in str(raised.value.orig)
    assert await _pid(engine) > 0


async def test_a_cancelled_statement_does_not_leave_its_connection_for_the_next(engine):
    asleep = DriverStatement(sa.select(sa.func.pg_backend_pid(), sa.func.pg_sleep(2)))
    first = await _pid(engine)
    waiting = asyncio.create_task(first_on_loop(engine, asleep, {}))
    await asyncio.sleep(0.2)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await _pid(engine) != first  # its state was unknown: closed, not kept


async def test_idle_connections_close_when_asked(engine):
    first = await _pid(engine)
    close_idle_on_loop_connections()
    assert await _pid(engine) != first


async def test_a_server_that_is_not_there_says_the_database_is_unreachable(database_url):
    engine = db.create_db_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test")
    with pytest.raises(sa.exc.DBAPIError) as raised:
        await _pid(engine)
    assert is_unreachable(raised.value)


async def test_statements_beyond_the_cap_wait_for_a_connection(engine, monkeypatch):
    """Many downloads at once never take more than their share of the server's connections."""
    from customer_portal import driver_sql

    monkeypatch.setattr(driver_sql, "CONNECTIONS_PER_LOOP", 3)
    asleep = DriverStatement(sa.select(sa.func.pg_backend_pid(), sa.func.pg_sleep(0.2)))
    rows = await asyncio.gather(*(first_on_loop(engine, asleep, {}) for _ in range(9)))
    assert len({pid for pid, _ in rows}) == 3
