"""What a production worker needs before it starts, said in one line when missing."""

from __future__ import annotations

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
