"""A list page's results: a sortable table (cards on a phone), its summary, pager and empty states.

Everything here reads a state that mixes in
:class:`customer_portal.state.kit.ListPageState` (``count``, ``page``,
``pages``, ``sort``, ``descending``, ``has_any`` and the handlers), so a new
list page declares its columns and gets the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

Cell = Callable[[Any], rx.Component | rx.Var | str]


@dataclass(frozen=True)
class Column:
    """One column of a :func:`data_table`.

    Attributes:
        label: The header, in Spanish.
        cell: Builds the cell from the row var (``lambda row: row.total``).
        sort: The URL sort key, if the column sorts (e.g. ``InvoiceSort.TOTAL``).
        numeric: Right-aligned, for amounts.
    """

    label: str
    cell: Cell
    sort: str | None = None
    numeric: bool = False


def _sort_header(state: Any, column: Column, key: str) -> rx.Component:
    active = state.sort == key
    return rx.table.column_header_cell(
        rx.button(
            column.label,
            rx.cond(
                active,
                rx.icon(
                    rx.cond(state.descending, "arrow-down", "arrow-up"),
                    size=14,
                    aria_hidden="true",
                ),
            ),
            variant="ghost",
            size="1",
            on_click=state.sort_by(key),
            aria_label=f"Ordenar por {column.label.lower()}",
        ),
        aria_sort=rx.cond(active, rx.cond(state.descending, "descending", "ascending"), "none"),
        text_align="right" if column.numeric else "left",
    )


def _header(state: Any, column: Column) -> rx.Component:
    if column.sort is not None:
        return _sort_header(state, column, column.sort)
    return rx.table.column_header_cell(column.label)


def data_table(state: Any, rows: rx.Var, columns: list[Column]) -> rx.Component:
    """The rows of ``state`` as a table whose sortable headers sort the list."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*(_header(state, column) for column in columns))),
            rx.table.body(
                rx.foreach(
                    rows,
                    lambda row: rx.table.row(
                        *(
                            rx.table.cell(
                                column.cell(row), text_align="right" if column.numeric else "left"
                            )
                            for column in columns
                        )
                    ),
                )
            ),
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


_CELL = {"padding": "0.5em 0.75em", "text_align": "left", "vertical_align": "top"}


def plain_table(headers: list[str], rows: rx.Var, cells: list[Cell], *, label: str) -> rx.Component:
    """A small read-only table (no sorting), scrolling sideways on a narrow screen.

    A plain ``<table>`` in a box that scrolls and can be focused, so a
    keyboard user can scroll it too (Radix's table scrolls inside an area
    that cannot take focus).

    Args:
        headers: The column headings.
        rows: The list var of typed rows.
        cells: One function per column, from the row var to its cell.
        label: What the table is, for screen readers ("Conceptos").
    """
    head = rx.el.tr(
        *(
            rx.el.th(h, scope="col", style={**_CELL, "border_bottom": "1px solid var(--gray-6)"})
            for h in headers
        )
    )
    return rx.box(
        rx.el.table(
            rx.el.thead(head),
            rx.el.tbody(
                rx.foreach(
                    rows,
                    lambda row: rx.el.tr(
                        *(
                            rx.el.td(
                                c(row), style={**_CELL, "border_bottom": "1px solid var(--gray-4)"}
                            )
                            for c in cells
                        )
                    ),
                )
            ),
            style={"border_collapse": "collapse", "width": "100%", "font_size": "0.9em"},
        ),
        overflow_x="auto",
        width="100%",
        tab_index=0,
        role="region",
        aria_label=label,
    )


def pager(state: Any) -> rx.Component:
    """Anterior · Página n de m · Siguiente."""
    return rx.hstack(
        rx.button(
            "Anterior",
            on_click=state.go_to_page(state.page - 1),
            disabled=state.page <= 1,
            variant="soft",
            size="2",
        ),
        rx.text("Página ", state.page, " de ", state.pages, size="2"),
        rx.button(
            "Siguiente",
            on_click=state.go_to_page(state.page + 1),
            disabled=state.page >= state.pages,
            variant="soft",
            size="2",
        ),
        align="center",
        spacing="3",
    )


def list_results(
    state: Any,
    *,
    rows: rx.Var,
    columns: list[Column],
    card: Callable[[Any], rx.Component],
    summary: rx.Component,
    nothing_yet: str,
) -> rx.Component:
    """What a list page shows under its filters, once loaded.

    Args:
        state: The page's state (a ListPageState).
        rows: Its list var of typed rows.
        columns: The table's columns (tablet and desktop).
        card: One row as a card (phone).
        summary: The line above the table ("12 facturas · ..."), announced.
        nothing_yet: What to say when the customer has no rows at all.
    """
    return rx.cond(
        state.loaded,
        rx.cond(
            state.count > 0,
            rx.vstack(
                rx.text(summary, role="status"),
                rx.tablet_and_desktop(data_table(state, rows, columns), width="100%"),
                rx.mobile_only(rx.vstack(rx.foreach(rows, card), width="100%"), width="100%"),
                pager(state),
                spacing="3",
                width="100%",
            ),
            rx.cond(
                state.has_any,
                rx.callout(
                    rx.hstack(
                        rx.text("Ningún resultado con estos filtros."),
                        rx.button("Limpiar filtros", size="1", on_click=state.clear_filters),
                        align="center",
                        wrap="wrap",
                    ),
                    icon="search",
                    role="status",
                ),
                rx.callout(nothing_yet, icon="info", role="status"),
            ),
        ),
        rx.spinner(),
    )
