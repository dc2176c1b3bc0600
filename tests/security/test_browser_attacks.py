"""The session and edge findings replayed against the running portal in Chromium.

Finding 2 (a client token is enough), 3 (a script-readable cookie), 5 (a
password in a URL before the page is live), 6 (no CSP) and 7/1 (foreign
Host and Origin, the portal on the network), with real browsers and sockets.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import time
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


@pytest.fixture(params=["portal", "redis_portal"])
def any_portal(request):
    """Each test using it runs against state in memory, then in Redis behind several workers."""
    return request.getfixturevalue(request.param)


def test_a_stolen_client_token_without_the_cookie_gets_nothing(any_portal, browser):
    portal = any_portal
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
    # Mis pagos' state is private too: its payments name the invoices.
    attacker.goto(portal.url + "/pagos")
    attacker.wait_for_url(re.compile(r"/entrar"))
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


def test_the_reflex_only_form_cannot_be_submitted_before_the_page_is_live(portal, browser):
    page = signed_in(browser, portal)
    page.route(re.compile(r"\.(js|jsx|mjs)(\?|$)"), lambda route: route.abort())
    page.goto(portal.url + "/facturas?numero=F2026")
    expect(page.get_by_role("button", name="Buscar")).to_be_disabled()
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


def test_a_slow_phone_pressing_entrar_at_once_keeps_the_password_out_of_urls(portal, browser):
    """The finding as reported: Fast-3G, a 4x slower CPU, Entrar pressed as soon as drawn."""
    context = browser.new_context(locale="es-ES", viewport={"width": 360, "height": 740})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 563,
            "downloadThroughput": 180_000,
            "uploadThroughput": 84_000,
        },
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(portal.url + "/entrar", wait_until="commit")
    page.locator("#password").wait_for()  # drawn from the server's HTML, scripts still loading
    page.locator("#email").fill(DEMO)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r"/facturas/?$"), timeout=60_000)
    assert not any(DEMO_PASSWORD in url or "password=" in url for url in urls)
    context.close()


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
        "/pagos",
        "/cuenta",
        "/no-existe",
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


def test_redis_never_holds_a_password_or_a_session_token(redis_portal, browser):
    """What Reflex keeps in Redis after real use: customer data, yes; secrets, no."""
    import redis

    from tests.portal_fixtures import REDIS_URL

    marker = "Marcador-Redis-5q!"
    page = signed_in(browser, redis_portal)
    expect(page.get_by_text("12 facturas")).to_be_visible()
    page.goto(redis_portal.url + "/cuenta")
    expect(page.locator("table tbody tr").first).to_be_visible()
    page.get_by_label("Contraseña nueva").press_sequentially(marker)
    page.get_by_label("Repetir contraseña").press_sequentially(marker)
    expect(page.get_by_role("button", name="Actualizar")).to_be_enabled()
    (token,) = [c["value"] for c in page.context.cookies() if c["name"] == "portal_session"]
    page.context.close()

    def stored() -> bytes:
        client = redis.Redis.from_url(REDIS_URL)
        found = b""
        for key in client.scan_iter():
            kind = client.type(key)
            if kind == b"string":
                found += client.get(key) or b""
            elif kind == b"hash":
                found += b"".join(k + v for k, v in client.hgetall(key).items())
        client.close()
        return found

    # A worker keeps a busy tab's state in memory and writes it back within
    # five seconds of its last event (rxconfig.py's lease): read after that.
    time.sleep(6)
    deadline = time.monotonic() + 30
    while b"F2026-10" not in (found := stored()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert b"F2026-10" in found  # the scan does see the tabs' state
    assert marker.encode() not in found and b"Marcador" not in found
    assert token.encode() not in found


def test_an_event_for_an_unknown_handler_leaves_no_secret_in_the_log(portal):
    """Finding 8 replayed on a real websocket: payload and cookie of a bogus event."""
    import asyncio
    import concurrent.futures
    import time
    import uuid

    import socketio

    password, cookie, client_token = (
        "Marcador-Log-3x!",
        "MarcadorCookie" + "9" * 30,
        str(uuid.uuid4()),
    )

    async def attack() -> None:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            f"{portal.url}?token={client_token}",
            socketio_path="/_event",
            namespaces=["/_event"],
            transports=["websocket"],
            headers={"Origin": portal.url, "Cookie": f"portal_session={cookie}"},
        )
        await client.emit(
            "event",
            {
                "name": "reflex___state____state.no_such_state.no_such_handler",
                "payload": {"password": password, "value": password},
                "router_data": {"pathname": "/entrar", "query": {}},
            },
            namespace="/_event",
        )
        await asyncio.sleep(2)
        await client.disconnect()

    before = portal.log.stat().st_size
    # In a thread of its own: Playwright's sync API keeps a loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, attack()).result()
    time.sleep(1)
    logged = portal.log.read_bytes()[before:].decode(errors="replace")
    assert "no_such_handler" in logged  # the event was logged: by name only
    for secret in (password, cookie, client_token):
        assert secret not in logged


def test_an_event_that_fails_gets_a_spanish_message_and_no_traceback(portal):
    """A handler called with arguments it does not take: the tab is told, in Spanish.

    Reflex's own answer was an English toast sent as a script to ``eval``,
    which the CSP refuses: the customer saw nothing. Now the tab's state gets
    the portal's message; the traceback stays in the log.
    """
    import asyncio
    import concurrent.futures
    import json
    import uuid

    import socketio

    from customer_portal.state.server_problem import FAILED, ServerProblemState

    received: list[str] = []

    async def call() -> None:
        client = socketio.AsyncClient(reconnection=False)

        @client.on("event", namespace="/_event")
        async def on_event(data):
            received.append(json.dumps(data, ensure_ascii=False))

        await client.connect(
            f"{portal.url}?token={uuid.uuid4()}",
            socketio_path="/_event",
            namespaces=["/_event"],
            transports=["websocket"],
            headers={"Origin": portal.url},
        )
        await client.emit(
            "event",
            {
                "name": f"{ServerProblemState.get_full_name()}.dismiss",
                "payload": {"not_an_argument": 1},
                "router_data": {"pathname": "/entrar", "query": {}},
            },
            namespace="/_event",
        )
        for _ in range(50):
            if any(FAILED in message for message in received):
                break
            await asyncio.sleep(0.1)
        await client.disconnect()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, call()).result()
    answer = "\n".join(received)
    assert FAILED in answer
    assert "Traceback" not in answer and "TypeError" not in answer
    assert "An error occurred" not in answer  # Reflex's English toast is gone
