"""`make bench` keeps running as the portal changes: each benchmark, at a tiny size.

Nothing here is timed. A benchmark is only run rarely, so a change to the
schema or the services can break it unseen: ``bench.queries`` failed for
weeks on a NOT NULL column it did not fill. Each run here writes to a
temporary folder (BENCH_RESULTS_DIR), never over ``bench/results``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import results_file

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]

#: Each benchmark run in CI, with the environment that makes it tiny.
TINY = {
    "queries": {
        "BENCH_QUERY_INVOICES": "3000",
        "BENCH_QUERY_CUSTOMERS": "30",
        "BENCH_QUERY_BIG": "600",
        "BENCH_QUERY_REPS": "3",
        "BENCH_QUERY_BASE_REPS": "2",
    },
    "email": {"BENCH_EMAILS": "40"},
    "publishing": {"BENCH_INVOICES": "24", "BENCH_SAMPLE": "4", "BENCH_ROUNDS": "1"},
    "downloads": {"BENCH_SECONDS": "0.5", "BENCH_ROUNDS": "1"},
}


def _run(name: str, results: Path) -> dict:
    env = {**os.environ, **TINY[name], "BENCH_RESULTS_DIR": str(results)}
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((results / f"{name}.json").read_text())


def test_results_go_where_bench_results_dir_says(monkeypatch, tmp_path):
    monkeypatch.setenv("BENCH_RESULTS_DIR", str(tmp_path))
    assert results_file("x.json") == tmp_path / "x.json"
    monkeypatch.delenv("BENCH_RESULTS_DIR")
    assert results_file("x.json") == ROOT / "bench" / "results" / "x.json"


def test_queries_benchmark_runs(tmp_path):
    found = _run("queries", tmp_path)
    assert found["invoices"] == 3000 and set(found["databases"]) == {"SQLite", "PostgreSQL"}
    assert len(found["scenarios"]) == 12


def test_email_benchmark_runs(tmp_path):
    found = _run("email", tmp_path)
    # The benchmark itself checks that every email arrived, on both sides.
    assert {rate["emails"] for rate in found["rates"]} == {40}
    assert len(found["ratios"]) == 2


def test_publishing_benchmark_runs(tmp_path):
    found = _run("publishing", tmp_path)
    assert set(found["rounds"]) == {"service", "then", "floor"}
    assert found["summary"]["service_per_second"] > 0
    checked = found["checked_output"]  # the run's own PDFs, through pdfsig and pyHanko
    assert checked["invoices"] >= 3 and checked["fewest_lines"] < checked["most_lines"]


def test_downloads_benchmark_runs(tmp_path):
    found = _run("downloads", tmp_path)
    assert set(found["summary"]) == {"SQLite", "PostgreSQL"}
