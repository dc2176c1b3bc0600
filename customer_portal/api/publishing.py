"""The billing system's API: ``POST /api/v1/invoices`` and ``POST /api/v1/payments``.

Both take JSON (a list, or ``{"invoices": [...]}`` / ``{"payments": [...]}``)
with ``Authorization: Bearer <PORTAL_API_KEY>`` and answer with one result
per item and a summary. The status code is 200 when nothing was rejected;
otherwise that of the most serious rejection: 500 (could not sign or
store), 422 (invalid), 404 (payment for an unknown invoice), 409 (a number
or reference already used with other content). Items that were accepted stay
accepted either way: read ``results``.

A request that cannot be read as a batch changes nothing and gets one error:
400 (not UTF-8, malformed JSON or CSV, JSON nested too deep, a number too
long or out of range, NaN/Infinity), 413 (more bytes than
``PORTAL_MAX_REQUEST_BYTES``, or more items than ``PORTAL_MAX_BATCH_ITEMS``).
"""

from __future__ import annotations

import functools
import hmac
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from customer_portal.db import get_engine
from customer_portal.domain import payments
from customer_portal.domain.batches import parse_invoice_csv, parse_json_batch
from customer_portal.domain.publishing import Publisher
from customer_portal.domain.results import (
    CONFLICT,
    FAILED,
    INVALID,
    NOT_FOUND,
    BatchSummary,
)
from customer_portal.domain.validation import InputRejected
from customer_portal.settings import get_settings

log = logging.getLogger(__name__)

_STATUS_BY_REASON = {FAILED: 500, INVALID: 422, NOT_FOUND: 404, CONFLICT: 409}
_SEVERITY = [FAILED, INVALID, NOT_FOUND, CONFLICT]


class _TooLarge(Exception):
    pass


#: Seconds a request waits out a database restart before it answers 503 (Retry-After):
#: longer than a restart takes, shorter than the client's and nginx's timeouts.
API_OUTAGE_PATIENCE = 10.0


@functools.cache
def get_publisher() -> Publisher:
    """One publisher per process: the signing key is loaded once."""
    from customer_portal.documents.signing import get_signer
    from customer_portal.mail.hooks import publication_hooks

    return Publisher(
        engine=get_engine(),
        signer=get_signer(),
        branding=get_settings().branding,
        after_store=publication_hooks(settings=get_settings()),
        outage_patience=API_OUTAGE_PATIENCE,
    )


def _authorized(request: Request) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), get_settings().api_key.encode())


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "").lstrip("0")
    # isascii: str.isdigit() is also true for "²" (int() refuses it) and "١٢".
    # Comparing lengths first keeps int() off a header of thousands of digits.
    if declared.isascii() and declared.isdigit():
        if len(declared) > len(str(limit)) or int(declared) > limit:
            raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _client(request: Request) -> str:
    return f"api:{request.client.host if request.client else 'unknown'}"


def _response(summary: BatchSummary) -> JSONResponse:
    reasons = {r.reason for r in summary.results if r.reason}
    status = next((_STATUS_BY_REASON[r] for r in _SEVERITY if r in reasons), 200)
    return JSONResponse(
        {
            "summary": dict(summary.counts()),
            "results": [r.as_dict() for r in summary.results],
        },
        status_code=status,
    )


async def _batch(request: Request, key: str):
    """Authenticate, read and parse a batch; a Response when that fails."""
    if not _authorized(request):
        return _error(401, "missing or wrong API key", **{"WWW-Authenticate": "Bearer"})
    settings = get_settings()
    try:
        body = await _read_body(request, settings.max_request_bytes)
    except _TooLarge:
        return _error(413, f"the request is larger than {settings.max_request_bytes} bytes")
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    try:
        if key == "invoices" and content_type == "text/csv":
            items = parse_invoice_csv(body.decode("utf-8-sig"))
        else:
            items = parse_json_batch(body, key)
    except InputRejected as exc:
        return _error(400, str(exc))
    except UnicodeDecodeError:
        return _error(400, "the body is not UTF-8 text")
    # Counted after parsing, so a CSV counts invoices rather than lines, and
    # before anything is rendered, signed or stored.
    if len(items) > settings.max_batch_items:
        return _error(
            413,
            f"the request carries {len(items)} {key}; at most {settings.max_batch_items} "
            "are accepted per request (PORTAL_MAX_BATCH_ITEMS)",
        )
    return items


async def publish_invoices(request: Request) -> JSONResponse:
    """``POST /api/v1/invoices``: render, sign and store a batch of invoices.

    Takes JSON or, with ``Content-Type: text/csv``, one CSV row per invoice
    line. Answers as the module docstring describes.
    """
    items = await _batch(request, "invoices")
    if isinstance(items, JSONResponse):
        return items
    actor = _client(request)
    # In the thread pool: the first call loads the signing key, which must
    # not stall the event loop that serves every customer's page.
    summary = await run_in_threadpool(lambda: get_publisher().publish_many(items, actor=actor))
    return _response(summary)


async def record_payments(request: Request) -> JSONResponse:
    """``POST /api/v1/payments``: record a batch of payments against published invoices."""
    items = await _batch(request, "payments")
    if isinstance(items, JSONResponse):
        return items
    summary = await run_in_threadpool(
        functools.partial(
            payments.record_payments, engine=get_engine(), raws=items, actor=_client(request)
        )
    )
    return _response(summary)


async def health(_request: Request) -> JSONResponse:
    """``GET /api/v1/health``: answers 200 while the process serves requests, for monitoring.

    Checks nothing else (no database, no signing key), and needs no API key.
    """
    return JSONResponse({"status": "ok"})
