"""Mis facturas as files: ``/facturas/exportar`` (CSV, XLSX) and ``/facturas/zip`` (signed PDFs).

Plain links (and, for the ticked invoices, a plain form) from Mis facturas
carrying the list's own query, so a file holds exactly the invoices the
customer filtered, in the list's order, all of them (not just the page).
The session cookie says whose invoices: every row is read from that
customer's, on the server, as the list itself does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from customer_portal import i18n, routes
from customer_portal.api.edge import client_ip
from customer_portal.api.redirects import see_other
from customer_portal.db import unit_of_work
from customer_portal.domain.audit import record_event
from customer_portal.domain.bundles import MAX_INVOICES, TooManyInvoices, choose, zip_pieces
from customer_portal.domain.exports import csv_pieces, write_xlsx
from customer_portal.domain.flash import Flash
from customer_portal.domain.invoice_search import all_invoice_rows, parse_filters
from customer_portal.domain.people import CUSTOMER_PARAM
from customer_portal.domain.sessions import SESSION_COOKIE
from customer_portal.domain.status import today_in
from customer_portal.domain.viewer import find_viewer
from customer_portal.limits import INVOICE_NUMBER_LENGTH, SESSION_TOKEN_MAX_LENGTH
from customer_portal.models import utcnow
from customer_portal.settings import get_settings

_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_CSV = "text/csv; charset=utf-8"
_CHUNK = 64 * 1024
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _customer_of(cookie: str, code: str | None) -> tuple[int, str] | None:
    """The customer the signed-in person looks at (``?cliente=``, if theirs) and who they are.

    None without a live session; customer 0 (nobody's) for a person linked to none.
    """
    viewer = find_viewer(cookie, code)
    if viewer is None:
        return None
    return (viewer.customer.id if viewer.customer else 0), viewer.account.email


def _filename(extension: str, today: date) -> str:
    return f"facturas-{today.isoformat()}.{extension}"


async def export_invoices(request: Request) -> Response:
    """The customer's filtered invoices as CSV (streamed) or XLSX."""
    cookie = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    query = dict(request.query_params)
    found = await run_in_threadpool(_customer_of, cookie, query.pop(CUSTOMER_PARAM, None))
    if found is None:
        back = routes.INVOICES + (f"?{request.url.query}" if request.url.query else "")
        return see_other(routes.login(back))
    customer_id, _ = found
    kind = query.pop("formato", "csv")
    if kind not in ("csv", "xlsx"):
        return PlainTextResponse(i18n._("Formato no válido: csv o xlsx."), status_code=400)
    filters = parse_filters(query)
    today = today_in(get_settings().timezone)

    def rows():
        with unit_of_work(read_only=True) as session:
            for _, row in all_invoice_rows(
                session=session, customer_id=customer_id, filters=filters, today=today
            ):
                yield row

    name = _filename(kind, today)
    disposition = {"Content-Disposition": f'attachment; filename="{name}"', **_HEADERS}
    if kind == "csv":
        pieces: Iterator[bytes] = csv_pieces(rows())
        return StreamingResponse(pieces, media_type=_CSV, headers=disposition)
    folder = Path(tempfile.mkdtemp(prefix="portal-export-"))
    path = folder / name
    await run_in_threadpool(write_xlsx, rows(), path)
    # Streamed from the file, not a FileResponse: with its Accept-Ranges, ETag
    # and Last-Modified, and the file removed once sent, Chromium cancelled
    # 5 of 12 such downloads in the e2e tests (0 of 16 without them).
    size = path.stat().st_size

    def chunks() -> Iterator[bytes]:
        try:
            with path.open("rb") as file:
                while chunk := file.read(_CHUNK):
                    yield chunk
        finally:
            _remove(folder)

    return StreamingResponse(
        chunks(), media_type=_XLSX, headers={**disposition, "Content-Length": str(size)}
    )


#: What the form of selected invoices may post (a number is at most 40 characters).
_MAX_SELECTION_BYTES = (MAX_INVOICES + 10) * 64
TOO_MANY = i18n.N_(
    "Hay más de {limit} facturas en la lista: filtre o elija las que necesite "
    "para descargarlas en un ZIP."
)
NONE_CHOSEN = i18n.N_("Elija al menos una factura para descargarla en un ZIP.")


def _too_many() -> str:
    return i18n._(TOO_MANY).format(limit=f"{MAX_INVOICES:,}".replace(",", "."))


def _list_page(query: str) -> str:
    return routes.INVOICES + (f"?{query}" if query else "")


async def zip_invoices(request: Request) -> Response:
    """``/facturas/zip``: the signed PDFs of the list (GET: all filtered; POST: those chosen).

    Every invoice is read from the signed-in customer's own, as a single
    download is; a number of someone else's chosen in a forged form simply
    matches nothing.
    """
    cookie = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    found = await run_in_threadpool(_customer_of, cookie, request.query_params.get(CUSTOMER_PARAM))
    back = _list_page(request.url.query)
    if found is None:
        return see_other(routes.login(back))
    customer_id, person = found
    numbers: list[str] | None = None
    if request.method == "POST":
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > _MAX_SELECTION_BYTES:
            return see_other(back, Flash(_too_many()))
        form = await request.form(max_files=0, max_fields=MAX_INVOICES + 10)
        numbers = sorted({v[:INVOICE_NUMBER_LENGTH] for v in form.getlist("numero") if v})
        if not numbers:
            return see_other(back, Flash(NONE_CHOSEN))
    filters = parse_filters(dict(request.query_params))
    settings = get_settings()
    today = today_in(settings.timezone)

    def choose_and_note() -> list:
        with unit_of_work() as session:
            chosen = choose(
                session=session,
                customer_id=customer_id,
                filters=filters,
                today=today,
                numbers=numbers,
            )
            if chosen:
                record_event(
                    session=session,
                    actor=person,
                    action="invoices.zipped",
                    subject=f"{len(chosen)} facturas",
                    ip=client_ip(request.scope, settings.trusted_proxy_hops),
                )
            return chosen

    try:
        chosen = await run_in_threadpool(choose_and_note)
    except TooManyInvoices:
        return see_other(back, Flash(_too_many()))
    if not chosen:
        return see_other(back, Flash(NONE_CHOSEN))
    now = utcnow()

    def pieces():
        with unit_of_work(read_only=True) as session:
            yield from zip_pieces(session=session, chosen=chosen, now=now)

    name = f"facturas-{today.isoformat()}.zip"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', **_HEADERS}
    return StreamingResponse(pieces(), media_type="application/zip", headers=headers)


def _remove(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
