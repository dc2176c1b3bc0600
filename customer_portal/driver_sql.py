"""SQLAlchemy statements run on the database driver's own cursor, for the hottest route.

Every signed-PDF download runs one transaction: a SELECT (link, session,
account, invoice, PDF), an audit INSERT and, once a minute, the session's
slid expiry (:mod:`customer_portal.domain.downloads`). SQLAlchemy's work
around each statement (unit of work, execution context, events, result
wrapping) cost more than the database took: in process, 217 µs per
download through a Session and 175 µs through a Core connection, against
84 µs for the same transaction on the driver (``bench/downloads.py``). A
download's own work then nearly equalled a whole static-file request.

So the SQL stays SQLAlchemy's, compiled once per dialect from a Core
statement, and values and results still pass through the column types' own
processors (SQLite keeps datetimes as text); only the layers between are
skipped. A driver error comes out as SQLAlchemy's
:class:`~sqlalchemy.exc.DBAPIError`, a dropped connection invalidated, so
the outage handling of :func:`customer_portal.db.is_unreachable` is the
same as anywhere else.

Two ways to run them: :func:`driver_transaction`, a transaction on a
connection of the engine's pool (SQLite, on the event loop when it need not
wait for the write lock); and :func:`first_on_loop`, one statement awaited
on the event loop over psycopg's async connection (PostgreSQL, where
the download is one statement: the thread and five round trips of a
transaction kept it at a quarter of a static file's rate).

Use it for nothing else: units of work (:func:`customer_portal.db.unit_of_work`)
are the rule, this the measured exception. Upstream, SQLAlchemy has no
"prepared statement" fast path for a statement executed over and over; its
compiled cache still builds an execution context per call.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

Processor = Callable[[Any], Any] | None


class WouldWait(Exception):
    """SQLite's write lock is held elsewhere and this engine was told not to wait for it."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: Bind names in the order of the SQL's placeholders; None for a named paramstyle.
    positions: tuple[str, ...] | None
    binds: Mapping[str, Processor]
    #: The values of the binds the statement itself holds, by name.
    fixed: Mapping[str, Any]
    results: tuple[Processor, ...]

    def parameters(self, values: Mapping[str, Any]) -> Mapping[str, Any] | list[Any]:
        """``values`` and the fixed ones, through the bind types, in the driver's paramstyle."""
        processed = {
            name: value if (process := self.binds[name]) is None else process(value)
            for name, value in {**self.fixed, **values}.items()
        }
        if self.positions is None:
            return processed
        return [processed[name] for name in self.positions]

    def row(self, row: Sequence[Any] | None) -> tuple[Any, ...] | None:
        """A fetched ``row`` through the column types."""
        if row is None:
            return None
        return tuple(
            value if process is None else process(value)
            for value, process in zip(row, self.results, strict=True)
        )


class DriverStatement:
    """A Core statement compiled once per dialect, to run in a :func:`driver_transaction`.

    Args:
        statement: a SELECT whose values are ``bindparam``s, or an INSERT or
            UPDATE.
        column_keys: for an INSERT without ``.values()``, the columns it sets
            (each bound under its own name, with its column's type).
    """

    def __init__(self, statement: sa.Executable, *, column_keys: Sequence[str] = ()) -> None:
        self.statement = statement
        self._column_keys = list(column_keys) or None
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: sa.Dialect) -> _Compiled:
        """The SQL and processors for ``dialect``, compiled on first use."""
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: sa.Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, column_keys=self._column_keys)
        binds = {}
        fixed = {}
        for bind, name in compiled.bind_names.items():
            binds[name] = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if not bind.required:  # a literal the statement holds ('hex', a length, an action)
                fixed[name] = bind.effective_value
        columns = getattr(self.statement, "selected_columns", ())
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        positions = tuple(compiled.positiontup) if compiled.positional else None
        return _Compiled(str(compiled), positions, binds, fixed, results)


class DriverTransaction:
    """One transaction on a driver connection: run :class:`DriverStatement`s in it."""

    def __init__(self, cursor: Any, dialect: sa.Dialect) -> None:
        self._cursor = cursor
        self._dialect = dialect

    def execute(self, statement: DriverStatement, values: Mapping[str, Any]) -> None:
        """Run ``statement`` with ``values`` (one per bind name)."""
        compiled = statement.compiled(self._dialect)
        self._cursor.execute(compiled.sql, compiled.parameters(values))

    def first(
        self, statement: DriverStatement, values: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """The first row ``statement`` selects with ``values``, through the column types."""
        self.execute(statement, values)
        return statement.compiled(self._dialect).row(self._cursor.fetchone())


def _wrapped(exc: Exception, dialect: sa.Dialect, *, dropped: bool) -> sa.exc.DBAPIError:
    """``exc`` as SQLAlchemy raises a driver's errors (what the outage handling reads)."""
    return sa.exc.DBAPIError.instance(
        None, None, exc, dialect.loaded_dbapi.Error, connection_invalidated=dropped, dialect=dialect
    )


def _is_sqlite_busy(exc: BaseException) -> bool:
    # The low byte is the primary code: SQLITE_BUSY_RECOVERY and the like are busy too.
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


@contextmanager
def driver_transaction(engine: sa.Engine, *, durable: bool = True) -> Iterator[DriverTransaction]:
    """A transaction on a connection of ``engine``'s pool: commit on success, else roll back.

    On SQLite it begins ``BEGIN IMMEDIATE`` like every write of
    :func:`customer_portal.db.unit_of_work`; on an engine whose connections do
    not wait for the write lock (:func:`customer_portal.db.get_engine_that_never_waits`)
    a held lock raises :class:`WouldWait` before anything ran.

    Args:
        engine: whose pool lends the connection.
        durable: False for writes a crash may lose but never half-write
            (a download's audit line, a session's slid expiry): on
            PostgreSQL, ``synchronous_commit`` off for this transaction
            only, so its COMMIT returns before the WAL reaches the disk (a
            crash loses at most the last few hundred milliseconds of such
            commits; that fsync was most of a download's time). SQLite
            already commits every transaction so (``synchronous=NORMAL`` in
            WAL mode).

    Raises:
        WouldWait: see above.
        sqlalchemy.exc.DBAPIError: the driver failed; its ``connection_invalidated``
            says whether the connection was dropped (and discarded).
    """
    dialect = engine.dialect
    driver_error = dialect.loaded_dbapi.Error
    try:
        connection = engine.raw_connection()
    except driver_error as exc:  # the server refused or never answered
        raise _wrapped(exc, dialect, dropped=dialect.is_disconnect(exc, None, None)) from exc
    cursor = connection.cursor()
    try:
        if dialect.name == "sqlite":
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if _is_sqlite_busy(exc):
                    raise WouldWait from exc
                raise
        elif not durable:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        try:
            yield DriverTransaction(cursor, dialect)
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    except driver_error as exc:
        dropped = dialect.is_disconnect(exc, connection, cursor)
        if dropped:
            connection.invalidate(exc)
        raise _wrapped(exc, dialect, dropped=dropped) from exc
    finally:
        # Closed before the connection goes back: SQLite's cursor would hold its statement.
        with suppress(driver_error):
            cursor.close()
        connection.close()


# --- One statement on the event loop (PostgreSQL) --------------------------------------

#: Seconds to wait for a PostgreSQL server that does not answer at all: a server that
#: vanished from the network (no refusal, no answer) fails a connection in 10 s instead
#: of the operating system's two minutes, unless the URL says otherwise.
POSTGRES_CONNECT_TIMEOUT = 10

#: Connections :func:`first_on_loop` opens at most, per event loop and database: beyond
#: them, statements wait for one. Customers downloading at once never exhaust the
#: server's connections (the engine's own pool is capped the same way, at 15).
CONNECTIONS_PER_LOOP = 16

#: Milliseconds the server gives such a statement before cancelling it (a row lock
#: held elsewhere): a request does not hold one of those connections forever.
STATEMENT_TIMEOUT_MS = 30_000


class _Connections:
    """One event loop's connections to one database: a cap on them, and the idle ones."""

    def __init__(self) -> None:
        self.slots = asyncio.Semaphore(CONNECTIONS_PER_LOOP)
        self.idle: list[Any] = []


# A psycopg async connection serves the event loop it was opened on, and only that
# one (tests start a loop per test): connections are kept per loop and per database.
_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Connections]] = (
    weakref.WeakKeyDictionary()
)


async def first_on_loop(
    engine: sa.Engine, statement: DriverStatement, values: Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """The first row of ``statement``, run on the event loop itself: PostgreSQL only.

    For a statement that must not cost the loop a thread: handing a
    transaction to a thread made the threads and the loop take turns for the
    GIL at every round trip, and a download took 1.3 ms of the server's time
    against 0.5 ms for a static file (``bench/downloads.py``). Here the wait
    for the server is an ``await``, and the loop serves others meanwhile.

    One statement, one round trip: the connection is in autocommit, and the
    statement is its own transaction, atomic with every data-modifying CTE it
    holds. Its commit does not wait for the disk (``synchronous_commit``
    off: a crash of the server loses at most its last few hundred
    milliseconds of such commits, never half of one); nothing written
    this way may need more. Results come in binary: a PDF's bytes as they
    are, not twice as many hex digits to decode.

    A connection the server dropped while it sat idle (a restart) fails the
    statement before it ran; it is then run on a new connection.

    Raises:
        sqlalchemy.exc.DBAPIError: as :func:`driver_transaction`.
    """
    dialect = engine.dialect
    compiled = statement.compiled(dialect)
    parameters = compiled.parameters(values)
    driver_error = dialect.loaded_dbapi.Error
    connections = _on_this_loop(str(engine.url))
    idle = connections.idle
    async with connections.slots:
        while True:
            reused = bool(idle)
            connection = idle.pop() if reused else await _connect(engine)
            try:
                cursor = connection.cursor(binary=True)
                await cursor.execute(compiled.sql, parameters)
                row = await cursor.fetchone()
            except driver_error as exc:
                dropped = dialect.is_disconnect(exc, connection, None)
                _close(connection)
                if dropped and reused:
                    # The server closed it while it sat idle (a restart), and so the
                    # others: what was sent never ran. Go again on a new connection.
                    while idle:
                        _close(idle.pop())
                    continue
                raise _wrapped(exc, dialect, dropped=dropped) from exc
            except BaseException:
                # Cancelled mid-statement (the browser left): its state is unknown.
                _close(connection)
                raise
            idle.append(connection)
            return compiled.row(row)


def _on_this_loop(url: str) -> _Connections:
    loop = asyncio.get_running_loop()
    by_url = _by_loop.get(loop)
    if by_url is None:
        by_url = _by_loop[loop] = {}
        # A loop that ends (a test's) closes its connections as it goes.
        weakref.finalize(loop, _close_all, by_url)
    connections = by_url.get(url)
    if connections is None:
        connections = by_url[url] = _Connections()
    return connections


def _close(connection: Any) -> None:
    # libpq's close: needs no event loop. (Held in a name until closed: psycopg
    # warns of a connection garbage-collected while open.)
    connection.pgconn.finish()


def _close_all(by_url: dict[str, _Connections]) -> None:
    for connections in by_url.values():
        while connections.idle:
            _close(connections.idle.pop())


async def _connect(engine: sa.Engine) -> Any:
    dialect = engine.dialect
    args, kwargs = dialect.create_connect_args(engine.url)
    kwargs.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT)
    # The URL's own options (a schema's search_path) stay; these join them.
    kwargs["options"] = (
        f"{kwargs.get('options', '')} -c synchronous_commit=off"
        f" -c statement_timeout={STATEMENT_TIMEOUT_MS}"
    ).strip()
    try:
        return await dialect.loaded_dbapi.AsyncConnection.connect(*args, autocommit=True, **kwargs)
    except dialect.loaded_dbapi.Error as exc:  # the server refused or never answered
        raise _wrapped(exc, dialect, dropped=dialect.is_disconnect(exc, None, None)) from exc


def close_idle_on_loop_connections() -> None:
    """Close every idle connection of :func:`first_on_loop`, on any loop (between tests).

    libpq's own close needs no event loop, so a loop that has ended leaves
    nothing open behind it.
    """
    for by_url in list(_by_loop.values()):
        _close_all(by_url)
    # Forgotten too: a loop whose statements once waited for a connection is
    # referenced by its semaphore, and would otherwise never be let go.
    _by_loop.clear()
