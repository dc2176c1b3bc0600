"""Units of work: a read-only one takes no lock on SQLite, and cannot write."""

from __future__ import annotations

import threading
import time
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


# --- The database unreachable: a PostgreSQL restart or outage -------------------------


def _restart_after(server, seconds: float) -> threading.Thread:
    """Stop ``server`` now; start it again ``seconds`` later, in a thread."""
    server.stop()
    thread = threading.Thread(target=lambda: (time.sleep(seconds), server.start()))
    thread.start()
    return thread


def test_an_outage_is_told_apart_from_other_database_errors(own_postgres, sqlite_engine):
    engine = db.create_db_engine(own_postgres.url)
    with engine.connect() as connection:
        own_postgres.stop()  # ends this connection, as a restart does
        with pytest.raises(sa.exc.DBAPIError) as dropped:
            connection.exec_driver_sql("SELECT 1")
    with pytest.raises(sa.exc.DBAPIError) as refused:
        engine.connect()
    assert db.is_unreachable(dropped.value) and db.is_unreachable(refused.value)
    assert not db.database_answers(engine)
    own_postgres.start()
    assert db.database_answers(engine)
    with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError) as bad_sql:
        connection.exec_driver_sql("SELECT * FROM no_such_table")
    with sqlite_engine.connect() as connection, pytest.raises(sa.exc.DBAPIError) as sqlite:
        connection.exec_driver_sql("SELECT * FROM no_such_table")
    assert not db.is_unreachable(bad_sql.value) and not db.is_unreachable(sqlite.value)
    assert not db.is_unreachable(RuntimeError("no database involved"))
    engine.dispose()


def test_work_is_run_again_once_a_restarted_database_answers(own_postgres):
    engine = db.create_db_engine(own_postgres.url)
    tries: list[float] = []

    def work() -> int:
        tries.append(time.monotonic())
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT 42").scalar_one()

    restart = _restart_after(own_postgres, 1.5)
    started = time.monotonic()
    assert db.retry_when_unreachable(work, engine=engine, patience=30, what="in a test") == 42
    restart.join()
    assert len(tries) == 2  # refused once, then waited for the server, not spun on it
    assert tries[1] - started >= 1.0
    engine.dispose()


def test_retrying_gives_up_after_its_patience(own_postgres):
    engine = db.create_db_engine(own_postgres.url)
    own_postgres.stop()
    started = time.monotonic()
    with pytest.raises(sa.exc.OperationalError):
        db.retry_when_unreachable(
            lambda: engine.connect().close(), engine=engine, patience=1.0, what="in a test"
        )
    assert 1.0 <= time.monotonic() - started < 5
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise sa.exc.IntegrityError("INSERT", {}, Exception("duplicate"))

    with pytest.raises(sa.exc.IntegrityError):  # not an outage: not retried
        db.retry_when_unreachable(broken, engine=engine, patience=5, what="in a test")
    assert calls == [1]
    engine.dispose()


def test_a_postgresql_connection_gives_up_after_ten_seconds_unless_the_url_says():
    class Seen(Exception):
        pass

    for url, expected in (
        ("postgresql+psycopg://u@127.0.0.1:9/db", 10),
        ("postgresql+psycopg://u@127.0.0.1:9/db?connect_timeout=3", 3),
    ):
        engine = db.create_db_engine(url)
        handed: dict = {}

        @sa.event.listens_for(engine, "do_connect")
        def capture(dialect, record, cargs, cparams, handed=handed):
            handed.update(cparams)  # what psycopg would be given
            raise Seen

        with pytest.raises(Seen):
            engine.connect()
        assert int(handed["connect_timeout"]) == expected
        engine.dispose()
