"""A list page's filter bar: fields whose values come from, and go back to, the URL.

The inputs are uncontrolled: their initial values are the URL's (``state.query``)
and the form is remounted when the URL changes (``key=state.form_key``). Buscar
sends the form to ``state.apply_filters``, which navigates to the new URL.
Field names are the URL's keys, so nothing maps one to the other.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from customer_portal.components.forms import field
from customer_portal.domain.listing import DEFAULT_PAGE_SIZE, PAGE_SIZES


def url_field(state: Any, label: str, key: str, **input_props: Any) -> rx.Component:
    """A labelled input for the URL key ``key``, showing the URL's value.

    What the state says is wrong with it (``state.problems[key]``) shows right
    under it, announced, and marks the input invalid for screen readers.
    """
    problem = state.problems.get(key, "")
    message_id = f"{key}-problema"
    return rx.vstack(
        field(
            label,
            key,
            size="2",
            default_value=state.query.get(key, ""),
            aria_invalid=rx.cond(problem != "", "true", "false"),
            aria_describedby=message_id,
            **input_props,
        ),
        rx.text(problem, id=message_id, role="alert", size="1", color="var(--red-11)"),
        spacing="1",
        width="100%",
    )


def date_range(state: Any, *, start: str = "desde", end: str = "hasta") -> list[rx.Component]:
    """Desde and Hasta, two date inputs."""
    return [
        url_field(state, "Desde", start, type="date"),
        url_field(state, "Hasta", end, type="date"),
    ]


def page_size(state: Any) -> rx.Component:
    """Por página: how many rows a page shows (the URL's ``tam``)."""
    return rx.vstack(
        rx.el.label("Por página", html_for="tam", style={"font_size": "0.85em"}),
        rx.el.select(
            *(rx.el.option(str(n), value=str(n)) for n in PAGE_SIZES),
            id="tam",
            name="tam",
            default_value=state.query.get("tam", str(DEFAULT_PAGE_SIZE)),
        ),
        spacing="1",
    )


def check_group(state: Any, legend: str, key: str, options: dict[str, str]) -> rx.Component:
    """Checkboxes whose ticked options form the URL's comma list ``key``.

    Args:
        state: The page's state.
        legend: The group's name, read first by screen readers.
        key: The URL key, e.g. ``estado``.
        options: URL value → label, in the order shown.
    """
    chosen = state.query.get(key, "").split(",")
    return rx.el.fieldset(
        rx.el.legend(legend, style={"font_size": "0.85em"}),
        *(
            rx.el.label(
                rx.el.input(
                    type="checkbox",
                    name=f"{key}.{value}",
                    id=f"{key}_{value}",
                    default_checked=chosen.contains(value),
                ),
                " " + label,
                style={"margin_right": "1em", "white_space": "nowrap"},
            )
            for value, label in options.items()
        ),
        style={"border": "none", "padding": "0.5em 0", "margin": "0"},
    )


def filter_bar(
    state: Any, *fields: rx.Component, below: rx.Component | None = None
) -> rx.Component:
    """The filter form: ``fields`` in a grid (one column on a phone), Buscar and Limpiar.

    Args:
        state: The page's state (a ListPageState).
        *fields: Inputs from :func:`url_field`, :func:`date_range`, :func:`page_size`.
        below: Anything under the grid, such as a :func:`check_group`.
    """
    return rx.form(
        rx.grid(
            *fields,
            columns=rx.breakpoints(initial="1", sm="3", md=str(min(len(fields), 6))),
            spacing="3",
            width="100%",
        ),
        *([below] if below is not None else []),
        rx.hstack(
            # Enabled once the page is live: before that the browser would
            # submit the form itself, with names the server does not read.
            rx.button("Buscar", type="submit", disabled=~rx.State.is_hydrated),
            rx.button(
                "Limpiar filtros", type="button", variant="soft", on_click=state.clear_filters
            ),
            spacing="3",
            margin_top="0.75em",
        ),
        on_submit=state.apply_filters,
        key=state.form_key,
        width="100%",
    )
