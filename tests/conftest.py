"""Shared fixtures: settings in a temporary instance, both databases, a demo PKI.

Integration tests that take the ``engine`` fixture run twice: on a fresh
SQLite file and on a fresh schema of the PostgreSQL server at 127.0.0.1:5432
(database ``test``), so every query is proven on both.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from customer_portal import db
from customer_portal.documents.pki import ensure_demo_pki
from customer_portal.settings import DEMO_P12_PASSWORD, Settings, load_settings
from tests.factories import reset_process_caches
from tests.postgres_server import PostgresServer

# The running portal and Chromium, shared by tests/e2e and tests/security (one build a run).
pytest_plugins = ["tests.portal_fixtures"]

# Reflex imports rxconfig.py, which reads the settings, whenever a test touches its
# state machinery, with or without `portal_env`. Reading never makes the dev secrets
# (`customer-portal init` does), so the test process is given some.
os.environ.setdefault("PORTAL_SECRET_KEY", "test-secret-key-0123456789")
os.environ.setdefault("PORTAL_API_KEY", "test-api-key-0123456789")

POSTGRES_ADMIN_URL = os.environ.get(
    "PORTAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """One demo CA and signing certificate for the whole run (key generation is slow)."""
    return ensure_demo_pki(tmp_path_factory.mktemp("pki"), "Link Soluciones", DEMO_P12_PASSWORD)


@pytest.fixture
def portal_env(tmp_path, pki, monkeypatch) -> dict[str, str]:
    """PORTAL_* variables for a portal living in ``tmp_path``, set in os.environ."""
    env = {
        "PORTAL_ENV": "dev",
        "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"),
        "PORTAL_SIGNING_P12": str(pki.signer_p12),
        "PORTAL_SIGNING_P12_PASSWORD": DEMO_P12_PASSWORD,
        "PORTAL_TRUST_ROOTS": str(pki.ca_pem),
        "PORTAL_API_KEY": "test-api-key-0123456789",
        "PORTAL_SECRET_KEY": "test-secret-key-0123456789",
    }
    for name in [k for k in os.environ if k.startswith("PORTAL_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_process_caches()
    yield env
    reset_process_caches()


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    from tests.mail.smtp_server import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def settings(portal_env) -> Settings:
    return load_settings(portal_env)


def _postgres_schema_url(schema: str) -> str:
    return f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'portal.db'}"
        engine = db.create_db_engine(url)
        db.migrate(engine)
        engine.dispose()
        yield url
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = _postgres_schema_url(schema)
    engine = db.create_db_engine(url)
    db.migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def engine(database_url, portal_env, monkeypatch) -> Iterator[sa.Engine]:
    """The engine of ``database_url``, also configured as the portal's database."""
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    reset_process_caches()
    engine = db.get_engine()
    yield engine
    engine.dispose()


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, running: the test may stop and start it."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def signer(pki):
    from customer_portal.documents.signing import InvoiceSigner

    return InvoiceSigner(pki.signer_p12, DEMO_P12_PASSWORD)


@pytest.fixture
def trust_roots(pki):
    from customer_portal.documents.verify import load_certificates

    return load_certificates([pki.ca_pem])


@pytest.fixture
def publisher(engine, signer, settings):
    from customer_portal.domain.publishing import Publisher

    return Publisher(engine=engine, signer=signer, branding=settings.branding)


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory, pki) -> Path:
    """An NSS database trusting the demo CA, so pdfsig can check the chain too."""
    import subprocess

    path = tmp_path_factory.mktemp("nss")
    subprocess.run(["certutil", "-N", "-d", f"sql:{path}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{path}",
            "-n",
            "demo-ca",
            "-t",
            "CT,C,C",
            "-i",
            str(pki.ca_pem),
        ],
        check=True,
    )
    return path
