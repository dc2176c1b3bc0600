"""Extracto de cuenta: opening balance, invoices and payments with the running balance, closing.

The period is asked with a plain GET form (it works before the scripts
load, and the period is in the address to bookmark); the signed PDF is a
link to its route (:mod:`customer_portal.api.statements`).
"""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import NativeForm, alert, field
from customer_portal.components.text import t
from customer_portal.i18n import N_
from customer_portal.pages.kit import portal_page
from customer_portal.state.statement import StatementState as S

_MONEY = {"text_align": "right", "white_space": "nowrap"}


def _period_form() -> rx.Component:
    return NativeForm.create(
        rx.hstack(
            field(t("Desde"), "desde", placeholder="dd/mm/aaaa", input_mode="numeric", size="2"),
            field(t("Hasta"), "hasta", placeholder="dd/mm/aaaa", input_mode="numeric", size="2"),
            rx.button(t("Ver extracto"), type="submit", size="2", min_height="44px"),
            align="end",
            spacing="3",
            wrap="wrap",
        ),
        method="get",
        action=routes.STATEMENT,
    )


def _statement(statement: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.heading(t("En "), statement.currency, as_="h2", size="4"),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(t("Fecha")),
                        rx.table.column_header_cell(t("Concepto")),
                        rx.table.column_header_cell(t("Cargo"), style=_MONEY),
                        rx.table.column_header_cell(t("Abono"), style=_MONEY),
                        rx.table.column_header_cell(t("Saldo"), style=_MONEY),
                    )
                ),
                rx.table.body(
                    rx.table.row(
                        rx.table.cell(""),
                        rx.table.cell(rx.text.strong(t("Saldo inicial"))),
                        rx.table.cell(""),
                        rx.table.cell(""),
                        rx.table.cell(rx.text.strong(statement.opening), style=_MONEY),
                    ),
                    rx.foreach(
                        statement.movements,
                        lambda m: rx.table.row(
                            rx.table.cell(m.date, style={"white_space": "nowrap"}),
                            rx.table.cell(
                                rx.link(m.concept, href=m.invoice_href, underline="always")
                            ),
                            rx.table.cell(m.charge, style=_MONEY),
                            rx.table.cell(m.credit, style=_MONEY),
                            rx.table.cell(m.balance, style=_MONEY),
                        ),
                    ),
                    rx.table.row(
                        rx.table.cell(""),
                        rx.table.cell(rx.text.strong(t("Saldo final"))),
                        rx.table.cell(statement.charged, style=_MONEY),
                        rx.table.cell(statement.credited, style=_MONEY),
                        rx.table.cell(rx.text.strong(statement.closing), style=_MONEY),
                    ),
                ),
                variant="surface",
                width="100%",
            ),
            # A keyboard can scroll a table wider than a phone.
            role="region",
            aria_label=t("Movimientos en {currency}", currency=statement.currency),
            tab_index=0,
            overflow_x="auto",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


@portal_page(
    route=routes.STATEMENT,
    title=N_("Extracto de cuenta"),
    on_load=S.open_statement,
    nav=N_("Extracto"),
    nav_order=30,
)
def statement() -> rx.Component:
    """The page: period, the statement per currency, the signed PDF."""
    return rx.vstack(
        rx.heading(t("Extracto de cuenta"), as_="h1", size="6"),
        _period_form(),
        alert(S.problem),
        rx.text(S.period_text, id="periodo", weight="bold"),
        rx.cond(
            S.loaded & (S.statements.length() == 0),
            rx.text(t("No hay facturas ni cobros en este periodo.")),
        ),
        rx.foreach(S.statements, _statement),
        rx.cond(
            S.loaded,
            rx.link(
                rx.icon("file-down", size=16, aria_hidden="true"),
                t("Descargar extracto firmado (PDF)"),
                href=S.pdf_href,
                custom_attrs={"reloadDocument": True},
                underline="always",
                style={"display": "inline-flex", "align_items": "center", "gap": "0.35em"},
            ),
        ),
        spacing="4",
        width="100%",
    )
