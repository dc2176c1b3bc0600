"""The bar a signed-in customer sees: who, the portal's sections (this one marked), Salir."""

from __future__ import annotations

from typing import NamedTuple

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import post_form
from customer_portal.state.auth import AuthState


class NavItem(NamedTuple):
    """One section in the bar."""

    label: str
    route: str


def _item(item: NavItem, current: str) -> rx.Component:
    here = item.route == current
    # 44 px tall and wide (portal.css .seccion): an easy tap on a phone.
    return rx.link(
        item.label,
        href=item.route,
        size="2",
        weight="bold" if here else "regular",
        underline="always" if here else "hover",
        aria_current="page" if here else None,
        class_name="seccion",
    )


def signed_in_bar(items: list[NavItem], *, current: str) -> rx.Component:
    """The customer's name, ``items`` (``current`` marked for eyes and screen readers), Salir.

    Salir posts to the server, which ends the session and drops its cookie.
    The name arrives after the page is shown: its line keeps its height before
    and after (portal.css ``.barra-cuenta``), so nothing below moves.
    """
    return rx.el.nav(
        rx.el.div(
            rx.text(
                AuthState.customer_name, weight="medium", size="2", class_name="nombre-cliente"
            ),
            rx.el.div(
                *(_item(item, current) for item in items),
                post_form(
                    rx.button("Salir", type="submit", variant="soft", size="2", class_name="salir"),
                    action=routes.SIGN_OUT_ACTION,
                ),
                class_name="secciones",
            ),
            class_name="barra-cuenta",
        ),
        aria_label="Cuenta",
        class_name="barra",
        background="var(--gray-2)",
        border_bottom="1px solid var(--gray-5)",
    )
