"""/verificar: what an invoice's verification code shows, to anyone who has it.

Public: no account, and nothing about the customer (issuer, number, date,
total and status only). Each look-up counts against the address's limit
(:func:`customer_portal.domain.verification.admit_lookup`); a wrong code and
an unknown one get the same answer after the same query. The results of an
upload come back from the HTTP route as the page's signed message.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import reflex as rx

from customer_portal import routes
from customer_portal.db import unit_of_work
from customer_portal.domain import formats
from customer_portal.domain.verification import (
    NOT_FOUND,
    VerifiedInvoice,
    admit_lookup,
    find_by_code,
    grouped,
    too_many_lookups,
)
from customer_portal.i18n import _
from customer_portal.models import utcnow
from customer_portal.settings import get_settings
from customer_portal.state.auth import AuthState
from customer_portal.state.connection import connection_ip


def look_up(typed: str, ip: str | None) -> VerifiedInvoice | str:
    """The invoice of ``typed``, or what to say instead (not found, too many checks)."""
    with unit_of_work() as session:
        wait = admit_lookup(session=session, ip=ip, now=utcnow())
        if wait is not None:
            return too_many_lookups(wait)
        return find_by_code(session=session, typed=typed) or _(NOT_FOUND)


class VerifyState(AuthState):
    """The code asked about, and what it showed."""

    typed: str = ""
    found: bool = False
    problem: str = ""
    issuer: str = ""
    number: str = ""
    issued: str = ""
    total: str = ""
    status: str = ""
    code: str = ""
    original_href: str = ""
    # The answer about an uploaded file, brought by the upload's redirect.
    answer: str = ""
    answer_tone: str = ""

    @rx.event
    async def open(self):
        """on_load: look the URL's ``codigo`` up, if it has one."""
        error, notice = self._flash()
        self.answer, self.answer_tone = (error, "red") if error else (notice, "green")
        self.typed = self._query("codigo")[:60]
        self.found, self.problem = False, ""
        if not self.typed:
            return
        result = await asyncio.to_thread(look_up, self.typed, connection_ip(self))
        if isinstance(result, str):
            self.problem = result
            return
        self.found = True
        self.issuer = get_settings().branding.legal_name
        self.number = result.number
        self.issued = formats.short_date(result.issue_date)
        self.total = formats.money(result.total_cents, result.currency)
        self.status = result.status.value
        self.code = grouped(result.code)
        self.original_href = f"{routes.VERIFY_ORIGINAL}?{urlencode({'codigo': self.code})}"
