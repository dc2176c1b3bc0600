"""Mis facturas: the list, its filters (kept in the URL) and the download button."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import reflex as rx
from sqlmodel import Session

from customer_portal import routes
from customer_portal.db import get_engine
from customer_portal.domain.downloads import mint_download_path
from customer_portal.domain.invoice_search import (
    InvoiceFilters,
    InvoicePage,
    clean_text,
    filters_to_query,
    parse_filters,
    search_invoices,
    with_page,
)
from customer_portal.models import Account
from customer_portal.settings import get_settings
from customer_portal.state.auth import AuthState


def _search(customer_id: int, filters: InvoiceFilters) -> InvoicePage:
    with Session(get_engine()) as session:
        return search_invoices(session, customer_id=customer_id, filters=filters)


def _mint(account: Account, number: str, session_token: str) -> str | None:
    with Session(get_engine()) as session:
        return mint_download_path(
            session=session,
            secret_key=get_settings().secret_key,
            account=account,
            number=number,
            session_token=session_token,
        )


def _list_url(filters: InvoiceFilters) -> str:
    query = filters_to_query(filters)
    return routes.INVOICES + (f"?{urlencode(query)}" if query else "")


class InvoiceListState(AuthState):
    loaded: bool = False
    rows: list[dict[str, str]] = []
    count: int = 0
    pending_total: str = ""
    page: int = 1
    pages: int = 1
    has_invoices: bool = False
    filtered: bool = False
    # The filters as the URL holds them, for the form's initial values.
    query: dict[str, str] = {}
    form_key: str = ""
    # "Contraseña actualizada...", brought by the redirect after setting a password.
    notice: str = ""

    def _filters(self) -> InvoiceFilters:
        return parse_filters(dict(self.router.url.query_parameters))

    @rx.event
    async def open_list(self):
        account = await self._current_account()
        if account is None:
            self.rows, self.loaded = [], False
            return rx.redirect(routes.login(self._path_and_query()))
        self.notice = self._flash()[1]
        filters = self._filters()
        result = await asyncio.to_thread(_search, account.customer_id, filters)
        self.rows = [{**row, "href": routes.invoice_detail(row["number"])} for row in result.rows]
        self.count, self.pending_total = result.count, result.pending_total
        self.page, self.pages = result.page, result.pages
        self.has_invoices, self.filtered = result.customer_has_invoices, filters.active
        self.query = filters_to_query(filters)
        self.form_key = urlencode(self.query)
        self.loaded = True
        return None

    @rx.event
    def apply_filters(self, form_data: dict):
        if not isinstance(form_data, dict):
            return None
        current = self._filters()
        fields = {k: v for k, v in form_data.items() if isinstance(v, str)}
        # Reflex sends a checkbox as true/false; a plain form post would send "on".
        statuses = [
            key
            for key in ("cobrado", "parcial", "pendiente")
            if form_data.get(f"estado_{key}") in (True, "on", "true")
        ]
        fields["estado"] = ",".join(statuses)
        fields.update(orden=current.sort, dir="desc" if current.descending else "asc")
        return rx.redirect(_list_url(with_page(parse_filters(fields), 1)))

    @rx.event
    def sort_by(self, column: str):
        current = self._filters()
        descending = not current.descending if current.sort == column else column != "numero"
        query = {
            **filters_to_query(current),
            "orden": str(column)[:20],
            "dir": "desc" if descending else "asc",
        }
        return rx.redirect(_list_url(with_page(parse_filters(query), 1)))

    @rx.event
    def go_to_page(self, page: int):
        try:
            target = int(page)
        except (TypeError, ValueError, OverflowError):
            return None
        return rx.redirect(_list_url(with_page(self._filters(), target)))

    @rx.event
    def clear_filters(self):
        return rx.redirect(routes.INVOICES)

    @rx.event
    async def download(self, number: str):
        """Check the session owns ``number`` now, then hand the browser a one-minute link."""
        account = await self._current_account()
        if account is None:
            return rx.redirect(routes.login(self._path_and_query()))
        number = clean_text(number)
        path = None
        if number:
            path = await asyncio.to_thread(_mint, account, number, self._session_token())
        if path is None:
            return rx.toast.error("Factura no encontrada.")
        return rx.download(url=path)
