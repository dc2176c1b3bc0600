"""Ver factura: data, lines, taxes, totals, payments and signature of one invoice."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.layout import page
from customer_portal.components.nav import signed_in_bar
from customer_portal.components.status import status_badge
from customer_portal.settings import get_settings
from customer_portal.state.invoice_detail import InvoiceDetailState as S
from customer_portal.state.invoice_list import InvoiceListState


def _table(headers: list[str], rows: rx.Var, keys: list[str]) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*(rx.table.column_header_cell(h) for h in headers))),
            rx.table.body(
                rx.foreach(rows, lambda row: rx.table.row(*(rx.table.cell(row[k]) for k in keys)))
            ),
            width="100%",
            size="1",
        ),
        overflow_x="auto",
        width="100%",
    )


def _fact(label: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color="var(--gray-11)"),
        rx.text(value, size="3", weight="medium"),
        spacing="0",
    )


def _found() -> rx.Component:
    inv = S.invoice
    return rx.vstack(
        rx.hstack(
            rx.heading("Factura ", inv["number"], as_="h1", size="6"),
            status_badge(inv["status"]),
            rx.button(
                rx.icon("download", size=16, aria_hidden="true"),
                "Descargar PDF",
                on_click=InvoiceListState.download(inv["number"]),
            ),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rx.grid(
            _fact("Fecha", inv["issue_date"]),
            _fact("Vencimiento", inv["due_date"]),
            _fact("Total", inv["total"]),
            _fact("Cobrado", inv["paid"]),
            _fact("Pendiente", inv["pending"]),
            columns=rx.breakpoints(initial="2", sm="5"),
            spacing="4",
            width="100%",
        ),
        rx.heading("Conceptos", as_="h2", size="4"),
        _table(
            ["Descripción", "Cantidad", "Precio unitario", "Impuesto", "Importe"],
            S.lines,
            ["description", "quantity", "unit_price", "tax", "amount"],
        ),
        rx.heading("Impuestos", as_="h2", size="4"),
        _table(["Impuesto", "Base imponible", "Cuota"], S.taxes, ["tax", "base", "amount"]),
        rx.text(
            "Base imponible: ",
            inv["subtotal"],
            " · Impuestos: ",
            inv["tax"],
            " · Total: ",
            rx.text.strong(inv["total"]),
        ),
        rx.heading("Cobros recibidos", as_="h2", size="4"),
        rx.cond(
            S.payments.length() > 0,
            _table(["Fecha", "Importe", "Referencia"], S.payments, ["date", "amount", "reference"]),
            rx.text("Todavía no hay cobros de esta factura.", size="2"),
        ),
        rx.callout(
            rx.text(
                "Factura firmada digitalmente por ", inv["signed_by"], " el ", inv["signed_at"], "."
            ),
            icon="shield-check",
            color_scheme="green",
            size="1",
        ),
        spacing="4",
        width="100%",
    )


def invoice_detail() -> rx.Component:
    return page(
        get_settings().branding,
        rx.cond(
            S.found,
            _found(),
            rx.cond(
                S.loaded,
                rx.vstack(
                    rx.heading("Factura no encontrada", as_="h1", size="6"),
                    rx.text("No tienes ninguna factura con ese número."),
                    rx.link("Volver a Mis facturas", href=routes.INVOICES),
                ),
                rx.spinner(),
            ),
        ),
        nav=signed_in_bar(S.customer_name),
    )
