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


def test_migrate_new_writes_the_next_numbered_migration(tmp_path, monkeypatch):
    """`migrate --new` against a scratch database: nothing changed, nothing to do."""
    import shutil
    import subprocess
    import sys

    from click.testing import CliRunner

    from customer_portal import cli, db

    copy = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(db, "MIGRATIONS_DIR", copy)
    before = db.head_revision()
    result = CliRunner().invoke(cli.main, ["migrate", "--new", "scratch check"])
    assert result.exit_code == 0, result.output
    written = list((copy / "versions").glob(f"{int(before) + 1:04d}_*.py"))
    assert len(written) == 1 and written[0].name.endswith("_scratch_check.py")
    text = written[0].read_text()
    assert f'down_revision = "{before}"' in text and '"""scratch check.' in text
    # The models match the migrations: an empty upgrade, in a file our lint accepts.
    upgrade = text.split('"""Apply this revision."""')[1].split("def downgrade")[0]
    assert [
        line.strip() for line in upgrade.strip().splitlines() if not line.strip().startswith("#")
    ] == ["pass"]
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", "pyproject.toml", str(written[0])],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout
    assert db.head_revision() == f"{int(before) + 1:04d}"
