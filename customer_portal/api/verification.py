"""/verificar over plain HTTP: compare an uploaded file with the original, download the original.

Anyone may use them, with an invoice's verification code and nothing else:
an auditor's browser posts the upload form itself (it works before the
page's scripts load, and a file is not for a websocket), and the answer
comes back as a signed message on /verificar, as the account forms do
(:mod:`customer_portal.api.redirects`). Every request counts against the
address's limit (:func:`customer_portal.domain.verification.admit_lookup`),
whether the code exists or not, and an unknown code and a mistyped one get
the same answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from customer_portal import routes
from customer_portal.api.edge import client_ip
from customer_portal.api.plain_pages import plain_page
from customer_portal.api.redirects import see_other
from customer_portal.db import unit_of_work
from customer_portal.documents.integrity import TamperedDocument, intact_pdf
from customer_portal.documents.verify import compare_with_original, trust_roots_from_settings
from customer_portal.domain.downloads import download_filename
from customer_portal.domain.flash import Flash
from customer_portal.domain.verification import (
    NOT_FOUND,
    VerifiedInvoice,
    admit_lookup,
    find_by_code,
    grouped,
    too_many_lookups,
)
from customer_portal.i18n import N_
from customer_portal.models import utcnow
from customer_portal.settings import get_settings

log = logging.getLogger(__name__)

#: The largest PDF one may upload to compare (our invoices are far smaller).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
TOO_BIG = N_("El archivo es demasiado grande: suba el PDF de la factura (5 MB como máximo).")
NO_FILE = N_("Elija el archivo PDF de la factura que quiere comparar.")
UNAVAILABLE = N_(
    "No podemos mostrar el original de esta factura en este momento. Inténtelo más tarde."
)

_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _page(text: str) -> str:
    return plain_page(N_("Verificar factura"), text, back=(N_("Verificar factura"), routes.VERIFY))


@dataclass(frozen=True)
class _Found:
    invoice: VerifiedInvoice | None = None
    pdf: bytes | None = None
    wait_text: str = ""


def _look_up(typed: str, ip: str | None) -> _Found:
    """Count the request, then find the invoice and its checked PDF (one transaction)."""
    with unit_of_work() as session:
        wait = admit_lookup(session=session, ip=ip, now=utcnow())
        if wait is not None:
            return _Found(wait_text=too_many_lookups(wait))
        invoice = find_by_code(session=session, typed=typed)
        if invoice is None:
            return _Found()
        return _Found(invoice, intact_pdf(session=session, invoice_id=invoice.invoice_id))


def _page_of(typed: str) -> str:
    return f"{routes.VERIFY}?{urlencode({'codigo': typed[:60]})}" if typed else routes.VERIFY


async def _find(request: Request, typed: str) -> _Found | TamperedDocument:
    ip = client_ip(request.scope, get_settings().trusted_proxy_hops)
    try:
        return await run_in_threadpool(_look_up, typed, ip)
    except TamperedDocument as exc:
        log.error(
            "refused to verify invoice %r: its stored signed PDF does not match its record (%s)",
            exc.mismatch.number,
            exc.mismatch.describe(),
        )
        return exc


async def compare_upload(request: Request) -> Response:
    """``POST /verificar/comprobar``: is the uploaded file the invoice's signed original?"""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
        return see_other(routes.VERIFY, Flash(TOO_BIG))
    try:
        # Text fields are short (a code); the file is capped by its read below and,
        # for its whole body, by the edge (PORTAL_MAX_REQUEST_BYTES).
        async with request.form(max_files=1, max_fields=4, max_part_size=4096) as form:
            typed = form.get("codigo")
            typed = typed[:60] if isinstance(typed, str) else ""
            upload = form.get("archivo")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return see_other(_page_of(typed), Flash(NO_FILE))
            uploaded = await upload.read(MAX_UPLOAD_BYTES + 1)
    except HTTPException:  # Starlette's answer to a malformed or oversized multipart body
        return see_other(routes.VERIFY, Flash(TOO_BIG))
    if len(uploaded) > MAX_UPLOAD_BYTES:
        return see_other(_page_of(typed), Flash(TOO_BIG))
    found = await _find(request, typed)
    if isinstance(found, TamperedDocument) or (found.invoice and found.pdf is None):
        return see_other(_page_of(typed), Flash(UNAVAILABLE))
    if found.wait_text:
        return see_other(_page_of(typed), Flash(found.wait_text))
    if found.invoice is None:
        return see_other(_page_of(typed), Flash(NOT_FOUND))
    assert found.pdf is not None
    roots = trust_roots_from_settings(get_settings())
    answer = await run_in_threadpool(compare_with_original, uploaded, found.pdf, roots)
    return see_other(_page_of(grouped(found.invoice.code)), Flash(answer.text, answer.tone))


async def download_original(request: Request) -> Response:
    """``GET /verificar/original?codigo=…``: the signed original, to whoever holds its code."""
    typed = request.query_params.get("codigo", "")[:60]
    found = await _find(request, typed)
    if isinstance(found, TamperedDocument) or (found.invoice and found.pdf is None):
        return HTMLResponse(_page(UNAVAILABLE), 500, _HEADERS)
    if found.wait_text:
        return HTMLResponse(_page(found.wait_text), 429, _HEADERS)
    if found.invoice is None:
        return HTMLResponse(_page(NOT_FOUND), 404, _HEADERS)
    name = download_filename(found.invoice.number)
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        found.pdf,
        media_type="application/pdf",
        headers={**_HEADERS, "Content-Disposition": disposition},
    )
