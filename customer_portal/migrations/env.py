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

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        # SQLite can only ALTER by copying a table; batch mode does that for us.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
