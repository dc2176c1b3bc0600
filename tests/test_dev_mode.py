"""`make dev`: pages on PORTAL_PORT (Reflex's dev server), the backend on PORTAL_BACKEND_PORT.

Forms, account links and downloads must then name the backend's port, and the
backend's redirects must go back to the pages' port. With one port (every
other way of running), everything stays a plain path.
"""

from __future__ import annotations

import httpx
import pytest

from customer_portal import routes
from customer_portal.api.app import build_api
from customer_portal.api.edge import build_edge
from customer_portal.components.forms import post_form
from customer_portal.settings import SettingsError, load_settings
from tests.domain.test_auth import PASSWORD, create_account
from tests.factories import reset_process_caches

SECRETS = {"PORTAL_SECRET_KEY": "s" * 20, "PORTAL_API_KEY": "a" * 20}


def test_one_port_unless_told_and_never_in_production(tmp_path, pki):
    env = {**SECRETS, "PORTAL_INSTANCE_DIR": str(tmp_path)}
    assert load_settings(env).backend_origin == ""
    split = load_settings({**env, "PORTAL_BACKEND_PORT": "8000"})
    assert split.backend_origin == "http://localhost:8000"
    with pytest.raises(SettingsError, match="PORTAL_BACKEND_PORT: must differ"):
        load_settings({**env, "PORTAL_BACKEND_PORT": "3000"})
    prod = {
        **env,
        "PORTAL_ENV": "prod",
        "PORTAL_SIGNING_P12": str(pki.signer_p12),
        "PORTAL_ALLOW_SQLITE": "true",
        "PORTAL_BACKEND_PORT": "8000",
    }
    with pytest.raises(SettingsError, match="PORTAL_BACKEND_PORT: is for `make dev` only"):
        load_settings(prod)


@pytest.fixture
def split_ports(portal_env, monkeypatch):
    monkeypatch.setenv("PORTAL_BACKEND_PORT", "8000")
    reset_process_caches()


def test_forms_post_to_the_backend_port(split_ports):
    form = post_form(action=routes.SIGN_IN_ACTION)
    assert 'action:"http://localhost:8000/sesion/entrar"' in str(form.render()).replace(" ", "")


def test_forms_post_to_a_path_with_one_port(portal_env):
    form = post_form(action=routes.SIGN_IN_ACTION)
    assert 'action:"/sesion/entrar"' in str(form.render()).replace(" ", "")


async def test_backend_redirects_go_back_to_the_pages_port(split_ports, engine):
    from customer_portal.settings import get_settings

    create_account(engine)
    app = build_edge(get_settings())(build_api())
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    origin = "http://localhost:3000"
    async with httpx.AsyncClient(
        transport=transport, base_url="http://localhost:8000", headers={"Origin": origin}
    ) as client:
        response = await client.post(
            "/sesion/entrar", data={"email": "ana@example.com", "password": PASSWORD}
        )
    assert response.status_code == 303
    assert response.headers["location"].startswith("http://localhost:3000/facturas")


def test_account_links_in_emails_open_on_the_backend_port(split_ports, engine):
    from customer_portal.domain.tokens import TokenPurpose
    from customer_portal.mail.notices import _mint
    from customer_portal.settings import get_settings

    account = create_account(engine, password=None)
    _, link, _ = _mint(get_settings(), account, TokenPurpose.ACTIVATION)
    assert link.startswith("http://localhost:8000/credenciales/")
