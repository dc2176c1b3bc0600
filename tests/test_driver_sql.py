"""Statements on the driver's cursor: SQLAlchemy's SQL and types, its errors, its transactions."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from customer_portal import db
from customer_portal.db import get_engine_that_never_waits, is_unreachable, unit_of_work
from customer_portal.domain.audit import record_event_in
from customer_portal.driver_sql import (
    DriverStatement,
    WouldWait,
    driver_transaction,
)
from customer_portal.models import AuditEvent

_EVENT_AT = DriverStatement(
    select(AuditEvent.at, AuditEvent.detail).where(col(AuditEvent.actor) == sa.bindparam("actor"))
)


def _events(engine) -> list[AuditEvent]:
    with unit_of_work(engine, read_only=True) as session:
        return list(session.exec(select(AuditEvent)).all())


def test_values_and_results_pass_through_the_column_types(engine):
    """SQLite keeps datetimes as text: both ways go through SQLAlchemy's processors."""
    with driver_transaction(engine) as transaction:
        record_event_in(transaction, actor="ana@example.com", action="a", detail={"n": "ñ"})
    with driver_transaction(engine) as transaction:
        at, detail = transaction.first(_EVENT_AT, {"actor": "ana@example.com"})
        assert transaction.first(_EVENT_AT, {"actor": "nobody"}) is None
    (event,) = _events(engine)
    assert isinstance(at, datetime) and at == event.at
    assert detail == event.detail == '{"n": "ñ"}'


def test_each_statement_is_compiled_once_per_dialect(engine):
    statement = DriverStatement(select(sa.literal(1)))
    first = statement.compiled(engine.dialect)
    assert statement.compiled(engine.dialect) is first


def test_a_failure_rolls_everything_back(engine):
    with pytest.raises(RuntimeError), driver_transaction(engine) as transaction:
        record_event_in(transaction, actor="ana@example.com", action="a")
        raise RuntimeError("half-way")
    assert _events(engine) == []


def test_a_driver_error_comes_out_as_sqlalchemys_and_writes_nothing(engine):
    with pytest.raises(sa.exc.IntegrityError), driver_transaction(engine) as transaction:
        record_event_in(transaction, actor="ana@example.com", action="a")
        # NOT NULL action: the driver's own error, wrapped as anywhere else in the portal.
        record_event_in(transaction, actor="ana@example.com", action=None)  # type: ignore[arg-type]
    assert _events(engine) == []
    with driver_transaction(engine) as transaction:  # the pool's connection still works
        record_event_in(transaction, actor="ana@example.com", action="b")
    assert [event.action for event in _events(engine)] == ["b"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_dropped_connection_is_discarded_and_says_the_database_is_unreachable(engine):
    suicide = DriverStatement(select(sa.func.pg_terminate_backend(sa.func.pg_backend_pid())))
    with pytest.raises(sa.exc.DBAPIError) as raised, driver_transaction(engine) as transaction:
        transaction.first(suicide, {})
    assert raised.value.connection_invalidated and is_unreachable(raised.value)
    with driver_transaction(engine) as transaction:
        record_event_in(transaction, actor="ana@example.com", action="after")
    assert [event.action for event in _events(engine)] == ["after"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_commit_may_skip_the_disk_wait_on_postgresql_only_when_asked(engine):
    setting = DriverStatement(sa.text("SHOW synchronous_commit").columns(sa.column("s")))
    for durable, expected in ((False, "off"), (True, "on")):
        with driver_transaction(engine, durable=durable) as transaction:
            assert transaction.first(setting, {}) == (expected,)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_engine_that_never_waits_gives_up_at_once_on_a_held_write_lock(engine):
    never_waits = get_engine_that_never_waits()
    assert never_waits is not None and never_waits is not engine
    with engine.begin() as holder:  # BEGIN IMMEDIATE: the write lock, as any writer takes it
        holder.exec_driver_sql("SELECT 1")
        started = time.monotonic()
        with pytest.raises(WouldWait), driver_transaction(never_waits) as transaction:
            record_event_in(transaction, actor="ana@example.com", action="never")
        assert time.monotonic() - started < 1
    with driver_transaction(never_waits) as transaction:
        record_event_in(transaction, actor="ana@example.com", action="later")
    assert [event.action for event in _events(engine)] == ["later"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_has_no_engine_for_the_event_loop(engine):
    assert get_engine_that_never_waits() is None


def test_an_in_memory_sqlite_database_has_no_second_engine(monkeypatch, portal_env):
    monkeypatch.setenv("PORTAL_DATABASE_URL", "sqlite:///:memory:")
    from tests.factories import reset_process_caches

    reset_process_caches()
    assert db.get_engine_that_never_waits() is None
