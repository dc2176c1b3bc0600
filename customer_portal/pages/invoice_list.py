"""Mis facturas: filters, summary, a sortable table (cards on a phone), pages."""

from __future__ import annotations

import reflex as rx

from customer_portal.components.forms import alert
from customer_portal.components.layout import page
from customer_portal.components.nav import signed_in_bar
from customer_portal.components.status import status_badge
from customer_portal.settings import get_settings
from customer_portal.state.invoice_list import InvoiceListState as S

COLUMNS = [
    ("Número", "numero"),
    ("Fecha", "fecha"),
    ("Vencimiento", "vencimiento"),
    ("Total", "total"),
    ("Pendiente", "pendiente"),
]


def _labelled(label: str, input_id: str, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=input_id, style={"font_size": "0.85em"}),
        rx.input(id=input_id, name=input_id, size="2", width="100%", **props),
        spacing="1",
    )


def _status_box(key: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.el.input(
            type="checkbox",
            name=f"estado_{key}",
            id=f"estado_{key}",
            default_checked=S.query.get("estado", "").contains(key),
        ),
        " " + label,
        style={"margin_right": "1em", "white_space": "nowrap"},
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.grid(
            _labelled("Número de factura", "numero", default_value=S.query.get("numero", "")),
            _labelled("Desde", "desde", type="date", default_value=S.query.get("desde", "")),
            _labelled("Hasta", "hasta", type="date", default_value=S.query.get("hasta", "")),
            _labelled(
                "Importe mínimo (€)",
                "min",
                inputmode="decimal",
                default_value=S.query.get("min", ""),
            ),
            _labelled(
                "Importe máximo (€)",
                "max",
                inputmode="decimal",
                default_value=S.query.get("max", ""),
            ),
            rx.vstack(
                rx.el.label("Por página", html_for="tam", style={"font_size": "0.85em"}),
                rx.el.select(
                    *(rx.el.option(str(n), value=str(n)) for n in (10, 25, 50, 100)),
                    id="tam",
                    name="tam",
                    default_value=S.query.get("tam", "25"),
                ),
                spacing="1",
            ),
            columns=rx.breakpoints(initial="1", sm="3", md="6"),
            spacing="3",
            width="100%",
        ),
        rx.el.fieldset(
            rx.el.legend("Estado", style={"font_size": "0.85em"}),
            _status_box("cobrado", "Cobrado"),
            _status_box("parcial", "Cobrado parcialmente"),
            _status_box("pendiente", "Pendiente"),
            style={"border": "none", "padding": "0.5em 0", "margin": "0"},
        ),
        rx.hstack(
            # Enabled once the page is live: before that the browser would
            # submit the form itself, with names the server does not read.
            rx.button("Buscar", type="submit", disabled=~rx.State.is_hydrated),
            rx.button("Limpiar filtros", type="button", variant="soft", on_click=S.clear_filters),
            spacing="3",
        ),
        on_submit=S.apply_filters,
        # Remount when the URL's filters change: the inputs are uncontrolled, so
        # their default values would otherwise keep the first page's filters.
        key=S.form_key,
        width="100%",
    )


def _sort_header(label: str, column: str) -> rx.Component:
    return rx.table.column_header_cell(
        rx.button(
            label,
            variant="ghost",
            size="1",
            on_click=S.sort_by(column),
            aria_label=f"Ordenar por {label.lower()}",
        ),
    )


def _download(row: rx.Var) -> rx.Component:
    return rx.button(
        rx.icon("download", size=14, aria_hidden="true"),
        "PDF",
        size="1",
        variant="soft",
        on_click=S.download(row["number"]),
        aria_label="Descargar factura " + row["number"],
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *(_sort_header(label, column) for label, column in COLUMNS),
                rx.table.column_header_cell("Estado"),
                rx.table.column_header_cell(
                    rx.el.span("Descargar", style={"position": "absolute", "left": "-9999px"})
                ),
            )
        ),
        rx.table.body(
            rx.foreach(
                S.rows,
                lambda row: rx.table.row(
                    rx.table.cell(rx.link(row["number"], href=row["href"])),
                    rx.table.cell(row["issue_date"]),
                    rx.table.cell(row["due_date"]),
                    rx.table.cell(row["total"], text_align="right"),
                    rx.table.cell(row["pending"], text_align="right"),
                    rx.table.cell(status_badge(row["status"], row["overdue"])),
                    rx.table.cell(_download(row)),
                ),
            )
        ),
        width="100%",
    )


def _cards() -> rx.Component:
    return rx.vstack(
        rx.foreach(
            S.rows,
            lambda row: rx.card(
                rx.hstack(
                    rx.link(row["number"], href=row["href"], weight="bold"),
                    status_badge(row["status"], row["overdue"]),
                    justify="between",
                    width="100%",
                ),
                rx.text("Fecha ", row["issue_date"], " · Vence ", row["due_date"], size="2"),
                rx.hstack(
                    rx.text("Total ", rx.text.strong(row["total"]), size="2"),
                    rx.text("Pendiente ", row["pending"], size="2"),
                    _download(row),
                    justify="between",
                    align="center",
                    width="100%",
                    wrap="wrap",
                ),
                width="100%",
            ),
        ),
        width="100%",
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            "Anterior",
            on_click=S.go_to_page(S.page - 1),
            disabled=S.page <= 1,
            variant="soft",
            size="2",
        ),
        rx.text("Página ", S.page, " de ", S.pages, size="2"),
        rx.button(
            "Siguiente",
            on_click=S.go_to_page(S.page + 1),
            disabled=S.page >= S.pages,
            variant="soft",
            size="2",
        ),
        align="center",
        spacing="3",
    )


def _results() -> rx.Component:
    return rx.cond(
        S.count > 0,
        rx.vstack(
            rx.text(
                rx.text.strong(S.count),
                " facturas · Pendiente total: ",
                rx.text.strong(S.pending_total),
                role="status",
            ),
            rx.tablet_and_desktop(_table(), width="100%"),
            rx.mobile_only(_cards(), width="100%"),
            _pager(),
            spacing="3",
            width="100%",
        ),
        rx.cond(
            S.has_invoices,
            rx.callout(
                rx.hstack(
                    rx.text("Ningún resultado con estos filtros."),
                    rx.button("Limpiar filtros", size="1", on_click=S.clear_filters),
                    align="center",
                    wrap="wrap",
                ),
                icon="search",
                role="status",
            ),
            rx.callout(
                "Aún no tienes facturas. Te avisaremos por correo electrónico cuando se "
                "publique la primera.",
                icon="info",
                role="status",
            ),
        ),
    )


def invoice_list() -> rx.Component:
    return page(
        get_settings().branding,
        rx.vstack(
            rx.heading("Mis facturas", as_="h1", size="6"),
            alert(S.notice, tone="green"),
            _filters(),
            rx.cond(S.loaded, _results(), rx.spinner()),
            spacing="4",
            width="100%",
        ),
        nav=signed_in_bar(S.customer_name),
    )
