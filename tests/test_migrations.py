"""The migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import customer_portal.models  # noqa: F401
from customer_portal import db


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert db.current_revision(engine) == db.head_revision()


def test_migrate_is_idempotent_and_ensure_schema_checks(engine):
    db.migrate(engine)
    db.ensure_schema(engine, upgrade=False)


def test_an_empty_database_is_reported_out_of_date(tmp_path):
    import pytest

    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(db.SchemaOutOfDate, match="customer-portal migrate"):
        db.ensure_schema(engine, upgrade=False)
