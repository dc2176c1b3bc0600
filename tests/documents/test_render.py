"""The invoice PDF: content as rows (no PDF parsing), then layout checked with pdftotext."""

import subprocess
from pathlib import Path

import pytest

from customer_portal.documents.render import line_rows, render_invoice_pdf, tax_rows, total_rows
from customer_portal.domain.invoice_input import parse_invoice
from customer_portal.settings import Branding
from tests.factories import customer_input, invoice_input, line_input


def pdf_pages_text(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")[:-1]


def test_rows_are_formatted_the_spanish_way():
    data = parse_invoice(
        invoice_input(
            "F-1",
            lines=[
                line_input(
                    description="Centralita",
                    quantity="1.5",
                    unit_price="1000.0125",
                    tax_name="iva",
                    tax_rate="21",
                ),
                line_input(),
            ],
        )
    )
    assert line_rows(data)[1] == [
        "Centralita",
        "1,5",
        "1.000,0125\xa0€",
        "IVA 21\xa0%",
        "1.500,02\xa0€",
    ]
    assert tax_rows(data)[1:] == [
        ["IGIC 7\xa0%", "39,90\xa0€", "2,79\xa0€"],
        ["IVA 21\xa0%", "1.500,02\xa0€", "315,00\xa0€"],
    ]
    assert total_rows(data) == [
        ["Base imponible", "1.539,92\xa0€"],
        ["Impuestos", "317,79\xa0€"],
        ["TOTAL FACTURA", "1.857,71\xa0€"],
    ]


def test_pdf_shows_header_customer_dates_and_totals(tmp_path):
    data = parse_invoice(invoice_input("F-2019/1", customer=customer_input(name="Muñoz & <Hijos>")))
    (page,) = pdf_pages_text(render_invoice_pdf(data, Branding()), tmp_path)
    for expected in [
        "Link Soluciones S.L.",
        "FACTURA",
        "Nº F-2019/1",
        "Muñoz & <Hijos>",
        "NIF: 12345678Z",
        "30/04/2019",
        "30/05/2019",
        "928 472 915",
        "www.linksoluciones.com",
        "TOTAL FACTURA",
        "42,69 €",
        "Página 1 de 1",
    ]:
        assert expected in page, expected


def test_many_lines_flow_onto_pages_with_header_and_numbers(tmp_path):
    long_text = "Descripción muy larga del servicio contratado que no cabe en una línea. " * 4
    lines = [
        line_input(description=f"Servicio {i}. {long_text if i % 10 == 0 else ''}")
        for i in range(150)
    ]
    pages = pdf_pages_text(
        render_invoice_pdf(parse_invoice(invoice_input("F-9", lines=lines)), Branding()), tmp_path
    )
    assert len(pages) >= 4
    for n, page in enumerate(pages, start=1):
        assert "Nº F-9" in page and "Link Soluciones S.L." in page
        assert f"Página {n} de {len(pages)}" in page
    # The table header repeats on every page that continues the lines.
    assert all("Descripción" in page for page in pages[:-1])
    assert "Servicio 149." in pages[-1] or "Servicio 149." in pages[-2]
    assert "TOTAL FACTURA" in pages[-1]
    # A long description wraps instead of running off the page.
    first = pages[0]
    assert "no cabe en una" in first and max(len(row) for row in first.splitlines()) < 200


def test_branding_comes_from_settings(tmp_path):
    branding = Branding(
        company_name="Otra", legal_name="Otra Empresa S.A.", phones=("900 000 000",)
    )
    (page,) = pdf_pages_text(render_invoice_pdf(parse_invoice(invoice_input()), branding), tmp_path)
    assert "Otra Empresa S.A." in page and "900 000 000" in page and "Link" not in page


def test_the_logo_is_embedded_as_a_jpeg_in_binary_streams(tmp_path):
    """What keeps rendering fast: no PNG re-encoded and no ASCII85 per PDF."""
    pdf = render_invoice_pdf(parse_invoice(invoice_input("F-LOGO")), Branding())
    assert pdf.count(b"/DCTDecode") == 1
    assert b"/ASCII85Decode" not in pdf
    path = tmp_path / "logo.pdf"
    path.write_bytes(pdf)
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert " jpeg " in images and "600   240" in images


def test_only_descriptions_that_must_wrap_are_laid_out_as_paragraphs():
    """A Paragraph per line was a fifth of the rendering time; most descriptions fit."""
    from reportlab.platypus import Paragraph

    from customer_portal.documents.render import _description

    assert _description("Cuota mensual <fibra> & router") == "Cuota mensual <fibra> & router"
    assert isinstance(_description("Primera línea\nsegunda línea"), Paragraph)
    assert isinstance(_description("palabra " * 30), Paragraph)


def test_the_logo_jpeg_is_made_once_and_named_by_its_content(tmp_path):
    from PIL import Image

    from customer_portal.documents.render import _logo_jpeg

    for colour in ("red", "blue"):
        logo = tmp_path / f"{colour}.png"
        Image.new("RGBA", (60, 24), colour).save(logo)
        path = _logo_jpeg(logo, logo.stat().st_mtime)
        assert Path(path).read_bytes().startswith(b"\xff\xd8")  # a JPEG
        assert _logo_jpeg(logo, logo.stat().st_mtime) == path
    assert _logo_jpeg(tmp_path / "red.png", 0.0) != path


def test_the_customer_box_takes_a_missing_address_and_wraps_a_long_name(tmp_path):
    name = "Sociedad Cooperativa de Distribuidores Agrícolas del Norte de Gran Canaria"
    data = parse_invoice(invoice_input(customer=customer_input(name=name, address="")))
    (page,) = pdf_pages_text(render_invoice_pdf(data, Branding()), tmp_path)
    assert "Facturar a" in page and "NIF: 12345678Z" in page
    assert "Sociedad Cooperativa" in page and "Gran Canaria" in page
    # Wrapped inside its box (one line would run under the details beside it).
    assert not any("Sociedad" in row and "Gran Canaria" in row for row in page.splitlines())


def test_reportlab_runs_with_its_c_accelerator():
    from reportlab.lib import rl_accel

    assert rl_accel.fp_str.__module__ == "_rl_accel"


def test_the_logo_file_is_never_one_another_user_could_have_written(tmp_path, monkeypatch):
    """Signed invoices embed it: a folder that is not ours and private is not used."""
    import os
    import stat

    from customer_portal.documents import render

    monkeypatch.setattr(render.tempfile, "tempdir", str(tmp_path))
    render._private_folder.cache_clear()
    try:
        shared = tmp_path / f"portal-{os.getuid()}"
        shared.mkdir(mode=0o777)
        shared.chmod(0o777)  # as if made by someone else, open to all
        folder = render._private_folder()
        assert folder != shared and folder.parent == tmp_path
        assert not stat.S_IMODE(folder.stat().st_mode) & 0o077
        render._private_folder.cache_clear()
        shared.chmod(0o700)
        assert render._private_folder() == shared  # ours and private: reused
    finally:
        render._private_folder.cache_clear()


AEAT_URL = (
    "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR?nif=B35000000&numserie=F-VF-1"
    "&fecha=30-04-2019&importe=42.69"
)


@pytest.mark.parametrize("verifactu", [True, False])
def test_the_tax_agency_qr_comes_first_with_its_title_and_scans(tmp_path, verifactu):
    import subprocess

    import zxingcpp
    from PIL import Image

    from customer_portal.domain.verification import grouped, with_code

    raw = invoice_input("F-VF-1")
    raw["tax_agency_qr"] = {"url": AEAT_URL, "verifactu": verifactu}
    data = with_code(parse_invoice(raw))
    path = tmp_path / "vf.pdf"
    path.write_bytes(render_invoice_pdf(data, Branding()))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    lines = [line.strip() for line in text.stdout.splitlines() if line.strip()]
    first = lines.index("QR tributario:")
    assert first < next(i for i, line in enumerate(lines) if line.startswith("Facturar a"))
    assert ("VERI*FACTU" in text.stdout) is verifactu
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "p")], check=True)
    scanned = sorted(b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "p-1.png")))
    ours = f"http://localhost:3000/verificar?codigo={grouped(data.verification_code)}"
    assert scanned == sorted([AEAT_URL, ours])
