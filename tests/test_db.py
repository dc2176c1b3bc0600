"""Units of work: a read-only one takes no lock on SQLite, and cannot write."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlmodel import select

from customer_portal import db
from customer_portal.db import WriteInReadOnlyUnit, unit_of_work
from customer_portal.models import Customer
from tests import factories


@pytest.fixture
def sqlite_engine(tmp_path):
    """SQLite only: its locks are what these tests are about (PostgreSQL readers never wait)."""
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'locks.db'}")
    db.migrate(engine)
    yield engine
    engine.dispose()


def test_a_read_only_unit_reads_while_a_writer_holds_the_lock(sqlite_engine):
    """The reads of every websocket event must not queue behind a write (benchmark 5)."""
    engine = sqlite_engine
    with unit_of_work(engine) as session:
        factories.make_customer(session, code="A")

    def read() -> int:
        with unit_of_work(engine, read_only=True) as session:
            return len(session.exec(select(Customer)).all())

    with ThreadPoolExecutor(1) as pool, unit_of_work(engine) as writer:
        factories.make_customer(writer, code="B")  # flushed: the writer holds the lock
        # Without read_only, BEGIN IMMEDIATE waits for the writer (busy_timeout: 30 s).
        assert pool.submit(read).result(timeout=5) == 1  # the committed row only


def test_a_plain_unit_still_takes_the_write_lock_up_front(sqlite_engine):
    engine = sqlite_engine
    statements: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    try:
        with unit_of_work(engine) as session:
            session.exec(select(Customer)).all()
        with unit_of_work(engine, read_only=True) as session:
            session.exec(select(Customer)).all()
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN"]


def test_a_read_only_unit_refuses_to_write(engine):
    with pytest.raises(WriteInReadOnlyUnit), unit_of_work(engine, read_only=True) as session:
        factories.make_customer(session)
    with unit_of_work(engine) as session:
        assert session.exec(select(Customer)).all() == []


def test_objects_of_a_read_only_unit_stay_readable_after_it_closes(engine):
    with unit_of_work(engine) as session:
        factories.make_customer(session, name="Ana")
    with unit_of_work(engine, read_only=True) as session:
        customer = session.exec(select(Customer)).one()
    assert customer.name == "Ana"
