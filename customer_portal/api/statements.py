"""``GET /extracto/pdf?desde=…&hasta=…``: the customer's Extracto de cuenta as a signed PDF."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from customer_portal import routes
from customer_portal.api.redirects import see_other
from customer_portal.db import unit_of_work
from customer_portal.documents.signing import get_signer
from customer_portal.documents.statement import render_statement_pdf
from customer_portal.domain import formats
from customer_portal.domain.people import CUSTOMER_PARAM
from customer_portal.domain.sessions import SESSION_COOKIE
from customer_portal.domain.statements import account_statement, period
from customer_portal.domain.status import today_in
from customer_portal.domain.viewer import find_viewer
from customer_portal.limits import SESSION_TOKEN_MAX_LENGTH
from customer_portal.models import Customer
from customer_portal.settings import get_settings


def _signed_statement(cookie: str, query: dict[str, str]) -> tuple[bool, bytes, str]:
    """Whether the cookie is a live session; the signed PDF and its file name if so."""
    settings = get_settings()
    today = today_in(settings.timezone)
    date_from, date_to, _ = period(query, today)
    viewer = find_viewer(cookie, query.get(CUSTOMER_PARAM))
    if viewer is None:
        return False, b"", ""
    with unit_of_work(read_only=True) as session:
        customer = session.get(Customer, viewer.customer.id) if viewer.customer else None
        if customer is None:
            return False, b"", ""
        statements = account_statement(
            session=session, customer_id=customer.id, date_from=date_from, date_to=date_to
        )
        pdf = render_statement_pdf(
            statements,
            customer_name=customer.name,
            customer_tax_id=customer.tax_id,
            customer_code=customer.code,
            made_on=formats.short_date(today),
            branding=settings.branding,
        )
    name = f"Extracto-{date_from.isoformat()}-{date_to.isoformat()}.pdf"
    return True, get_signer().sign(pdf).pdf, name


async def statement_pdf(request: Request) -> Response:
    """The signed PDF of the period the page shows; Entrar first for anyone not signed in."""
    cookie = request.cookies.get(SESSION_COOKIE, "")[:SESSION_TOKEN_MAX_LENGTH]
    query = dict(request.query_params)
    live, pdf, name = await run_in_threadpool(_signed_statement, cookie, query)
    if not live:
        back = routes.STATEMENT + (f"?{request.url.query}" if request.url.query else "")
        return see_other(routes.login(back))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
