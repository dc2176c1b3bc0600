"""A list page's filter bar: fields whose values come from, and go back to, the URL.

The inputs are uncontrolled: their initial values are the URL's (``state.query``)
and the form is remounted when the URL changes (``key=state.form_key``). Buscar
(or Enter in a field) sends the form to ``state.apply_filters``, which
navigates to the new URL. "Por página" and checkboxes send the form as soon as
they change: there is nothing more to type. Field names are the URL's keys, so
nothing maps one to the other.

On a phone the form folds behind a "Filtros (n)" button (folded when the page
opens, so the first rows are on the first screen); from 768 px up it is always
shown and the button is not. The filters in use are listed beside the button,
each with a button that removes it, at every width.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.experimental.client_state import ClientStateVar
from reflex_base.event import EventChain
from reflex_base.vars.function import FunctionVar

from customer_portal.components.forms import field, list_control
from customer_portal.components.text import t
from customer_portal.domain.listing import DEFAULT_PAGE_SIZE, PAGE_SIZES

#: The filter form's id: the "Filtros" button controls it, immediate fields submit it.
FORM_ID = "filtros"
#: Where the form stops folding: Reflex's "sm" breakpoint, 48em (768 px).
_UNFOLDED = "@media screen and (min-width: 48em)"
#: The hidden field that says which control sent the form at once, so focus
#: can go back to it after the list reloads (see ListPageState.apply_filters).
FOCUS_FIELD = "foco"
#: Whether the customer unfolded the filters on a phone. Kept in the browser:
#: folding is not worth a round trip, and it works before the socket is up.
FILTERS_OPEN = ClientStateVar.create("filtros_abiertos", False)


def submit_now(control_id: str) -> Any:
    """Send the filter form as Buscar would, for control ``control_id`` that applies at once.

    Changing a setting must not take the customer elsewhere (WCAG 3.2.2), so
    the form names the control, to which focus returns after the list
    reloads. A function in the built page, not ``rx.call_script``: the
    portal's Content-Security-Policy forbids eval.
    """
    form, origin, control = (json.dumps(v) for v in (FORM_ID, FOCUS_FIELD, control_id))
    return rx.Var(
        f"(() => {{ const form = document.getElementById({form}); if (!form) return;"
        f" const origin = form.elements.namedItem({origin}); origin.value = {control};"
        " form.requestSubmit(); origin.value = ''; })"
    ).to(FunctionVar, EventChain)


# Day first, with the separators listing.read_date reads; ISO for pasted URLs.
_DATE_PATTERN = r"\d{1,2}(/|-|\.| )\d{1,2}(/|-|\.| )(\d{2}|\d{4})|\d{8}|\d{4}-\d{2}-\d{2}"
#: The smallest comfortable touch target (WCAG 2.5.5), where it fits.
TOUCH = "44px"


def url_field(
    state: Any, label: str | rx.Var, key: str, *, hint: str | rx.Var = "", **input_props: Any
) -> rx.Component:
    """A labelled input for the URL key ``key``, showing the URL's value.

    What the state says is wrong with it (``state.problems[key]``) shows right
    under it, announced, and marks the input invalid for screen readers.

    Args:
        state: The page's state (a ListPageState).
        label: What the customer reads above the field.
        key: The URL key, also the input's id and name.
        hint: The expected form, shown after the label ("dd/mm/aaaa").
        **input_props: Passed to the input (input_mode, placeholder...).
    """
    problem = state.problems.get(key, "")
    message_id = f"{key}-problema"
    hint_id = f"{key}-formato"
    has_hint = isinstance(hint, rx.Var) or bool(hint)
    return rx.vstack(
        field(
            label,
            key,
            size="2",
            default_value=state.query.get(key, ""),
            aria_invalid=rx.cond(problem != "", "true", "false"),
            aria_describedby=f"{hint_id} {message_id}" if has_hint else message_id,
            min_height=TOUCH,
            **input_props,
        ),
        # Under the field, so the fields of a row stay level whatever their labels.
        *([rx.text(hint, id=hint_id, size="1", color="var(--gray-11)")] if has_hint else []),
        rx.text(problem, id=message_id, role="alert", size="1", color="var(--red-11)"),
        spacing="1",
        width="100%",
    )


def date_field(state: Any, label: str | rx.Var, key: str) -> rx.Component:
    """A date typed as dd/mm/aaaa, whatever language the browser speaks.

    A text field, not ``type=date``: the browser's date input shows its own
    language's order (mm/dd/yyyy in an English one). The server reads it with
    :func:`customer_portal.domain.listing.read_date` and says beside the field
    when it cannot.
    """
    return url_field(
        state,
        label,
        key,
        hint=t("dd/mm/aaaa"),
        input_mode="numeric",
        placeholder=t("dd/mm/aaaa"),
        pattern=_DATE_PATTERN,
        auto_complete="off",
        max_length=10,
    )


def date_range(state: Any, *, start: str = "desde", end: str = "hasta") -> list[rx.Component]:
    """Desde and Hasta, two dd/mm/aaaa fields."""
    return [date_field(state, t("Desde"), start), date_field(state, t("Hasta"), end)]


def page_size(state: Any) -> rx.Component:
    """Por página: how many rows a page shows (the URL's ``tam``); applies at once."""
    return rx.vstack(
        rx.el.label(
            t("Por página"), html_for="tam", style={"font_size": "0.85em", "font_weight": "500"}
        ),
        rx.el.select(
            *(rx.el.option(str(n), value=str(n)) for n in PAGE_SIZES),
            id="tam",
            name="tam",
            default_value=state.query.get("tam", str(DEFAULT_PAGE_SIZE)),
            on_change=submit_now("tam"),
            style={
                "min_height": TOUCH,
                "min_width": "5em",
                "font_size": "16px",
                "padding": "0 0.5em",
                "border": "1px solid var(--gray-8)",
                "border_radius": "var(--radius-2)",
                "background": "white",
            },
        ),
        spacing="1",
    )


def check_group(
    state: Any, legend: str | rx.Var, key: str, options: dict[str, str]
) -> rx.Component:
    """Checkboxes whose ticked options form the URL's comma list ``key``; each applies at once.

    The whole label is the touch target (at least 44 px tall), not just the box.

    Args:
        state: The page's state.
        legend: The group's name, read first by screen readers.
        key: The URL key, e.g. ``estado``.
        options: URL value → label (a msgid, shown in the page's language), in order.
    """
    chosen = state.query.get(key, "").split(",")
    return rx.el.fieldset(
        rx.el.legend(legend, style={"font_size": "0.85em", "font_weight": "500"}),
        rx.flex(
            *(
                rx.el.label(
                    rx.el.input(
                        type="checkbox",
                        name=f"{key}.{value}",
                        id=f"{key}_{value}",
                        default_checked=chosen.contains(value),
                        on_change=submit_now(f"{key}_{value}"),
                        style={"width": "20px", "height": "20px", "margin": "0"},
                    ),
                    t(label),
                    html_for=f"{key}_{value}",
                    style={
                        "display": "inline-flex",
                        "align_items": "center",
                        "gap": "0.5em",
                        "min_height": TOUCH,
                        "padding": "0 0.75em 0 0",
                        "white_space": "nowrap",
                        "cursor": "pointer",
                    },
                )
                for value, label in options.items()
            ),
            wrap="wrap",
            column_gap="0.5em",
        ),
        style={"border": "none", "padding": "0.5em 0 0", "margin": "0"},
    )


def _filters_toggle(state: Any, shown: rx.Var) -> rx.Component:
    count = state.active_filters.length()
    return rx.button(
        rx.icon("sliders-horizontal", size=16, aria_hidden="true"),
        rx.cond(count > 0, t("Filtros ({count})", count=count), t("Filtros")),
        type="button",
        variant="soft",
        size="3",
        on_click=FILTERS_OPEN.set_value(~FILTERS_OPEN.value),
        aria_expanded=rx.cond(shown, "true", "false"),
        aria_controls=FORM_ID,
        min_height=TOUCH,
        # From 768 px the form is always shown: nothing to fold.
        style={_UNFOLDED: {"display": "none"}},
    )


def _active_filter(state: Any, chip: rx.Var) -> rx.Component:
    return list_control(
        chip.label,
        rx.icon("x", size=14, aria_hidden="true"),
        type="button",
        variant="outline",
        size="2",
        on_click=state.remove_filter(chip.key),
        aria_label=t("Quitar filtro {name}", name=chip.label),
        min_height="36px",
    )


def filter_bar(
    state: Any, *fields: rx.Component, below: rx.Component | None = None
) -> rx.Component:
    """The filter form behind "Filtros (n)", the filters in use, Buscar and Limpiar.

    Args:
        state: The page's state (a ListPageState).
        *fields: Inputs from :func:`url_field`, :func:`date_range`, :func:`page_size`.
        below: Anything under the grid, such as a :func:`check_group`.
    """
    # Unfolded when asked, and whenever a field has something to correct.
    shown = FILTERS_OPEN.value | state.has_problems
    return rx.vstack(
        rx.flex(
            _filters_toggle(state, shown),
            rx.foreach(state.active_filters, lambda chip: _active_filter(state, chip)),
            wrap="wrap",
            gap="0.5em",
            align="center",
            width="100%",
        ),
        rx.form(
            rx.grid(
                *fields,
                columns=rx.breakpoints(initial="1", xs="2", sm="3", md=str(min(len(fields), 6))),
                spacing="3",
                width="100%",
            ),
            *([below] if below is not None else []),
            rx.el.input(type="hidden", name=FOCUS_FIELD, default_value=""),
            rx.hstack(
                # Enabled once the page is live: before that the browser would
                # submit the form itself, with names the server does not read.
                list_control(
                    t("Buscar"),
                    type="submit",
                    size="3",
                    disabled=~rx.State.is_hydrated,
                    min_height=TOUCH,
                ),
                list_control(
                    t("Limpiar filtros"),
                    type="button",
                    variant="soft",
                    size="3",
                    on_click=state.clear_filters,
                    min_height=TOUCH,
                ),
                spacing="3",
                margin_top="0.75em",
                wrap="wrap",
            ),
            id=FORM_ID,
            # The server checks every field and says what is wrong in Spanish;
            # the browser's own bubbles would speak its language instead.
            no_validate=True,
            on_submit=state.apply_filters,
            key=state.form_key,
            width="100%",
            style={
                "display": rx.cond(shown, "block", "none"),
                _UNFOLDED: {"display": "block"},
            },
        ),
        spacing="3",
        width="100%",
    )
