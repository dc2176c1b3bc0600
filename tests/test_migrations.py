"""The migrations build exactly the schema the models describe, on both databases,
from nothing and from every earlier version with data in its tables."""

import datetime as _dt
import json
import uuid

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel, select

import customer_portal.models  # noqa: F401
from customer_portal import db
from customer_portal.domain.verification import normalize
from customer_portal.models import (
    Account,
    AuditEvent,
    AuthSession,
    Customer,
    Invoice,
    InvoiceLine,
    OutboxEmail,
    SignedDocument,
)
from tests.conftest import POSTGRES_ADMIN_URL


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert db.current_revision(engine) == db.head_revision()


def test_migrate_is_idempotent_and_ensure_schema_checks(engine):
    db.migrate(engine)
    db.ensure_schema(engine, upgrade=False)


def test_an_empty_database_is_reported_out_of_date(tmp_path):

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


# --- Upgrading a database that holds data, from every earlier version -----------------


#: Every migration but the newest, oldest first: the versions a database may be at.
EARLIER = [
    script.revision
    for script in reversed(list(ScriptDirectory(str(db.MIGRATIONS_DIR)).walk_revisions()))
][:-1]
LIVE_LINK = "https://portal.example/credenciales/tok.en-live"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):
    """A database with nothing in it: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        engine = db.create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    schema = f"m_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = db.create_db_engine(f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _value(table: sa.Table, column: sa.Column, row: int, ids: dict[str, list[int]]):
    """A value the column accepts, different in each row (unique indexes)."""
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column.table.name
        return ids[target][row]
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return row + 1
    if isinstance(kind, sa.DateTime):
        return _dt.datetime(2026, 1, 2 + row, 9, 30, tzinfo=_dt.UTC)
    if isinstance(kind, sa.Date):
        return _dt.date(2026, 1, 2 + row)
    if isinstance(kind, sa.LargeBinary):
        return b"%PDF-1.7 stored by an earlier version"
    if isinstance(kind, sa.Numeric):
        return 1
    # Outbox rows as versions before 0004 queued them: an Alta with its live link.
    special = {
        ("outbox_email", "kind"): "welcome",
        ("outbox_email", "context"): json.dumps({"link": LIVE_LINK}),
        ("outbox_email", "text"): f"Entre en {LIVE_LINK}",
        ("outbox_email", "html"): f'<a href="{LIVE_LINK}">Entrar</a>',
        ("outbox_email", "dedupe_key"): f"activation:{row + 1}:x{row}",
    }
    text = special.get((table.name, column.name), f"{column.name}-{row}")
    length = getattr(kind, "length", None)
    return text[:length] if length else text


def _fill_every_table(engine: sa.Engine, rows: int = 2) -> dict[str, int]:
    """``rows`` rows in every table of the schema as it is, parents first."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    ids: dict[str, list[int]] = {}
    filled = {}
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            for row in range(rows):
                values = {
                    column.name: _value(table, column, row, ids)
                    for column in table.columns
                    if not (column.primary_key and isinstance(column.type, sa.Integer))
                }
                conn.execute(table.insert().values(**values))
            if "id" in table.columns:
                ids[table.name] = list(
                    conn.execute(sa.select(table.c.id).order_by(table.c.id)).scalars()
                )
            filled[table.name] = rows
    return filled


@pytest.mark.parametrize("start", EARLIER)
def test_upgrading_from_each_earlier_version_keeps_its_data(empty_engine, start):
    command.upgrade(db._alembic_config(empty_engine), start)
    filled = _fill_every_table(empty_engine)

    db.migrate(empty_engine)

    assert db.current_revision(empty_engine) == db.head_revision()
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        tables = set(sa.inspect(conn).get_table_names())
        counts = {
            name: conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in filled
            if name in tables
        }
    assert diff == []
    assert counts == {name: rows for name, rows in filled.items() if name in tables}
    # Today's code reads every row the earlier version wrote...
    with db.unit_of_work(empty_engine, read_only=True) as session:
        for model in (Customer, Account, Invoice, InvoiceLine, SignedDocument, AuthSession):
            assert len(session.exec(select(model)).all()) == 2
        # Invoices from before 0008 got a verification code each; their PDFs are untouched.
        codes = [invoice.verification_code for invoice in session.exec(select(Invoice))]
        assert len(set(codes)) == 2
        assert all(normalize(code) == code for code in codes) or start >= "0008"
        pdfs = {document.pdf for document in session.exec(select(SignedDocument))}
        assert pdfs == {b"%PDF-1.7 stored by an earlier version"}
        assert len(session.exec(select(AuditEvent)).all()) == 2
        outbox = session.exec(select(OutboxEmail)).all()
    # ...and, from before 0004, no working account link survives in the outbox.
    assert len(outbox) == 2
    for email in outbox if start < "0004" else ():
        assert "tok.en-live" not in (email.context + (email.text or "") + (email.html or ""))
