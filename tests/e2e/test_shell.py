"""The page shell: skip link, focus and announcements, connection, busy buttons, Spanish.

The connection tests cut the websocket with Playwright's ``route_web_socket``
(the server keeps running for the other tests). A routed websocket does not
carry the session cookie, so they stay on public pages.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from customer_portal.demo import DEMO_PASSWORD
from tests.e2e.helpers import LAYOUT_SHIFT, layout_shift, signed_in

pytestmark = pytest.mark.e2e

OFFLINE = "Sin conexión con el portal. Reintentando…"


def _focused(page) -> dict:
    return page.evaluate(
        "({id: document.activeElement.id, tag: document.activeElement.tagName,"
        " text: document.activeElement.textContent.trim()})"
    )


def _announced(page, text: str) -> None:
    expect(page.locator("#anuncio")).to_have_text(text)


class CuttableSocket:
    """Pass the page's websocket through, until told to cut it (and keep refusing it)."""

    def __init__(self, page, *, tamper=None):
        self.down = False
        self.servers = []
        self.tamper = tamper
        page.route_web_socket(re.compile(r"/_event"), self._route)

    def _route(self, ws):
        server = ws.connect_to_server()
        if self.down:
            server.close()
            return
        self.servers.append(server)
        if self.tamper is not None:
            server.on_message(lambda message: ws.send(self.tamper(message)))

    def cut(self):
        self.down = True
        for server in self.servers:
            server.close()

    def restore(self):
        self.down = False


def test_the_first_tab_reaches_the_skip_link_and_enter_moves_focus_to_the_content(portal, page):
    page.goto(portal.url + "/entrar")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Saltar al contenido")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] >= 24  # visible on focus
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "contenido"
    assert page.url.rstrip("/").endswith("/entrar")  # focus moved, no navigation
    # Then the next Tab goes into the content, past the header.
    page.keyboard.press("Tab")
    expect(page.get_by_label("Correo electrónico")).to_be_focused()


def test_the_live_region_is_polite_and_hidden_only_from_the_eye(portal, page):
    page.goto(portal.url + "/")
    region = page.locator("#anuncio")
    expect(region).to_have_attribute("aria-live", "polite")
    # Not a second role=status beside the page's own messages.
    expect(region).not_to_have_attribute("role", "status")
    assert region.evaluate("el => getComputedStyle(el).display") != "none"
    assert region.bounding_box()["width"] <= 1


def test_focus_and_announcement_after_login_and_each_navigation(portal, browser):
    page = signed_in(browser, portal)
    # After login: Mis facturas is said (with any message the sign-in brought) and its
    # heading has focus.
    expect(page.locator("#anuncio")).to_have_text(re.compile(r"^Mis facturas"))
    assert _focused(page) == {"id": "", "tag": "H1", "text": "Mis facturas"}

    page.get_by_role("link", name="Mis pagos").click()
    page.wait_for_url(re.compile(r"/pagos/?$"))
    _announced(page, "Mis pagos")
    assert _focused(page)["text"] == "Mis pagos"

    # The logo goes home, which takes a signed-in customer to Mis facturas.
    page.get_by_role("link", name=re.compile(r"inicio$")).click()
    page.wait_for_url(re.compile(r"/facturas/?$"))
    _announced(page, "Mis facturas")
    assert _focused(page)["text"] == "Mis facturas"

    # An invoice: its heading carries the number the page loaded.
    page.get_by_role("link", name="F2026-1001", exact=True).first.click()
    page.wait_for_url(re.compile(r"/factura/?\?numero=F2026-1001"))
    _announced(page, "Factura F2026-1001")
    assert _focused(page)["text"] == "Factura F2026-1001"


def test_a_page_opened_directly_is_left_to_the_screen_reader(portal, browser):
    page = signed_in(browser, portal)
    page.goto(portal.url + "/pagos")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mis pagos")
    page.wait_for_load_state("networkidle")
    time.sleep(0.5)
    assert page.locator("#anuncio").text_content() == ""
    assert _focused(page)["tag"] == "BODY"


def test_a_lost_connection_shows_a_spanish_banner_until_it_is_back(portal, page):
    socket = CuttableSocket(page)
    page.goto(portal.url + "/entrar")
    page.wait_for_load_state("networkidle")
    banner = page.get_by_role("alert").filter(has_text=OFFLINE)
    expect(banner).to_have_count(0)

    socket.cut()
    expect(banner).to_be_visible(timeout=5000)
    expect(banner).to_have_text(OFFLINE)
    content = page.content()
    assert "Cannot connect" not in content and "Connection Error" not in content

    socket.restore()
    expect(banner).to_have_count(0, timeout=15000)


def test_entrar_with_the_portal_unreachable_is_busy_at_once_and_goes_on_when_it_is_back(
    portal, page
):
    socket = CuttableSocket(page)
    page.goto(portal.url + "/entrar")
    page.wait_for_load_state("networkidle")
    socket.cut()
    expect(page.get_by_role("alert").filter(has_text=OFFLINE)).to_be_visible(timeout=5000)

    page.get_by_label("Correo electrónico").fill("cliente1@example.com")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    entrar = page.get_by_role("button", name="Entrar")
    entrar.click()
    expect(entrar).to_have_attribute("aria-busy", "true", timeout=1000)
    time.sleep(1)
    assert page.url.rstrip("/").endswith("/entrar")  # held, not lost to an error page

    socket.restore()
    page.wait_for_url(re.compile(r"/facturas"), timeout=20000)


def test_a_posted_button_is_busy_at_once_and_posts_only_once(portal, page):
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(portal.url + "/entrar")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Correo electrónico").fill("cliente1@example.com")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    # What the button looked like the moment the form left; kept across the navigation.
    # (Playwright cannot read a page whose navigation is pending, so the page notes it.)
    page.evaluate(
        """document.addEventListener('submit', (event) => {
          const button = event.submitter;
          sessionStorage.setItem('visto', JSON.stringify({
            busy: button.getAttribute('aria-busy'),
            spinner: getComputedStyle(button, '::after').animationName}));
        })"""
    )
    # Two presses in a row, as an impatient thumb does: one post.
    page.evaluate(
        """() => { const b = document.querySelector('form[data-portal-post] [type=submit]');
                   b.click(); b.click(); }"""
    )
    page.wait_for_url(re.compile(r"/facturas"))
    seen = json.loads(page.evaluate("sessionStorage.getItem('visto')"))
    assert seen == {"busy": "true", "spinner": "portal-giro"}
    assert len([url for url in posts if url.endswith("/sesion/entrar")]) == 1


def test_an_empty_required_field_is_refused_in_the_page_language(portal, browser):
    # An English browser whose person chose Español: the page's words, not the browser's.
    context = browser.new_context(locale="en-US")
    context.add_cookies([{"name": "portal_idioma", "value": "es", "url": portal.url}])
    page = context.new_page()
    page.goto(portal.url + "/entrar")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Entrar").click()
    email = page.get_by_label("Correo electrónico")
    assert email.evaluate("el => el.validationMessage") == "Rellene este campo."
    expect(email).to_have_attribute("aria-invalid", "true")
    email.fill("no-es-un-correo")
    page.get_by_role("button", name="Entrar").click()
    assert email.evaluate("el => el.validationMessage") == "Escriba una dirección de correo válida."
    email.fill("cliente1@example.com")
    expect(email).not_to_have_attribute("aria-invalid", "true")
    password = page.get_by_label("Contraseña")
    page.get_by_role("button", name="Entrar").click()
    assert password.evaluate("el => el.validationMessage") == "Rellene este campo."
    assert "Please" not in email.evaluate("el => el.validationMessage")
    assert page.url.rstrip("/").endswith("/entrar")


def test_the_toast_region_is_labelled_in_spanish(portal, page):
    page.goto(portal.url + "/")
    region = page.locator("section[aria-live]")
    expect(region).to_have_attribute("aria-label", re.compile(r"^Avisos"))
    assert "Notifications" not in page.content()


def _break_the_entrar_page(message: str) -> str:
    """A server message whose Entrar texts are objects: React cannot render them."""
    prefix = "42/_event,"
    if not isinstance(message, str) or not message.startswith(prefix):
        return message
    payload = json.loads(message[len(prefix) :])
    for name, values in payload[1].get("delta", {}).items():
        if name.endswith("login_state"):
            for key, value in values.items():
                if isinstance(value, str) and key.startswith(("error", "reason")):
                    values[key] = {"roto": True}
    return prefix + json.dumps(payload)


def test_a_page_that_fails_to_render_gets_the_spanish_error_page(portal, page):
    CuttableSocket(page, tamper=_break_the_entrar_page)
    page.goto(portal.url + "/entrar")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Ha ocurrido un error", timeout=20000)
    assert "An error occurred" not in page.content()
    expect(page.get_by_role("link", name=re.compile(r"inicio$"))).to_be_visible()
    back = page.get_by_role("link", name="Volver a Mis facturas")
    expect(back).to_have_attribute("href", re.compile(r"/facturas$"))
    retry = page.get_by_role("button", name="Reintentar")
    expect(retry).to_be_visible()

    # The portal answers again: Reintentar reloads the page.
    page.unroute_all()
    retry.click()
    expect(heading).to_have_text("Entrar", timeout=20000)


def test_the_error_page_leads_back_to_mis_facturas(portal, browser):
    page = signed_in(browser, portal)
    page.goto(portal.url + "/entrar")  # a signed-in customer is sent on to Mis facturas
    page.wait_for_url(re.compile(r"/facturas"))
    CuttableSocket(page, tamper=_break_the_entrar_page)
    page.goto(portal.url + "/entrar?next=/pagos")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Ha ocurrido un error", timeout=20000)
    page.unroute_all()
    page.get_by_role("link", name="Volver a Mis facturas").click()
    page.wait_for_url(re.compile(r"/facturas/?$"))
    expect(heading).to_have_text("Mis facturas", timeout=20000)


@pytest.mark.parametrize("width", [360, 1280])
def test_nav_and_salir_are_easy_to_tap_and_phones_stay_whole(portal, browser, width):
    page = signed_in(browser, portal, viewport={"width": width, "height": 740})
    targets = page.locator("nav a, nav button")
    assert targets.count() >= 4
    for index in range(targets.count()):
        box = targets.nth(index).bounding_box()
        name = targets.nth(index).inner_text()
        assert box["height"] >= 44 and box["width"] >= 44, (name, box)
    for phone in page.locator("footer .telefono").all():
        # One line box per number: it never wraps mid-number.
        assert phone.evaluate("el => el.getClientRects().length") == 1, phone.inner_text()


def test_the_signed_in_bar_does_not_move_the_page_when_the_name_arrives(portal, browser):
    page = signed_in(browser, portal, viewport={"width": 360, "height": 740})
    page.add_init_script(
        """window.__shifts = [];
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) {
            if (entry.hadRecentInput) continue;
            const nodes = entry.sources.map((s) => s.node).filter(Boolean);
            window.__shifts.push({value: entry.value,
              shell: nodes.some((n) => n.closest && n.closest('header, nav, main, footer')
                                        && !n.closest('main'))});
          }
        }).observe({type: 'layout-shift', buffered: true});"""
    )
    page.goto(portal.url + "/facturas")
    expect(page.locator("nav .nombre-cliente")).not_to_have_text("", timeout=20000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    shifts = page.evaluate("window.__shifts")
    assert sum(s["value"] for s in shifts if s["shell"]) < 0.01, shifts
    assert sum(s["value"] for s in shifts) < 0.1, shifts


def test_a_logo_that_arrives_late_moves_nothing(portal, browser):
    """The logo keeps its room (width and height attributes) before it loads."""
    page = browser.new_context(viewport={"width": 412, "height": 823}).new_page()
    page.add_init_script(LAYOUT_SHIFT)

    def late(route):
        time.sleep(1.5)
        route.continue_()

    page.route("**/logo.png", late)
    page.goto(portal.url + "/entrar")
    logo = page.locator("header img").first
    expect(logo).to_have_js_property("complete", True, timeout=10000)
    page.wait_for_timeout(300)
    assert layout_shift(page) < 0.01
    box = logo.bounding_box()
    assert box is not None and round(box["width"]) == 100 and round(box["height"]) == 40
