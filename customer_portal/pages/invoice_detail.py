"""Ver factura: data, lines, taxes, totals, payments and signature of one invoice."""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.lists import plain_table
from customer_portal.components.status import status_badge
from customer_portal.pages.kit import portal_page
from customer_portal.state.downloads import DownloadState
from customer_portal.state.invoice_detail import InvoiceDetailState as S


def fact(label: str, value: rx.Var) -> rx.Component:
    """A labelled figure: the label small above, the value below."""
    return rx.vstack(
        rx.text(label, size="1", color="var(--gray-11)"),
        rx.text(value, size="3", weight="medium"),
        spacing="0",
    )


def _found() -> rx.Component:
    inv = S.invoice
    return rx.vstack(
        rx.hstack(
            rx.heading("Factura ", inv.number, as_="h1", size="6"),
            status_badge(inv.status, inv.overdue),
            rx.button(
                rx.icon("download", size=16, aria_hidden="true"),
                "Descargar PDF",
                on_click=DownloadState.download(inv.number),
            ),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rx.grid(
            fact("Fecha", inv.issue_date),
            fact("Vencimiento", inv.due_date),
            fact("Total", inv.total),
            fact("Cobrado", inv.paid),
            fact("Pendiente", inv.pending),
            columns=rx.breakpoints(initial="2", sm="5"),
            spacing="4",
            width="100%",
        ),
        rx.heading("Conceptos", as_="h2", size="4"),
        plain_table(
            ["Descripción", "Cantidad", "Precio unitario", "Impuesto", "Importe"],
            S.lines,
            [
                lambda ln: ln.description,
                lambda ln: ln.quantity,
                lambda ln: ln.unit_price,
                lambda ln: ln.tax,
                lambda ln: ln.amount,
            ],
            label="Conceptos",
        ),
        rx.heading("Impuestos", as_="h2", size="4"),
        plain_table(
            ["Impuesto", "Base imponible", "Cuota"],
            S.taxes,
            [lambda t: t.tax, lambda t: t.base, lambda t: t.amount],
            label="Impuestos",
        ),
        rx.text(
            "Base imponible: ",
            inv.subtotal,
            " · Impuestos: ",
            inv.tax,
            " · Total: ",
            rx.text.strong(inv.total),
        ),
        rx.heading("Cobros recibidos", as_="h2", size="4"),
        rx.cond(
            S.payments.length() > 0,
            plain_table(
                ["Fecha", "Importe", "Referencia"],
                S.payments,
                [lambda p: p.date, lambda p: p.amount, lambda p: p.reference],
                label="Cobros recibidos",
            ),
            rx.text("Todavía no hay cobros de esta factura.", size="2"),
        ),
        rx.callout(
            rx.text("Factura firmada digitalmente por ", inv.signed_by, " el ", inv.signed_at, "."),
            icon="shield-check",
            color_scheme="green",
            size="1",
            high_contrast=True,
        ),
        spacing="4",
        width="100%",
    )


@portal_page(route=routes.INVOICE_DETAIL, title="Factura", on_load=S.open_invoice)
def invoice_detail() -> rx.Component:
    """The invoice, "Factura no encontrada", or a spinner while it loads."""
    return rx.cond(
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
    )
