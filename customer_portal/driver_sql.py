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

Use it for nothing else: units of work (:func:`customer_portal.db.unit_of_work`)
are the rule, this the measured exception. Upstream, SQLAlchemy has no
"prepared statement" fast path for a statement executed over and over; its
compiled cache still builds an execution context per call.
"""

from __future__ import annotations

import sqlite3
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
    results: tuple[Processor, ...]


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
        binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        columns = getattr(self.statement, "selected_columns", ())
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        positions = tuple(compiled.positiontup) if compiled.positional else None
        return _Compiled(str(compiled), positions, binds, results)


class DriverTransaction:
    """One transaction on a driver connection: run :class:`DriverStatement`s in it."""

    def __init__(self, cursor: Any, dialect: sa.Dialect) -> None:
        self._cursor = cursor
        self._dialect = dialect

    def execute(self, statement: DriverStatement, values: Mapping[str, Any]) -> None:
        """Run ``statement`` with ``values`` (one per bind name)."""
        compiled = statement.compiled(self._dialect)
        processed = {
            name: value if (process := compiled.binds[name]) is None else process(value)
            for name, value in values.items()
        }
        if compiled.positions is None:
            self._cursor.execute(compiled.sql, processed)
        else:
            self._cursor.execute(compiled.sql, [processed[name] for name in compiled.positions])

    def first(
        self, statement: DriverStatement, values: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """The first row ``statement`` selects with ``values``, through the column types."""
        self.execute(statement, values)
        row = self._cursor.fetchone()
        if row is None:
            return None
        processors = statement.compiled(self._dialect).results
        return tuple(
            value if process is None else process(value)
            for value, process in zip(row, processors, strict=True)
        )


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
