"""The Extracto de cuenta as a signed PDF: the signed-in customer's, valid, nobody else's."""

from __future__ import annotations

import subprocess

import httpx

from customer_portal.api.app import build_api
from customer_portal.documents.verify import verify_pdf
from tests.api.test_downloads import publish_two_customers


async def test_the_statement_pdf_is_signed_and_holds_the_customers_invoices(
    publisher, engine, trust_roots, tmp_path
):
    accounts = publish_two_customers(publisher, engine)  # F-2019/1 theirs, G-1 another's
    _, token = accounts["CLI-TEST-1"]
    transport = httpx.ASGITransport(app=build_api())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        anonymous = await client.get("/extracto/pdf", params={"desde": "2019-01-01"})
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/entrar?next=%2Fextracto%3F")
        client.cookies.set("portal_session", token)
        answer = await client.get(
            "/extracto/pdf", params={"desde": "01/01/2019", "hasta": "31/12/2019"}
        )
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert 'filename="Extracto-2019-01-01-2019-12-31.pdf"' in answer.headers["content-disposition"]
    report = verify_pdf(answer.content, trust_roots)
    assert report.valid, report.problems
    path = tmp_path / "extracto.pdf"
    path.write_bytes(answer.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
    assert "EXTRACTO DE CUENTA" in text.stdout and "Factura F-2019/1" in text.stdout
    assert "Saldo inicial" in text.stdout and "Saldo final" in text.stdout
    assert "G-1" not in text.stdout
