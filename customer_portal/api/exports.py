"""``GET /facturas/exportar?formato=csv|xlsx&…``: Mis facturas, filtered, as a file.

A plain link from Mis facturas carrying the list's own query, so the file
holds exactly the invoices the customer filtered, in the list's order, all
of them (not just the page). The session cookie says whose invoices: every
row is read from that customer's, on the server, as the list itself does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse

from customer_portal import routes
from customer_portal.api.redirects import see_other
from customer_portal.db import unit_of_work
from customer_portal.domain.exports import csv_pieces, write_xlsx
from customer_portal.domain.invoice_search import all_invoice_rows, parse_filters
from customer_portal.domain.sessions import SESSION_COOKIE, look_up
from customer_portal.domain.status import today_in
from customer_portal.limits import SESSION_TOKEN_MAX_LENGTH
from customer_portal.settings import get_settings

_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_CSV = "text/csv; charset=utf-8"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _customer_of(cookie: str) -> int | None:
    with unit_of_work(read_only=True) as session:
        live, _ = look_up(session=session, token=cookie)
    return live.account.customer_id if live is not None else None


def _filename(extension: str, today: date) -> str:
    return f"facturas-{today.isoformat()}.{extension}"


async def export_invoices(request: Request) -> Response:
    """The customer's filtered invoices as CSV (streamed) or XLSX."""
    cookie = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    customer_id = await run_in_threadpool(_customer_of, cookie)
    query = dict(request.query_params)
    if customer_id is None:
        back = routes.INVOICES + (f"?{request.url.query}" if request.url.query else "")
        return see_other(routes.login(back))
    kind = query.pop("formato", "csv")
    if kind not in ("csv", "xlsx"):
        return PlainTextResponse("Formato no válido: csv o xlsx.", status_code=400)
    filters = parse_filters(query)
    today = today_in(get_settings().timezone)

    def rows():
        with unit_of_work(read_only=True) as session:
            yield from all_invoice_rows(
                session=session, customer_id=customer_id, filters=filters, today=today
            )

    name = _filename(kind, today)
    disposition = {"Content-Disposition": f'attachment; filename="{name}"', **_HEADERS}
    if kind == "csv":
        pieces: Iterator[bytes] = csv_pieces(rows())
        return StreamingResponse(pieces, media_type=_CSV, headers=disposition)
    folder = Path(tempfile.mkdtemp(prefix="portal-export-"))
    path = folder / name
    await run_in_threadpool(write_xlsx, rows(), path)
    return FileResponse(
        path,
        media_type=_XLSX,
        headers=disposition,
        background=BackgroundTask(_remove, folder),
    )


def _remove(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
