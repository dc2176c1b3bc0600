"""``GET /api/v1/descargas/<token>``: the stored signed PDF, byte for byte."""

from __future__ import annotations

import logging
from urllib.parse import quote

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from customer_portal import routes
from customer_portal.api.plain_pages import plain_page
from customer_portal.api.redirects import see_other
from customer_portal.db import get_engine, get_engine_that_never_waits, unit_of_work
from customer_portal.documents.integrity import TamperedDocument
from customer_portal.domain.activity import user_agent_detail
from customer_portal.domain.downloads import (
    Download,
    DownloadLink,
    mint_download_path,
    open_download,
    open_download_on_loop,
    read_download_link,
)
from customer_portal.domain.sessions import SESSION_COOKIE, look_up
from customer_portal.driver_sql import WouldWait, driver_transaction
from customer_portal.i18n import N_
from customer_portal.limits import INVOICE_NUMBER_LENGTH, SESSION_TOKEN_MAX_LENGTH
from customer_portal.settings import get_settings

log = logging.getLogger(__name__)

_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _refused() -> str:
    return plain_page(
        N_("Descarga no disponible"),
        N_(
            "El enlace de descarga ha caducado o no corresponde a su sesión. Pulse de nuevo en "
            "descargar desde Mis facturas."
        ),
        back=(N_("Mis facturas"), routes.INVOICES),
    )


# The link was good but the stored PDF is not what was signed. 500, not 503:
# the fault is the server's own data, and it does not go away by retrying
# later (503 invites clients and crawlers to do just that); it needs the
# operator, whom the log line tells.
_TAMPERED_STATUS = 500


def _tampered() -> str:
    return plain_page(
        N_("Factura no disponible"),
        N_(
            "En este momento no podemos entregarte esta factura. Hemos avisado a nuestro equipo "
            "para que lo revise; si la necesitas antes, ponte en contacto con nosotros."
        ),
        back=(N_("Mis facturas"), routes.INVOICES),
        back_sentence=N_("Vuelve a {link}."),
    )


_INLINE_PDF_POLICY = "default-src 'none'; object-src 'self'; frame-ancestors 'none'"


def _not_yours() -> str:
    return plain_page(
        N_("Factura no encontrada"),
        N_("No tiene ninguna factura con ese número."),
        back=(N_("Mis facturas"), routes.INVOICES),
    )


def _open(
    engine: sa.Engine, link: DownloadLink, ip: str | None, detail: dict[str, str] | None
) -> Download | None:
    # One transaction: the checks, the session's sliding expiry and the audit
    # event commit together. Nothing in it is worth an fsync per download.
    with driver_transaction(engine, durable=False) as transaction:
        idle = get_settings().session_idle
        return open_download(transaction=transaction, link=link, idle=idle, ip=ip, detail=detail)


async def _open_soon(link: DownloadLink, ip: str | None, user_agent: str | None) -> Download | None:
    """:func:`_open` without a thread where that is faster and the event loop need not wait.

    PostgreSQL: one statement, awaited on the loop
    (:func:`~customer_portal.domain.downloads.open_download_on_loop`).

    SQLite: the whole transaction takes about 0.1 ms, less than handing it
    to a thread and back: the hand-over, and the threads then taking turns
    for the GIL at every driver call, cost more than the work (downloads
    went from 38 % to over 100 % of a static file's rate;
    ``bench/downloads.py``). The event loop must never wait, though, so it
    uses connections that give up at once when another holds SQLite's write
    lock (a billing run, a sign-in), and the transaction then runs in a
    thread, waiting its turn like any other write. What is left on the loop
    is reading a few pages SQLite finds in the operating system's cache and,
    about once per thousand pages written, the WAL checkpoint a commit runs.
    (The state's handlers still hand their units of work to threads:
    :func:`customer_portal.state.kit.in_session`.)
    """
    detail = user_agent_detail(user_agent)
    engine = get_engine()
    if engine.dialect.driver == "psycopg":  # PostgreSQL, through the driver we ship
        return await open_download_on_loop(
            engine=engine, link=link, idle=get_settings().session_idle, ip=ip, detail=detail
        )
    never_waits = get_engine_that_never_waits()
    if never_waits is not None:
        try:
            return _open(never_waits, link, ip, detail)
        except WouldWait:
            pass
    return await run_in_threadpool(_open, engine, link, ip, detail)


async def download_invoice(request: Request) -> Response:
    """Serve the signed PDF a download link names, as an attachment.

    The link only works in the browser session that asked for it and while
    that session is live (:func:`~customer_portal.domain.downloads.open_download`).
    A refused link gets 403 and a page telling the customer, in Spanish, to
    download again from *Mis facturas*; a PDF that no longer matches its record
    is never served (500, and a log line for the operator).
    """
    link = read_download_link(
        secret_key=get_settings().secret_key,
        token=request.path_params["token"][:500],
        session_token=request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH],
    )
    ip = request.client.host if request.client else None
    user_agent = request.headers.get("user-agent")
    try:
        found = None if link is None else await _open_soon(link, ip, user_agent)
    except TamperedDocument as exc:
        # The number and hash prefixes say which row to restore; the link and the
        # cookie would let a log reader download or act as the customer.
        log.error(
            "refused to serve invoice %r: its stored signed PDF does not match its record (%s)",
            exc.mismatch.number,
            exc.mismatch.describe(),
        )
        return HTMLResponse(_tampered(), status_code=_TAMPERED_STATUS, headers=_SECURITY_HEADERS)
    if found is None:
        return HTMLResponse(_refused(), status_code=403, headers=_SECURITY_HEADERS)
    # ?ver=1 (Ver PDF): the browser shows it in the tab instead of saving it.
    inline = request.query_params.get("ver") == "1"
    disposition = (
        f"{'inline' if inline else 'attachment'}; "
        f"filename=\"{found.filename}\"; filename*=UTF-8''{quote(found.filename)}"
    )
    headers = {**_SECURITY_HEADERS, "Content-Disposition": disposition}
    if inline:
        # The portal's page policy (object-src 'none') would stop the browser's
        # own PDF viewer from showing it: this document runs nothing else.
        headers["Content-Security-Policy"] = _INLINE_PDF_POLICY
    return Response(found.pdf, media_type="application/pdf", headers=headers)


def _mint_for_cookie(number: str, cookie: str) -> tuple[bool, str | None]:
    """Whether ``cookie`` is a live session, and its download path for ``number`` if it owns it."""
    settings = get_settings()
    with unit_of_work(read_only=True) as session:
        live, _ = look_up(session=session, token=cookie)
        if live is None:
            return False, None
        return True, mint_download_path(
            session=session,
            secret_key=settings.secret_key,
            account=live.account,
            number=number,
            session_token=cookie,
        )


async def view_invoice(request: Request) -> Response:
    """``GET /factura/pdf?numero=…`` (Ver PDF): the invoice's PDF in the browser's own tab.

    A plain link the customer opens in a new tab, so no popup blocker stands
    between the press and the PDF. The session cookie comes with it; the route
    mints the same one-minute, session-bound link a download gets and sends
    the tab there, to be shown rather than saved.
    """
    number = request.query_params.get("numero", "")[:INVOICE_NUMBER_LENGTH]
    cookie = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    live, path = await run_in_threadpool(_mint_for_cookie, number, cookie)
    if not live:
        return see_other(routes.login(routes.invoice_detail(number)))
    if path is None:
        return HTMLResponse(_not_yours(), status_code=404, headers=_SECURITY_HEADERS)
    return see_other(f"{path}?ver=1")
