"""The bar a signed-in customer sees: who, the portal's sections (this one marked), Salir."""

from __future__ import annotations

from typing import NamedTuple

import reflex as rx

from customer_portal import routes
from customer_portal.components.forms import NativeForm, post_form
from customer_portal.components.text import t
from customer_portal.domain.people import CUSTOMER_PARAM
from customer_portal.state.auth import AuthState


class NavItem(NamedTuple):
    """One section in the bar."""

    label: str
    route: str


def _item(item: NavItem, current: str) -> rx.Component:
    here = item.route == current
    # 44 px tall and wide (portal.css .seccion): an easy tap on a phone.
    return rx.link(
        t(item.label),
        # A person of several customers keeps the one chosen from section to section.
        href=item.route + AuthState.customer_query,
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
            rx.cond(
                AuthState.customer_choices.length() > 0,
                _switcher(current),
                rx.text(
                    AuthState.customer_name, weight="medium", size="2", class_name="nombre-cliente"
                ),
            ),
            rx.el.div(
                *(_item(item, current) for item in items),
                post_form(
                    rx.button(
                        t("Salir"), type="submit", variant="soft", size="2", class_name="salir"
                    ),
                    action=routes.SIGN_OUT_ACTION,
                ),
                class_name="secciones",
            ),
            class_name="barra-cuenta",
        ),
        aria_label=t("Cuenta"),
        class_name="barra",
        background="var(--gray-2)",
        border_bottom="1px solid var(--gray-5)",
    )


def _switcher(current: str) -> rx.Component:
    """For a person of several customers: which one they look at, as a plain GET form.

    The choice goes in the URL (``?cliente=``), so a link copied to another of
    the person's tabs shows the same customer; the server checks the person
    belongs to it on every event, whatever the URL says. Native, so it works
    before the page's scripts have loaded.
    """
    return NativeForm.create(
        rx.el.label(t("Cliente"), html_for="cliente-elegido", class_name="etiqueta-cliente"),
        rx.el.select(
            rx.foreach(
                AuthState.customer_choices,
                lambda choice: rx.el.option(choice.name, value=choice.code),
            ),
            name=CUSTOMER_PARAM,
            id="cliente-elegido",
            default_value=AuthState.customer_code,
            # Remounted when the choice changes, so it shows the customer looked at.
            key=AuthState.customer_code,
            class_name="selector-cliente",
        ),
        rx.button(t("Ver"), type="submit", variant="soft", size="2"),
        method="get",
        action=current,
        class_name="nombre-cliente cambio-cliente",
        aria_label=t("Elegir cliente"),
    )
