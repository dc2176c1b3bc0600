"""Alembic environment: runs against the engine the portal hands it.

``customer_portal.db.migrate`` passes its engine in ``config.attributes``;
run without one (plain ``alembic``), it falls back to the configured database.
"""

from alembic import context
from sqlmodel import SQLModel

import customer_portal.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    from customer_portal.db import get_engine

    engine = get_engine()


def _sqlite_foreign_keys(connection, on: bool) -> None:
    """Switch SQLite's foreign key checks, on the DBAPI connection (a no-op inside a transaction).

    Batch mode copies a table, drops the original and renames the copy; with
    the checks on, dropping a table that other rows point at fails (found
    upgrading a database with sessions from 0002). The checks are off only
    while migrating; ``foreign_key_check`` then proves nothing was left dangling.
    """
    connection.connection.dbapi_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(connection, on=False)
    try:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            # SQLite can only ALTER by copying a table; batch mode does that for us.
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if dangling:
                    raise RuntimeError(f"migration left rows pointing nowhere: {dangling[:5]}")
        connection.commit()
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, on=True)
