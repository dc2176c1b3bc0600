"""What every benchmark shares: a PostgreSQL schema of its own, and the machine it ran on."""

from __future__ import annotations

import os
import platform
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

#: The project's PostgreSQL (127.0.0.1 on every machine of the project, CI's included).
POSTGRES_URL = os.environ.get(
    "PORTAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_schema() -> tuple[str, Callable[[], None]] | None:
    """A database URL on a new, empty schema and how to drop it; None if PostgreSQL is down."""
    try:
        admin = sa.create_engine(POSTGRES_URL)
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError:
        return None

    def drop() -> None:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()

    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", drop


def results_file(name: str) -> Path:
    """Where a benchmark writes its results: ``bench/results/<name>``.

    BENCH_RESULTS_DIR puts them elsewhere: the smoke test runs the
    benchmarks at a tiny size and must not overwrite the measured results.
    """
    folder = os.environ.get("BENCH_RESULTS_DIR")
    return (Path(folder) if folder else Path(__file__).resolve().parent / "results") / name


def machine() -> dict[str, object]:
    """The machine a result was measured on, for the JSON beside it."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # Other work on the machine moves the numbers: say how busy it was.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
