"""Mis pagos: every payment received, filterable by date and invoice, sorted and paged."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.filters import date_range, filter_bar, page_size, url_field
from customer_portal.components.lists import Column, list_results
from customer_portal.components.text import t
from customer_portal.domain.payment_history import PaymentSort
from customer_portal.i18n import N_
from customer_portal.pages.kit import portal_page
from customer_portal.state.payments import PaymentsState as S

COLUMNS = [
    Column(N_("Fecha"), lambda row: row.date, sort=PaymentSort.DATE),
    Column(
        N_("Factura"),
        lambda row: rx.link(row.invoice, href=row.invoice_href),
        sort=PaymentSort.INVOICE,
    ),
    Column(N_("Importe"), lambda row: row.amount, sort=PaymentSort.AMOUNT, numeric=True),
    Column(N_("Referencia"), lambda row: row.reference),
]


def _card(row: rx.Var) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.text(row.date, weight="bold"),
            rx.text.strong(row.amount),
            justify="between",
            width="100%",
        ),
        rx.text(t("Factura "), rx.link(row.invoice, href=row.invoice_href), size="2"),
        rx.text(t("Referencia "), row.reference, size="2"),
        width="100%",
    )


@portal_page(
    route=routes.PAYMENTS,
    title=N_("Mis pagos"),
    on_load=S.open_list,
    nav=N_("Mis pagos"),
    nav_order=20,
)
def payments() -> rx.Component:
    """The page: heading, filters and the payments found."""
    return rx.vstack(
        rx.heading(t("Mis pagos"), as_="h1", size="6"),
        filter_bar(
            S, url_field(S, t("Número de factura"), "factura"), *date_range(S), page_size(S)
        ),
        list_results(
            S,
            rows=S.rows,
            columns=COLUMNS,
            card=_card,
            totals=rx.text(t("Total cobrado: "), rx.text.strong(S.received_total), size="2"),
            card_height="88px",
            nothing_yet=t("Aún no hemos recibido ningún pago de sus facturas."),
        ),
        spacing="4",
        width="100%",
    )
