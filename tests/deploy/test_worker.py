"""What a production worker needs before it starts, said in one line when missing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from customer_portal.deploy.worker import BUILD_COMMAND, NotReady, built_pages, check_ready
from customer_portal.settings import load_settings


@pytest.fixture
def pages(tmp_path, monkeypatch):
    monkeypatch.setenv("REFLEX_WEB_WORKDIR", str(tmp_path / "web"))
    return built_pages()


def test_the_pages_must_be_built_first(pages, settings, monkeypatch):
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/9")
    with pytest.raises(NotReady, match=f"run `{BUILD_COMMAND}` first"):
        check_ready(settings)
    pages.mkdir(parents=True)
    (pages / "index.html").write_text("<!DOCTYPE html>")
    assert check_ready(settings) == pages


def test_production_workers_share_tabs_through_redis(pages, portal_env, pki, monkeypatch):
    pages.mkdir(parents=True)
    (pages / "index.html").write_text("<!DOCTYPE html>")
    prod = load_settings(
        {
            **portal_env,
            "PORTAL_ENV": "prod",
            "PORTAL_DATABASE_URL": "postgresql://portal@db.example/portal",
        }
    )
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    with pytest.raises(NotReady, match="REFLEX_REDIS_URL is not set"):
        check_ready(prod)
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:6379/9")
    assert check_ready(prod) == pages


def _oplock_after_config(portal_env: dict[str, str], **extra: str) -> str:
    """What Reflex's redis state manager reads for its lease once rxconfig is loaded."""
    code = (
        "import rxconfig; from reflex_base.environment import environment; "
        "print(environment.REFLEX_OPLOCK_ENABLED.get())"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFLEX_OPLOCK")}
    env |= portal_env | {"REFLEX_REDIS_URL": "redis://127.0.0.1:6379/9"} | extra
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_workers_keep_a_busy_tabs_state_in_memory_unless_told_not_to(portal_env):
    # Reading and writing a tab's state in Redis on every event cost two workers
    # more than one process in memory (bench/websockets.py); the lease avoids it.
    assert _oplock_after_config(portal_env) == "True"
    assert _oplock_after_config(portal_env, REFLEX_OPLOCK_ENABLED="false") == "False"
