"""Mis facturas: filters, summary, a sortable table (cards on a phone), pages."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.filters import (
    check_group,
    date_range,
    filter_bar,
    page_size,
    url_field,
)
from customer_portal.components.forms import NativeForm, alert, busy_button
from customer_portal.components.lists import TOUCH, Column, list_results
from customer_portal.components.status import status_badge
from customer_portal.components.text import t
from customer_portal.domain.invoice_search import STATUS_FILTERS, InvoiceSort
from customer_portal.i18n import N_
from customer_portal.pages.kit import portal_page
from customer_portal.state.downloads import DownloadState
from customer_portal.state.invoice_list import InvoiceListState as S


def _download(row: rx.Var, *, height: str = "32px") -> rx.Component:
    return busy_button(
        rx.icon("download", size=16, aria_hidden="true"),
        t("PDF"),
        busy=DownloadState.downloading == row.number,
        size="2",
        variant="soft",
        on_click=DownloadState.download(row.number),
        # The visible "PDF" is part of the name, so "PDF" works for voice control too.
        aria_label=t("Descargar PDF de la factura {number}", number=row.number),
        min_height=height,
        min_width=height,
    )


#: The form that posts the ticked invoices for a ZIP (each row's box names it).
ZIP_FORM = "zip-elegidas"


def _choose(row: rx.Var) -> rx.Component:
    """The row's box for Descargar elegidas (ZIP); a native input of the form above the list."""
    return rx.el.input(
        type="checkbox",
        name="numero",
        value=row.number,
        form=ZIP_FORM,
        aria_label=t("Elegir la factura {number}", number=row.number),
        style={"width": "24px", "height": "24px", "cursor": "pointer"},
    )


COLUMNS = [
    Column(N_("Número"), lambda row: rx.link(row.number, href=row.href), sort=InvoiceSort.NUMBER),
    Column(N_("Fecha"), lambda row: row.issue_date, sort=InvoiceSort.DATE),
    Column(N_("Vencimiento"), lambda row: row.due_date, sort=InvoiceSort.DUE),
    Column(N_("Total"), lambda row: row.total, sort=InvoiceSort.TOTAL, numeric=True),
    Column(N_("Pendiente"), lambda row: row.pending, sort=InvoiceSort.PENDING, numeric=True),
    Column(
        N_("Estado"), lambda row: status_badge(row.status, row.overdue), sort=InvoiceSort.STATUS
    ),
    Column(N_("Descargar"), _download),
    # Last: the number stays the first thing read in each row.
    Column(N_("Elegir"), _choose),
]


def _card(row: rx.Var) -> rx.Component:
    # Plain elements laid out by portal.css (.tarjeta-*): fewer components per
    # card is what a phone's CPU feels when a page of them arrives at once.
    return rx.card(
        rx.el.div(
            rx.el.span(_choose(row), rx.link(row.number, href=row.href, weight="bold")),
            status_badge(row.status, row.overdue),
            class_name="tarjeta-fila",
        ),
        rx.el.p(
            t("Fecha "), row.issue_date, t(" · Vence "), row.due_date, class_name="tarjeta-texto"
        ),
        rx.el.div(
            rx.el.span(t("Total "), rx.el.strong(row.total), class_name="tarjeta-texto"),
            rx.el.span(t("Pendiente "), row.pending, class_name="tarjeta-texto"),
            # A phone has the room for a full-size touch target.
            _download(row, height=TOUCH),
            class_name="tarjeta-fila",
        ),
        width="100%",
    )


def _export_link(label: str, href: rx.Var) -> rx.Component:
    """A file of every filtered invoice (not just this page): a plain link, downloaded."""
    return rx.link(
        rx.icon("file-down", size=16, aria_hidden="true"),
        label,
        href=href,
        # A file, not a page of the app: the browser downloads it, without
        # navigating (a second export pressed while the first one's navigation
        # was still settling was dropped by Chromium).
        custom_attrs={"reloadDocument": True, "download": ""},
        size="2",
        underline="always",
        style={
            "display": "inline-flex",
            "align_items": "center",
            "gap": "0.35em",
            "min_height": "44px",
        },
    )


def _list_actions() -> rx.Component:
    return rx.hstack(
        NativeForm.create(
            rx.button(
                rx.icon("archive", size=16, aria_hidden="true"),
                t("Descargar elegidas (ZIP)"),
                type="submit",
                variant="soft",
                size="2",
                min_height="44px",
            ),
            id=ZIP_FORM,
            method="post",
            action=S.zip_href,
        ),
        _export_link(t("Descargar todas (ZIP)"), S.zip_href),
        _export_link(t("Exportar CSV"), S.csv_href),
        _export_link(t("Exportar Excel"), S.xlsx_href),
        spacing="4",
        wrap="wrap",
        align="center",
    )


@portal_page(
    route=routes.INVOICES,
    title=N_("Mis facturas"),
    on_load=S.open_list,
    nav=N_("Mis facturas"),
    nav_order=10,
)
def invoice_list() -> rx.Component:
    """The page: heading, the redirect's notice, filters and results."""
    return rx.vstack(
        rx.heading(t("Mis facturas"), as_="h1", size="6"),
        alert(S.notice, tone="green"),
        alert(S.problem),
        filter_bar(
            S,
            url_field(S, t("Número de factura"), "numero"),
            *date_range(S),
            url_field(
                S, t("Importe mínimo (€)"), "min", input_mode="decimal", placeholder="1.210,50"
            ),
            url_field(
                S, t("Importe máximo (€)"), "max", input_mode="decimal", placeholder="1.210,50"
            ),
            page_size(S),
            below=rx.hstack(
                check_group(
                    S, t("Estado"), "estado", {k: s.value for k, s in STATUS_FILTERS.items()}
                ),
                check_group(S, t("Vencimiento"), "vencidas", {"si": N_("Solo vencidas")}),
                spacing="6",
                wrap="wrap",
            ),
        ),
        list_results(
            S,
            rows=S.rows,
            columns=COLUMNS,
            card=_card,
            totals=rx.text(t("Pendiente total: "), rx.text.strong(S.pending_total), size="2"),
            card_height="144px",
            nothing_yet=(
                t(
                    "Aún no tiene facturas. Le avisaremos por correo electrónico cuando se "
                    "publique la primera."
                )
            ),
        ),
        # Under the list (on a phone the first invoice stays on the first screen):
        # the whole filtered list as a file, or the invoices ticked in one ZIP.
        rx.cond(S.rows.length() > 0, _list_actions()),
        spacing="4",
        width="100%",
    )
