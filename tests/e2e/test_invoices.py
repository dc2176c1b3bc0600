"""Mis facturas in the browser: filters in the URL, sort, pages, detail, download, isolation."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from customer_portal.demo import DEMO_PASSWORD
from tests.e2e.helpers import signed_in

pytestmark = pytest.mark.e2e

DEMO = "cliente1@example.com"  # 12 invoices: 8 paid, 2 partly paid, 2 pending
OTHER = "administracion@ferreteria-munoz.example.com"


def summary(page):
    return page.locator("#resumen")


def numbers(page):
    return page.locator("table tbody tr td:first-child").all_inner_texts()


def test_list_filters_live_in_the_url_and_back_works(portal, browser):
    page = signed_in(browser, portal)
    expect(summary(page)).to_contain_text("12 facturas")
    assert numbers(page)[0] == "F2026-1012"

    # A checkbox applies as soon as it is ticked: no Buscar.
    page.locator("#estado_parcial").check()
    page.wait_for_url(re.compile(r"estado=parcial$"))
    page.locator("#estado_pendiente").check()
    page.wait_for_url(re.compile(r"estado=parcial(%2C|,)pendiente"))
    expect(summary(page)).to_contain_text("4 facturas")

    page.get_by_label("Número de factura").fill("1010")
    page.get_by_role("button", name="Buscar").click()
    expect(summary(page)).to_have_text("1 factura")
    assert numbers(page) == ["F2026-1010"]

    page.go_back()
    expect(summary(page)).to_contain_text("4 facturas")
    bookmarked = page.url
    fresh = signed_in(browser, portal)
    fresh.goto(bookmarked)
    expect(summary(fresh)).to_contain_text("4 facturas")
    expect(fresh.locator("#estado_parcial")).to_be_checked()


class RoutedSocket:
    """The page's websocket passed through: what the page sends is recorded, answers can wait."""

    EVENT = "42/_event,"  # a Socket.IO event packet on Reflex's namespace

    def __init__(self, page):
        self.sent: list[str] = []
        self.hold = False
        self.held: list[tuple[object, str]] = []
        page.route_web_socket(re.compile(r"/_event"), self._route)

    def _route(self, ws):
        server = ws.connect_to_server()

        def to_server(message):
            self.sent.append(message)
            server.send(message)

        def to_page(message):
            if self.hold:
                self.held.append((ws, message))
            else:
                ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    def events(self) -> list[str]:
        """The handlers the page has asked for, by their last name ("go_to_page")."""
        return [
            json.loads(message[len(self.EVENT) :])[1]["name"].rsplit(".", 1)[-1]
            for message in self.sent
            if isinstance(message, str) and message.startswith(self.EVENT)
        ]

    def release(self):
        self.hold = False
        for ws, message in self.held:
            ws.send(message)
        self.held.clear()


def test_a_change_is_one_event_busy_from_the_press_and_the_address_bar_follows(portal, browser):
    page = signed_in(browser, portal)
    socket = RoutedSocket(page)
    page.goto(portal.url + "/facturas?tam=10")
    expect(page.get_by_text("Página 1 de 2", exact=True)).to_be_visible()
    expect(page.locator("#filtros button[type=submit]")).to_be_enabled()
    asked = len(socket.events())

    # Busy from the press, before any answer: the answer is held back.
    socket.hold = True
    following = page.get_by_role("button", name="Siguiente")
    following.click()
    expect(following).to_have_attribute("aria-busy", "true")
    assert "pagina" not in page.url
    socket.release()
    expect(page.get_by_text("Página 2 de 2", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/facturas\?pagina=2&tam=10$"))
    expect(following).not_to_have_attribute("aria-busy", "true")
    assert numbers(page) == ["F2026-1002", "F2026-1001"]
    # One event went to the server for the change, list and URL came back with it.
    assert socket.events()[asked:] == ["go_to_page"]

    by_number = page.get_by_role("button", name="Ordenar por número")
    by_number.click()
    expect(page).to_have_url(re.compile(r"/facturas\?orden=numero&dir=asc&tam=10$"))
    expect(page.locator("table tbody tr").first).to_contain_text("F2026-1001")
    expect(by_number).not_to_have_attribute("aria-busy", "true")

    # Back and Forward walk the lists shown, each with its own rows.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/facturas\?pagina=2&tam=10$"))
    expect(page.get_by_text("Página 2 de 2", exact=True)).to_be_visible()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/facturas/?\?tam=10$"))
    expect(page.get_by_text("Página 1 de 2", exact=True)).to_be_visible()
    assert numbers(page)[0] == "F2026-1012"
    page.go_forward()
    expect(page).to_have_url(re.compile(r"/facturas\?pagina=2&tam=10$"))
    expect(page.get_by_text("Página 2 de 2", exact=True)).to_be_visible()

    # A reload keeps the URL and its list, and is left to the screen reader.
    page.reload()
    expect(page.get_by_text("Página 2 de 2", exact=True)).to_be_visible()
    expect(page.locator("#filtros button[type=submit]")).to_be_enabled()
    page.wait_for_timeout(500)
    assert re.search(r"/facturas/?\?pagina=2&tam=10$", page.url)
    assert page.locator("#anuncio").text_content() == ""
    assert page.evaluate("document.activeElement.tagName") == "BODY"

    # Back from the first change after a page load returns to the loaded list.
    page.get_by_role("button", name="Ordenar por número").click()
    expect(page).to_have_url(re.compile(r"orden=numero"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/facturas/?\?pagina=2&tam=10$"))
    expect(page.get_by_text("Página 2 de 2", exact=True)).to_be_visible()
    assert numbers(page) == ["F2026-1002", "F2026-1001"]

    # An invoice of that list, then Back: the same list.
    page.get_by_role("link", name="F2026-1001").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Factura F2026-1001")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/facturas/?\?pagina=2&tam=10$"))
    expect(page.get_by_text("Página 2 de 2", exact=True)).to_be_visible()
    assert numbers(page) == ["F2026-1002", "F2026-1001"]


def test_sort_and_pages(portal, browser):
    page = signed_in(browser, portal)
    page.goto(portal.url + "/facturas?tam=10")
    expect(page.get_by_text("Página 1 de 2", exact=True)).to_be_visible()
    page.get_by_role("button", name="Siguiente").click()
    expect(page.get_by_text("Página 2 de 2", exact=True)).to_be_visible()
    assert numbers(page) == ["F2026-1002", "F2026-1001"]

    page.goto(portal.url + "/facturas")
    page.get_by_role("button", name="Ordenar por número").click()
    page.wait_for_url(re.compile(r"orden=numero"))
    expect(page.locator("table tbody tr").first).to_contain_text("F2026-1001")
    page.get_by_role("button", name="Ordenar por total").click()
    page.wait_for_url(re.compile(r"orden=total"))
    expect(page.locator("table tbody tr").first).to_contain_text("225,54 €")


def test_empty_results_offer_to_clear_the_filters(portal, browser):
    page = signed_in(browser, portal)
    page.goto(portal.url + "/facturas?numero=no-existe")
    expect(page.get_by_text("Ningún resultado con estos filtros.")).to_be_visible()
    expect(summary(page)).to_have_text("Ningún resultado con estos filtros.")
    page.get_by_role("status").get_by_role("button", name="Limpiar filtros").click()
    expect(summary(page)).to_contain_text("12 facturas")


def test_download_gives_the_stored_signed_bytes(portal, browser, tmp_path):
    page = signed_in(browser, portal)
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar PDF de la factura F2026-1005").click()
    assert download.value.suggested_filename == "Factura-F2026-1005.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    stored = tmp_path / "stored.pdf"
    assert portal.cli("pdf", "F2026-1005", "--output", str(stored)).returncode == 0
    assert saved.read_bytes() == stored.read_bytes()
    pdfsig = subprocess.run(["pdfsig", str(saved)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in pdfsig


def test_detail_page_shows_the_invoice_and_downloads_it(portal, browser):
    page = signed_in(browser, portal)
    page.get_by_role("link", name="F2026-1010").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Factura F2026-1010")
    expect(page.get_by_text("Cobrado parcialmente").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar PDF").click()
    assert download.value.suggested_filename == "Factura-F2026-1010.pdf"


def test_another_customer_cannot_use_a_download_link_or_url(portal, browser):
    owner = signed_in(browser, portal)
    with owner.expect_download() as download:
        owner.get_by_role("button", name="Descargar PDF de la factura F2026-1001").click()
    link = download.value.url
    assert "/api/v1/descargas/" in link

    thief = signed_in(browser, portal, OTHER)
    response = thief.request.get(link)
    assert response.status == 403 and b"%PDF" not in response.body()
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(link, timeout=10)
    assert anonymous.value.code == 403

    thief.goto(portal.url + "/factura?numero=F2026-1001")
    expect(thief.get_by_role("heading", level=1)).to_have_text("Factura no encontrada")
    thief.goto(portal.url + "/facturas?numero=F2026-1001")
    expect(thief.get_by_text("Ningún resultado con estos filtros.")).to_be_visible()
    thief.goto(portal.url + "/facturas")
    expect(summary(thief)).to_contain_text("12 facturas")
    assert all(n.startswith("F2026-2") for n in numbers(thief))


def test_a_phone_gets_cards(portal, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(portal.url + "/entrar")
    page.get_by_label("Correo electrónico").fill(DEMO)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r"/facturas/?(\?aviso=[^&]*)?$"))
    expect(page.get_by_text("12 facturas")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()


def test_amounts_are_spanish_and_a_wrong_one_says_so(portal, browser):
    page = signed_in(browser, portal)
    minimum = page.get_by_label("Importe mínimo (€)")
    minimum.fill("abc")
    page.get_by_role("button", name="Buscar").click()
    expect(page.get_by_text("«abc» no es un importe válido")).to_be_visible()
    assert "min=" not in page.url
    expect(minimum).to_have_attribute("aria-invalid", "true")
    # "1.000" is a thousand euros, not one: no demo invoice of cliente1 reaches it.
    minimum.fill("1.000")
    page.get_by_role("button", name="Buscar").click()
    page.wait_for_url(re.compile(r"min=1\.000"))
    expect(page.get_by_text("Ningún resultado con estos filtros.")).to_be_visible()
    expect(page.get_by_label("Importe mínimo (€)")).to_have_value("1.000")
    page.goto(portal.url + "/facturas?min=200")
    expect(summary(page)).to_contain_text("4 facturas")
    expect(page.get_by_label("Importe mínimo (€)")).to_have_value("200")


def test_only_overdue_invoices_on_request(portal, browser):
    page = signed_in(browser, portal)
    page.locator("#vencidas_si").check()
    page.wait_for_url(re.compile(r"vencidas=si"))
    badges = page.locator("table tbody tr td:nth-child(6)")
    # The newest invoice (first before filtering) is not overdue: wait for the new list.
    expect(badges.first).to_contain_text("vencida")
    assert all("vencida" in badge for badge in badges.all_inner_texts())


def test_exportar_csv_and_excel_hold_the_filtered_list(portal, browser, tmp_path):
    import csv
    import io
    import zipfile

    page = signed_in(browser, portal, accept_downloads=True)
    page.locator("#estado_pendiente").check()
    expect(summary(page)).to_contain_text("2 facturas")
    shown = sorted(numbers(page))
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportar CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".csv"
    rows = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert sorted(r[0] for r in rows[1:]) == shown
    assert all(r[6].startswith("Pendiente") for r in rows[1:])
    # The second file once the first has arrived and the page is quiet, as a
    # person would. (Chromium cancelling the Excel file now and then was the
    # server's FileResponse headers: see api/exports.py.)
    page.wait_for_load_state("networkidle")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportar Excel").click()
    book = tmp_path / download.value.suggested_filename
    download.value.save_as(book)
    with zipfile.ZipFile(book) as workbook:
        assert "xl/worksheets/sheet1.xml" in workbook.namelist()


def test_the_invoices_ticked_download_as_one_zip(portal, browser, tmp_path):
    import zipfile

    page = signed_in(browser, portal, accept_downloads=True)
    expect(summary(page)).to_contain_text("12 facturas")
    first, second = numbers(page)[:2]
    page.get_by_label(f"Elegir la factura {first}").first.check()
    page.get_by_label(f"Elegir la factura {second}").first.check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar elegidas (ZIP)").click()
    saved = tmp_path / "facturas.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as zipped:
        pdfs = sorted(n for n in zipped.namelist() if n.endswith(".pdf"))
        assert pdfs == sorted([f"Factura-{first}.pdf", f"Factura-{second}.pdf"])
        stored = tmp_path / "stored.pdf"
        portal.cli("pdf", first, "--output", str(stored))
        assert zipped.read(f"Factura-{first}.pdf") == stored.read_bytes()
    assert "/facturas" in page.url  # the page stayed; nothing else changed
