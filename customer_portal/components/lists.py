"""A list page's results: a sortable table (cards on a phone), its summary, pager and empty states.

Everything here reads a state that mixes in
:class:`customer_portal.state.kit.ListPageState` (``count``, ``page``,
``pages``, ``sort``, ``descending``, ``has_any`` and the handlers), so a new
list page declares its columns and gets the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex_base.components.component import field
from reflex_base.utils.imports import ImportVar
from reflex_base.vars.base import Var, VarData
from reflex_components_core.base.fragment import Fragment

from customer_portal.components.forms import list_control
from customer_portal.components.text import t
from customer_portal.components.viewport import by_width
from customer_portal.state.kit import SUMMARY_ID

#: The smallest comfortable touch target (WCAG 2.5.5), where it fits.
TOUCH = "44px"
#: Rows drawn while a list loads, so what follows does not jump when it arrives.
_PLACEHOLDER_ROWS = 6

Cell = Callable[[Any], rx.Component | rx.Var | str]


@dataclass(frozen=True)
class Column:
    """One column of a :func:`data_table`.

    Attributes:
        label: The header (a msgid: shown in the page's language).
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
        list_control(
            t(column.label),
            rx.cond(
                active,
                # Two icons, not one named by a var: that would bundle all of lucide's.
                rx.cond(
                    state.descending,
                    rx.icon("arrow-down", size=14, aria_hidden="true"),
                    rx.icon("arrow-up", size=14, aria_hidden="true"),
                ),
            ),
            variant="ghost",
            size="2",
            on_click=state.sort_by(key),
            aria_label=t("Ordenar por {column}", column=t(column.label).lower()),
            min_height=TOUCH,
        ),
        aria_sort=rx.cond(active, rx.cond(state.descending, "descending", "ascending"), "none"),
        text_align="right" if column.numeric else "left",
        vertical_align="middle",
    )


def _header(state: Any, column: Column) -> rx.Component:
    if column.sort is not None:
        return _sort_header(state, column, column.sort)
    return rx.table.column_header_cell(t(column.label), vertical_align="middle")


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


def plain_table(
    headers: list[str], rows: rx.Var, cells: list[Cell], *, label: str | rx.Var
) -> rx.Component:
    """A small read-only table (no sorting), scrolling sideways on a narrow screen.

    A plain ``<table>`` in a box that scrolls and can be focused, so a
    keyboard user can scroll it too (Radix's table scrolls inside an area
    that cannot take focus).

    Args:
        headers: The column headings (msgids: shown in the page's language).
        rows: The list var of typed rows.
        cells: One function per column, from the row var to its cell.
        label: What the table is, for screen readers ("Conceptos").
    """
    head = rx.el.tr(
        *(
            rx.el.th(t(h), scope="col", style={**_CELL, "border_bottom": "1px solid var(--gray-6)"})
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
        list_control(
            t("Anterior"),
            on_click=state.go_to_page(state.page - 1),
            disabled=state.page <= 1,
            variant="soft",
            size="3",
            min_height=TOUCH,
        ),
        rx.text(t("Página {page} de {pages}", page=state.page, pages=state.pages), size="2"),
        list_control(
            t("Siguiente"),
            on_click=state.go_to_page(state.page + 1),
            disabled=state.page >= state.pages,
            variant="soft",
            size="3",
            min_height=TOUCH,
        ),
        align="center",
        spacing="3",
    )


class AfterListChange(Fragment):
    """What the browser does when the list changes on the page, as effects in the built page.

    Whenever ``seq`` grows (a sort, a page, a filter; not when the URL is
    opened, reloaded or reached by Back), once React has drawn the new list:

    - the list's URL (``address``) goes into the address bar with
      ``history.pushState``, so Back returns to the list before, and reload
      and bookmarks keep this one. React Router does not see that push: its
      Back (popstate) reaches Reflex as a navigation, whose on_load loads
      the URL's list; Reflex reads the live query of ``window.location`` for
      every event's router data;
    - the summary is announced and focus moves to it, or back to the filter
      control that applied itself (``window.portalAnnounce``, the page
      frame's polite live region; focus alone if the page lacks it).

    Whenever ``answers`` grows, the control that was pressed is idle again
    (``window.portalListAnswered``, ``assets/portal.js``).

    Effects compiled into the page, not ``rx.call_script``: that runs its
    script with ``eval``, which the portal's Content-Security-Policy forbids.
    The first ``seq`` seen once the page is hydrated is only remembered: a
    reload brings back the state's old ``seq`` and must neither announce nor
    push. A change made while Back's list loads (not hydrated) is acted on
    once it is.
    """

    seq: Var[int] = field(doc="Grows each time the list changes on the page.")
    text: Var[str] = field(doc="What to announce.")
    focus: Var[str] = field(doc="The id of the element to focus.")
    address: Var[str] = field(doc="The list's URL, path and query.")
    answers: Var[int] = field(doc="Grows with every answer to a list control.")

    def _exclude_props(self) -> list[str]:
        return [*super()._exclude_props(), "seq", "text", "focus", "address", "answers"]

    def add_imports(self) -> dict[str, list[ImportVar]]:
        """React's useEffect and useRef, for the hooks."""
        return {"react": [ImportVar(tag="useEffect"), ImportVar(tag="useRef")]}

    def add_hooks(self) -> list[str | Var]:
        """The effects that push the URL, announce the summary and clear the busy control."""
        fallback = json.dumps(SUMMARY_ID)
        hydrated = rx.State.is_hydrated
        code = (
            "const listSeq = useRef(null);"
            f" useEffect(() => {{ if (!{hydrated}) return;"
            f" const seq = {self.seq};"
            " if (listSeq.current === null || listSeq.current === seq)"
            " { listSeq.current = seq; return; }"
            " listSeq.current = seq;"
            f" const address = {self.address};"
            " if (address.startsWith('/') && !address.startsWith('//')"
            # The static server answers /facturas at /facturas/: the same page.
            " && address !== window.location.pathname.replace(/(.)\\/+$/, '$1')"
            " + window.location.search) {"
            # React Router does not see these pushes, so it still holds the
            # entry being left as it last saw it: with the key it gave it,
            # Back to that entry would look like no change and load nothing.
            # A fresh key there, and one on the new entry, make every return
            # a change it reports (and Reflex loads that URL's list).
            " const key = () => Math.random().toString(36).slice(2, 10);"
            " window.history.replaceState({ ...window.history.state, key: key() }, '');"
            " window.history.pushState({ ...window.history.state, key: key() }, '', address); }"
            f" const target = '#' + CSS.escape({self.focus} || {fallback});"
            f" if (window.portalAnnounce) {{ window.portalAnnounce({self.text}, target); }}"
            " else { document.querySelector(target)?.focus(); }"
            f" }}, [{self.seq}, {hydrated}]);"
            " useEffect(() => { window.portalListAnswered?.(); }"
            f", [{self.answers}])"
        )
        used = (self.seq, self.text, self.focus, self.address, self.answers, hydrated)
        return [Var(code, _var_data=VarData.merge(*(v._get_all_var_data() for v in used)))]


def _summary(state: Any, totals: rx.Component | None) -> rx.Component:
    """The sentence that sums the list up, focused and announced after it reloads."""
    return rx.box(
        rx.text(state.summary, id=SUMMARY_ID, tab_index=-1, weight="medium"),
        *([totals] if totals is not None else []),
        min_height=SUMMARY_HEIGHT,
        width="100%",
    )


#: The summary's room, the same loaded or not: "12 facturas · página 1 de 2, ordenadas
#: por fecha, más recientes primero" and a totals line take three lines on a phone.
SUMMARY_HEIGHT = rx.breakpoints(initial="4.5em", sm="3em")


def _loading(card_height: str) -> rx.Component:
    """What a list shows until its rows arrive: rows of their final size, so nothing jumps."""
    return rx.vstack(
        rx.box(
            rx.text(t("Cargando…"), color="var(--gray-11)"),
            min_height=SUMMARY_HEIGHT,
            width="100%",
        ),
        rx.tablet_and_desktop(
            rx.vstack(
                *(rx.skeleton(height="2.75em", width="100%") for _ in range(_PLACEHOLDER_ROWS)),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        rx.mobile_only(
            rx.vstack(
                *(rx.skeleton(height=card_height, width="100%") for _ in range(_PLACEHOLDER_ROWS)),
                width="100%",
            ),
            width="100%",
        ),
        aria_busy="true",
        spacing="3",
        width="100%",
    )


def _message(text: rx.Var | str) -> rx.Component:
    """The text of an empty state, focusable as the summary would be."""
    return rx.text(text, id=SUMMARY_ID, tab_index=-1)


def list_results(
    state: Any,
    *,
    rows: rx.Var,
    columns: list[Column],
    card: Callable[[Any], rx.Component],
    nothing_yet: str,
    totals: rx.Component | None = None,
    card_height: str = "124px",
) -> rx.Component:
    """What a list page shows under its filters: summary, rows, pager, or why there are none.

    The summary (``state.summary``: "12 facturas · página 1 de 2, ordenadas
    por fecha, más recientes primero") is where focus goes, and what is
    announced, after a sort, a page or a filter. Until the rows arrive the
    list holds their room with placeholders.

    Args:
        state: The page's state (a ListPageState).
        rows: Its list var of typed rows.
        columns: The table's columns (tablet and desktop).
        card: One row as a card (phone).
        nothing_yet: What to say when the customer has no rows at all.
        totals: A line under the summary, such as "Pendiente total: ...".
        card_height: How tall a card usually is, for the placeholders.
    """
    results = rx.cond(
        state.loaded,
        rx.cond(
            state.count > 0,
            rx.vstack(
                _summary(state, totals),
                # The rows come over the websocket: draw only the layout the screen shows.
                by_width(
                    phone=rx.vstack(rx.foreach(rows, card), width="100%"),
                    wide=data_table(state, rows, columns),
                ),
                pager(state),
                spacing="3",
                width="100%",
            ),
            rx.cond(
                state.has_any,
                rx.callout(
                    rx.hstack(
                        _message(state.summary),
                        list_control(
                            t("Limpiar filtros"),
                            size="3",
                            on_click=state.clear_filters,
                            min_height=TOUCH,
                        ),
                        align="center",
                        wrap="wrap",
                    ),
                    icon="search",
                    role="status",
                ),
                rx.callout(_message(nothing_yet), icon="info", role="status"),
            ),
        ),
        _loading(card_height),
    )
    return rx.fragment(
        AfterListChange.create(
            seq=state.announced,
            text=state.summary,
            focus=state.focus_target,
            address=state.address,
            answers=state.answers,
        ),
        results,
    )
