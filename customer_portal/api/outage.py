"""An HTTP request that found the database unreachable: a 503 in Spanish, never a traceback.

A PostgreSQL restart or outage fails the request before it changed anything
(:func:`customer_portal.db.is_unreachable`). The billing system's API gets a
JSON 503 with ``Retry-After``, which its client retries; a customer gets a
page that says so and, for a link they opened (a download, an account link),
opens it again by itself a few seconds later. A form they posted is not
re-posted for them: the page asks them to send it again.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from customer_portal import routes
from customer_portal.api.plain_pages import plain_page
from customer_portal.db import is_unreachable
from customer_portal.i18n import N_

log = logging.getLogger(__name__)

#: Seconds after which a client (or the page itself) should try again.
RETRY_AFTER = 5

TITLE = N_("Problema temporal con el servidor")

RETRYING_TEXT = N_("El portal no puede atenderle en este momento. Reintentando en unos segundos…")
RESEND_TEXT = N_(
    "El portal no ha podido atender su petición en este momento y no ha guardado nada. "
    "Vuelva atrás y envíe de nuevo el formulario en unos momentos."
)


async def database_unreachable(request: Request, exc: Exception) -> Response:
    """The API's handler of database errors: a 503 for an outage; anything else goes on up."""
    if not is_unreachable(exc):
        raise exc  # a bug or bad data: Starlette's 500 and a traceback in the log
    log.warning("%s %s: the database is unreachable", request.method, request.url.path)
    headers = {"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"}
    if request.url.path.startswith("/api/v1/") and not request.url.path.startswith(
        "/api/v1/descargas/"
    ):
        body = {"error": "database_unavailable", "detail": "try again later"}
        return JSONResponse(body, status_code=503, headers=headers)
    again = request.method in ("GET", "HEAD")
    page = plain_page(
        TITLE,
        RETRYING_TEXT if again else RESEND_TEXT,
        back=(N_("Mis facturas"), routes.INVOICES),
        refresh_seconds=RETRY_AFTER if again else None,
    )
    return HTMLResponse(page, status_code=503, headers=headers)
