"""The session and edge findings replayed against the running portal in Chromium.

Finding 2 (a client token is enough), 3 (a script-readable cookie), 5 (a
password in a URL before the page is live), 6 (no CSP) and 7/1 (foreign
Host and Origin, the portal on the network), with real browsers and sockets.
"""

from __future__ import annotations

import http.client
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from customer_portal.demo import DEMO_PASSWORD
from tests.e2e.helpers import signed_in
from tests.portal_fixtures import ROOT

pytestmark = pytest.mark.e2e

DEMO = "cliente1@example.com"
INVOICE = re.compile(r"F2026-1\d{3}")


def test_the_session_cookie_is_httponly_strict_and_set_by_the_server(portal, browser):
    page = signed_in(browser, portal)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "portal_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert "portal_session" not in page.evaluate("document.cookie")
    page.context.close()


def test_a_stolen_client_token_without_the_cookie_gets_nothing(portal, browser):
    victim = signed_in(browser, portal)
    expect(victim.get_by_text("12 facturas")).to_be_visible()  # the state holds her invoices
    token = victim.evaluate("sessionStorage.getItem('token')")
    assert token
    victim.context.close()  # the customer's tab is gone; its state stays on the server

    attacker = browser.new_context(locale="es-ES").new_page()
    attacker.add_init_script(f"sessionStorage.setItem('token', {token!r})")
    frames: list[str] = []
    attacker.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    attacker.goto(portal.url + "/facturas")
    attacker.wait_for_url(re.compile(r"/entrar"))
    expect(attacker.get_by_role("heading", name="Entrar")).to_be_visible()
    received = "\n".join(frames)
    assert frames and not INVOICE.search(received)
    assert "CLIENTE PRUEBA" not in received.upper()
    assert attacker.evaluate("sessionStorage.getItem('token')") == token  # it really was reused
    attacker.context.close()


@pytest.mark.parametrize("path", ["/entrar", "/cuenta", "/credenciales"])
def test_no_form_puts_a_password_in_a_url_before_the_page_is_live(portal, browser, path):
    """Scripts never load here: the worst case of a slow phone, made certain."""
    page = signed_in(browser, portal) if path == "/cuenta" else browser.new_page()
    marker = "Marcador-Url-9z!"
    urls: list[str] = []
    page.route(re.compile(r"\.(js|jsx|mjs)(\?|$)"), lambda route: route.abort())
    page.on("request", lambda request: urls.append(request.url))
    page.goto(portal.url + path)
    for field in page.locator("input[type=password]").all():
        field.fill(marker)
    if page.locator("input[type=email]").count():
        page.locator("input[type=email]").first.fill(DEMO)
    page.locator("input[type=password]").last.press("Enter")
    page.wait_for_timeout(1500)
    assert urls and not any(marker in url for url in urls)
    assert marker not in page.url
    page.context.close()


def test_signing_in_works_before_the_scripts_have_loaded(portal, browser):
    page = browser.new_page()
    posts = []
    page.route(re.compile(r"\.(js|jsx|mjs)(\?|$)"), lambda route: route.abort())
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.goto(portal.url + "/entrar")
    page.locator("#email").fill(DEMO)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))
    (post,) = posts
    assert urlsplit(post.url).path == "/sesion/entrar" and DEMO_PASSWORD not in post.url
    assert any(c["name"] == "portal_session" for c in page.context.cookies())
    page.context.close()


def test_no_page_breaks_the_content_security_policy(portal, browser):
    page = signed_in(browser, portal)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    for path in (
        "/",
        "/facturas",
        "/factura?numero=F2026-1010",
        "/cuenta",
        "/recuperar",
        "/credenciales",
        "/restablecer",
        "/dev/correo",
    ):
        page.goto(portal.url + path)
        page.get_by_role("heading", level=1).first.wait_for()
        page.wait_for_timeout(300)
    assert violations == []
    page.context.close()


def raw_request(portal, path: str, headers: dict[str, str]) -> tuple[int, str | None]:
    """``(status, Location)`` of a GET sent with exactly ``headers`` (Host included)."""
    parts = urlsplit(portal.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("location")
    finally:
        connection.close()


def test_a_page_on_another_site_cannot_open_the_websocket(portal):
    upgrade = {
        "Host": urlsplit(portal.url).netloc,
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    refused = raw_request(
        portal, "/_event/?EIO=4&transport=websocket", {**upgrade, "Origin": "https://evil.example"}
    )
    ours = raw_request(
        portal, "/_event/?EIO=4&transport=websocket", {**upgrade, "Origin": portal.url}
    )
    assert refused[0] == 403
    assert ours[0] == 101


def test_a_forged_host_gets_no_redirect_to_it(portal):
    assert raw_request(portal, "/entrar", {"Host": "evil.example"}) == (400, None)


def test_the_portal_listens_on_loopback_only(portal):
    port = urlsplit(portal.url).port
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True)
    addresses = {line.split()[3].rsplit(":", 1)[0] for line in listening.stdout.splitlines()}
    assert addresses and addresses <= {"127.0.0.1", "[::1]"}


def test_no_password_or_session_token_rests_in_any_file_or_log(portal, browser):
    """Finding 4 and 8 at once: after real use, grep everything the portal wrote."""
    page = signed_in(browser, portal)
    page.goto(portal.url + "/cuenta")
    expect(page.locator("table tbody tr").first).to_be_visible()
    (token,) = [c["value"] for c in page.context.cookies() if c["name"] == "portal_session"]
    instance = Path(portal.env["PORTAL_INSTANCE_DIR"])
    written = [p for p in instance.rglob("*") if p.is_file()]
    written += [p for p in (ROOT / ".states").rglob("*") if p.is_file()]
    assert portal.log in written
    for path in written:
        data = path.read_bytes()
        assert token.encode() not in data, path
        assert DEMO_PASSWORD.encode() not in data, path
    page.context.close()
