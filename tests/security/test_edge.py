"""Findings 3, 6 and 7: the edge every request passes (host, origin, headers, CORS).

The edge is tested here around a stand-in for Reflex that records what it
received, so each attack's effect on what Reflex would see is asserted too.
"""

from __future__ import annotations

import httpx
import pytest
from starlette.middleware.cors import CORSMiddleware

from customer_portal.api.edge import (
    IMMUTABLE_CACHE,
    SCOPE_COOKIES,
    build_edge,
    inline_script_hashes,
)

ORIGIN = "http://localhost:3000"


class Recorder:
    """The app behind the edge: answers 200 and keeps the scopes it was given."""

    def __init__(self):
        self.scopes: list[dict] = []

    async def __call__(self, scope, receive, send):
        self.scopes.append(scope)
        status = 404 if "missing" in scope.get("path", "") else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def behind():
    return Recorder()


@pytest.fixture
async def client(settings, behind):
    app = build_edge(settings)(behind)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield client


async def test_a_foreign_host_is_refused_before_any_redirect(client, behind):
    response = await client.get("/entrar", headers={"Host": "evil.example"})
    assert response.status_code == 400 and "location" not in response.headers
    assert behind.scopes == []


@pytest.mark.parametrize("path", ["/sesion/entrar", "/api/v1/invoices", "/sesion/salir"])
async def test_a_post_from_another_site_is_refused(client, behind, path):
    response = await client.post(path, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and behind.scopes == []


async def test_null_origin_passes_only_when_the_browser_says_same_origin(client, behind):
    refused = await client.post("/sesion/entrar", headers={"Origin": "null"})
    framed = await client.post(
        "/sesion/entrar", headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"}
    )
    ours = await client.post(
        "/sesion/entrar", headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    )
    assert refused.status_code == framed.status_code == 403 and ours.status_code == 200


async def test_the_websocket_path_refuses_other_origins(client, behind):
    # Socket.IO also checks it (cors_allowed_origins); the edge refuses first.
    response = await client.get(
        "/_event/?EIO=4&transport=polling", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403 and behind.scopes == []


async def test_reflex_never_sees_a_cookie(client, behind):
    await client.get(
        "/_event/?EIO=4",
        headers={
            "Origin": ORIGIN,
            "Cookie": "portal_session=SECRET-TOKEN; portal_link=activation~LINK; other=1",
        },
    )
    (scope,) = behind.scopes
    assert not any(name == b"cookie" for name, _ in scope["headers"])
    assert b"SECRET-TOKEN" not in repr(scope["headers"]).encode()
    assert scope[SCOPE_COOKIES] == {
        "portal_session": "SECRET-TOKEN",
        "portal_link": "activation~LINK",
    }


@pytest.mark.parametrize("path", ["/", "/entrar/", "/facturas", "/api/v1/health", "/_event/"])
async def test_every_response_carries_the_security_headers(client, path):
    response = await client.get(path, headers={"Origin": ORIGIN})
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "'unsafe-eval'" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("same-origin", "no-referrer")
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers  # http: HSTS would be ignored


@pytest.mark.parametrize(
    ("path", "cache"),
    [
        # Hashed names: kept a year (a new build renames them).
        ("/assets/entry.client-DbX9Juv_.js", IMMUTABLE_CACHE),
        ("/assets/__reflex_global_styles-CEcK_6gK.css", IMMUTABLE_CACHE),
        # Fixed names loaded by every page: kept, asked again each time.
        ("/portal.js", "no-cache"),
        ("/logo.png", "no-cache"),
        # Pages, the API and errors: never kept.
        ("/facturas", "no-store"),
        ("/api/v1/health", "no-store"),
        ("/assets/missing-abc.js", "no-store"),
        ("/portal.js/missing", "no-store"),
    ],
)
async def test_what_browsers_may_keep(client, path, cache):
    assert (await client.get(path)).headers["cache-control"] == cache


@pytest.mark.parametrize(
    "path", ["/credenciales/eyJhIjoxfQ.x.y", "/restablecer/abc", "/api/v1/descargas/abc"]
)
async def test_token_urls_never_leak_in_a_referrer(client, path):
    response = await client.get(path)
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_https_adds_hsts(settings, behind):
    https = settings.__class__(**{**settings.__dict__, "base_url": "https://portal.example"})
    transport = httpx.ASGITransport(app=build_edge(https)(behind))
    async with httpx.AsyncClient(transport=transport, base_url="https://portal.example") as c:
        response = await c.get("/")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "wss://portal.example" in response.headers["content-security-policy"]


async def test_behind_a_tls_proxy_the_app_sees_the_scheme_the_browser_used(settings, behind):
    # nginx (README, Despliegue) talks plain HTTP to the workers: a redirect
    # built from the request must still send the browser to https.
    https = settings.__class__(**{**settings.__dict__, "base_url": "https://portal.example"})
    transport = httpx.ASGITransport(app=build_edge(https)(behind))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.example") as c:
        await c.get("/entrar")
    assert behind.scopes[-1]["scheme"] == "https"
    # Served over plain http, nothing changes.
    transport = httpx.ASGITransport(app=build_edge(settings)(behind))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
        await c.get("/entrar")
    assert behind.scopes[-1]["scheme"] == "http"


async def test_cors_never_grants_a_foreign_origin_credentials(settings, behind):
    # What Reflex puts in front of its app, as configured by rxconfig.py.
    app = build_edge(settings)(
        CORSMiddleware(
            behind,
            allow_origins=[settings.origin],
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
        evil = await c.get("/api/v1/health", headers={"Origin": "https://evil.example"})
        ours = await c.get("/api/v1/health", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in evil.headers
    assert "access-control-allow-credentials" not in evil.headers
    assert ours.headers["access-control-allow-origin"] == ORIGIN


async def test_the_dev_mailbox_is_for_this_machine_only(settings, behind):
    app = build_edge(settings)(behind)
    for address, status in (("203.0.113.9", 404), ("127.0.0.1", 200)):
        transport = httpx.ASGITransport(app=app, client=(address, 4000))
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
            assert (await c.get("/dev/correo/")).status_code == status


def test_only_the_built_pages_inline_scripts_are_allowed(tmp_path):
    (tmp_path / "a.html").write_text(
        "<script>one()</script><script type='module'>two()</script>"
        "<script src='/assets/x.js'></script>"
    )
    hashes = inline_script_hashes(tmp_path)
    assert len(hashes) == 2 and all(h.startswith("'sha256-") for h in hashes)
