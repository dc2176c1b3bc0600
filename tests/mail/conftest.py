from __future__ import annotations

import pytest

from customer_portal.settings import load_settings


@pytest.fixture
def smtp_settings(portal_env, smtp_server, monkeypatch):
    """Settings whose SMTP relay is the loopback test server."""

    def build(**overrides: str):
        env = {
            **portal_env,
            "PORTAL_SMTP_HOST": "127.0.0.1",
            "PORTAL_SMTP_PORT": str(smtp_server.port),
            "PORTAL_SMTP_TIMEOUT": "3",
            "PORTAL_BASE_URL": "https://facturas.example.com",
            "PORTAL_MAIL_FROM": "Link Soluciones <facturas@linksoluciones.com>",
            **overrides,
        }
        return load_settings(env)

    return build
