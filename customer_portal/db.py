"""The database engine, sessions and migrations.

SQLite is tuned for a web process beside CLI writers: WAL so readers never
wait for a writer, a busy timeout instead of "database is locked", foreign
keys on, and ``BEGIN IMMEDIATE`` so a write transaction takes the write lock
up front instead of failing half-way. A unit of work opened ``read_only``
begins deferred instead: in WAL mode it takes no lock at all, so the reads
every websocket event makes (who is asking, the list it shows) neither queue
behind each other nor behind a writer. PostgreSQL needs none of that.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session

from customer_portal.driver_sql import POSTGRES_CONNECT_TIMEOUT
from customer_portal.instance import private_file

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Engine execution option of a unit of work that only reads (see the module docstring).
READ_ONLY = "customer_portal_read_only"

#: How long a SQLite connection waits for another's write lock before giving up.
BUSY_TIMEOUT_MS = 30_000


class SchemaOutOfDate(RuntimeError):
    """The database is not at the schema this code expects."""


def is_sqlite(url: str) -> bool:
    """Whether ``url`` points at SQLite, which needs the connection tuning above."""
    return url.startswith("sqlite")


def create_db_engine(url: str, *, wait_for_write_lock: bool = True) -> sa.Engine:
    """An engine for ``url`` with the per-dialect settings described above.

    Args:
        url: the database.
        wait_for_write_lock: False for SQLite connections that fail at once
            (busy timeout 0) while another connection holds the write lock
            (:func:`get_engine_that_never_waits`). PostgreSQL ignores it.
    """
    if not is_sqlite(url):
        connect_args = (
            {} if "connect_timeout" in url else {"connect_timeout": POSTGRES_CONNECT_TIMEOUT}
        )
        return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)

    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        private_file(Path(path))
    busy_timeout_ms = BUSY_TIMEOUT_MS if wait_for_write_lock else 0
    engine = sa.create_engine(
        url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        # BEGIN IMMEDIATE takes the one write lock even to read: every reader
        # would wait its turn (and SQLite's busy handler sleeps up to 100 ms
        # between tries). A reader begins deferred and takes no lock in WAL.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


@functools.cache
def get_engine() -> sa.Engine:
    """The process-wide engine for the configured database."""
    from customer_portal.settings import get_settings

    return create_db_engine(get_settings().database_url)


@functools.cache
def get_engine_that_never_waits() -> sa.Engine | None:
    """For a short transaction run on the event loop itself: SQLite only, else None.

    Its connections give up at once (:class:`customer_portal.driver_sql.WouldWait`)
    instead of waiting for another connection's write lock, which would stall
    every request and websocket of the process; the caller then runs the
    transaction in a thread on :func:`get_engine`. Its pool is its own: the
    event loop holds one connection at a time and never waits for one. On
    PostgreSQL every statement is a round trip over the network, and a
    server that stopped answering would hold the loop for the connect
    timeout, so there is no such engine (a download awaits its one
    statement instead: :func:`customer_portal.driver_sql.first_on_loop`).
    """
    from customer_portal.settings import get_settings

    url = get_settings().database_url
    # An in-memory database would be another, empty one on a second engine.
    if not is_sqlite(url) or url.removeprefix("sqlite://").lstrip("/") in ("", ":memory:"):
        return None
    return create_db_engine(url, wait_for_write_lock=False)


class WriteInReadOnlyUnit(RuntimeError):
    """A unit of work opened ``read_only`` tried to write."""


class _ReadOnlySession(Session):
    """A session of a ``read_only`` unit of work: flushing a change raises."""


@sa.event.listens_for(_ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise WriteInReadOnlyUnit("this unit of work was opened read_only")


@functools.lru_cache(maxsize=8)
def _reader(engine: sa.Engine) -> sa.Engine:
    """``engine`` for read-only units of work (made once: one per event would add up)."""
    return engine.execution_options(**{READ_ONLY: True})


@contextmanager
def unit_of_work(engine: sa.Engine | None = None, *, read_only: bool = False) -> Iterator[Session]:
    """The one way to open a session: commit on success, roll back on error.

    Objects stay readable after the commit (``expire_on_commit=False``):
    callers routinely read what a block loaded once the block has closed, and
    a session that expired them would reload, or fail, outside its transaction.

    Args:
        engine: the database; the process-wide one (:func:`get_engine`) if None.
        read_only: the block only reads: on SQLite its transaction takes no
            lock, and a change to an ORM object raises
            :class:`WriteInReadOnlyUnit` instead of being written.

    Yields:
        A session whose transaction commits when the block ends normally and
        rolls back if it raises.
    """
    bind = engine or get_engine()
    session_class = _ReadOnlySession if read_only else Session
    with session_class(_reader(bind) if read_only else bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def run_in_unit_of_work(
    function: Callable[..., T],
    /,
    *,
    engine: sa.Engine | None = None,
    read_only: bool = False,
    **kwargs: Any,
) -> T:
    """``function(session=..., **kwargs)`` inside its own :func:`unit_of_work`.

    For handing a domain function to a worker thread in one call
    (``asyncio.to_thread``, ``run_in_threadpool``, a background task): the
    session is opened and closed in that thread.

    Args:
        function: a domain function taking a keyword-only ``session``.
        engine: the database; the process-wide one if None.
        read_only: ``function`` only reads (see :func:`unit_of_work`).
        **kwargs: the function's other keyword arguments.

    Returns:
        What ``function`` returns, after the unit of work has committed.
    """
    with unit_of_work(engine, read_only=read_only) as session:
        return function(session=session, **kwargs)


#: SQLSTATEs of a PostgreSQL server going away or not yet back: class 08 (connection
#: exception), and the shutdowns and start-up of a restart (57P01-57P03).
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03")


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database server is down, restarting or dropped us.

    Only then is a unit of work safe to run again as a whole: it never
    reached the server, or the server threw its transaction away. (A COMMIT
    whose answer was lost may have landed: a retry that inserts looks first.)
    SQLite's errors (locked, disk full) and every other failure are not this.
    """
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if not isinstance(exc, sa.exc.OperationalError) or not type(orig).__module__.startswith(
        "psycopg"
    ):
        return False
    # No SQLSTATE: the client could not connect at all (refused, reset, timed out).
    state = getattr(orig, "sqlstate", None)
    return state is None or state.startswith(_UNREACHABLE_STATES)


def database_answers(engine: sa.Engine | None = None) -> bool:
    """Whether the database runs a query now; False while it is unreachable."""
    try:
        with (engine or get_engine()).connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.DBAPIError as exc:
        if is_unreachable(exc):
            return False
        raise
    return True


def wait_for_database(engine: sa.Engine | None = None, *, patience: float) -> bool:
    """Block until the database answers (True) or ``patience`` seconds pass (False).

    Asks at growing intervals (0.1 s doubling to 2 s): a restart is over in a
    second or two, an outage may take minutes, and a fleet of waiting
    processes should not hammer a server that is coming back.
    """
    deadline = time.monotonic() + patience
    pause = 0.1
    while not database_answers(engine):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, 2.0)
    return True


def retry_when_unreachable(
    work: Callable[[], T], *, engine: sa.Engine | None = None, patience: float, what: str
) -> T:
    """``work()``, run again each time it fails because the database is unreachable.

    For a unit of work that is safe to repeat (it only reads, or it looks
    before it writes). Waits for the server between tries; gives up, raising
    the last failure, once it has not answered for ``patience`` seconds.
    """
    deadline: float | None = None
    while True:
        try:
            return work()
        except sa.exc.DBAPIError as exc:
            if not is_unreachable(exc):
                raise
            deadline = deadline or time.monotonic() + patience
            log.warning("database unreachable %s; waiting for it (%s)", what, exc.orig)
            if not wait_for_database(engine, patience=max(0.0, deadline - time.monotonic())):
                raise


def _alembic_config(engine: sa.Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def new_migration(message: str) -> Path:
    """Write a migration for what the models have that the newest migration lacks.

    Alembic compares the models with a scratch SQLite database built by every
    migration so far, so the result does not depend on the state of anyone's
    own database. Revisions are numbered ``0001``, ``0002``...

    Args:
        message: What the migration does, e.g. "add payment channel".

    Returns:
        The new file under ``customer_portal/migrations/versions/``.
    """
    import tempfile

    head = head_revision()
    rev_id = f"{int(head or 0) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_db_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        try:
            migrate(engine)
            config = _alembic_config(engine)
            # Alembic's own post-write hooks: the new file leaves as `make lint` wants it.
            hooks = {"ruff_fix": "check --fix --quiet", "ruff_format": "format --quiet"}
            config.set_section_option("post_write_hooks", "hooks", ", ".join(hooks))
            for name, options in hooks.items():
                config.set_section_option("post_write_hooks", f"{name}.type", "module")
                config.set_section_option("post_write_hooks", f"{name}.module", "ruff")
                config.set_section_option(
                    "post_write_hooks", f"{name}.options", f"{options} REVISION_SCRIPT_FILENAME"
                )
            script = command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
        finally:
            engine.dispose()
    return Path(script.path)


def head_revision() -> str | None:
    """The newest migration shipped with this code: the schema it expects."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    """The migration the database was last brought to; None if it was never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: sa.Engine | None = None) -> None:
    """Bring the schema to the newest migration (safe to run every start)."""
    engine = engine or get_engine()
    if current_revision(engine) == head_revision():
        return
    command.upgrade(_alembic_config(engine), "head")


def ensure_schema(engine: sa.Engine | None = None, *, upgrade: bool) -> None:
    """Check the schema is current; upgrade it first if ``upgrade`` is set.

    Raises:
        SchemaOutOfDate: the schema is behind and ``upgrade`` is false.
    """
    engine = engine or get_engine()
    if upgrade:
        migrate(engine)
        return
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at {current or 'nothing'}, this code needs {head}: "
            "run `customer-portal migrate`"
        )
