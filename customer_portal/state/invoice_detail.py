"""One invoice, for its owner only: the state behind Ver factura."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx
from sqlmodel import Session

from customer_portal import routes
from customer_portal.db import get_engine
from customer_portal.domain.invoice_search import clean_text
from customer_portal.domain.invoices import InvoiceView, invoice_for_customer
from customer_portal.state.auth import AuthState


def _load(customer_id: int, number: str) -> InvoiceView | None:
    with Session(get_engine()) as session:
        return invoice_for_customer(session, customer_id=customer_id, number=number)


class InvoiceDetailState(AuthState):
    found: bool = False
    loaded: bool = False
    invoice: dict[str, str] = {}
    lines: list[dict[str, str]] = []
    taxes: list[dict[str, str]] = []
    payments: list[dict[str, str]] = []

    def _clear(self) -> None:
        self.found, self.invoice, self.lines, self.taxes, self.payments = False, {}, [], [], []

    @rx.event
    async def open_invoice(self):
        self._clear()
        self.loaded = False
        account = await self._current_account()
        if account is None:
            return rx.redirect(routes.login(self._path_and_query()))
        number = clean_text(self._query("numero"))
        view = await asyncio.to_thread(_load, account.customer_id, number) if number else None
        self.loaded = True
        if view is None:
            return None
        self.found = True
        fields = dataclasses.asdict(view)
        self.lines = fields.pop("lines")
        self.taxes = fields.pop("taxes")
        self.payments = fields.pop("payments")
        self.invoice = fields
        return None
