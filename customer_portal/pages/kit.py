"""Declaring a page: route, Spanish title, who may see it and its load handler, in one place.

::

    @portal_page(route=routes.PAYMENTS, title="Mis pagos", on_load=PaymentsState.open_list,
                 nav="Mis pagos")
    def payments() -> rx.Component:
        return rx.vstack(rx.heading("Mis pagos", as_="h1", size="6"), ...)

The decorator gives the page the shared frame (header, footer), for a
customer page the navigation bar with this page marked, and records it;
:func:`register_pages` adds every recorded page to the app. A customer page
must load through a handler guarded by
:func:`customer_portal.state.kit.signed_in`, which sends anyone not signed in
to Entrar and back: declaring one without it fails at import, so a private
page cannot forget its guard. Page modules are imported by name in
``customer_portal/customer_portal.py``: a module nobody imports is no page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import reflex as rx

from customer_portal.components.layout import page_frame
from customer_portal.components.nav import NavItem, signed_in_bar
from customer_portal.components.text import t
from customer_portal.settings import get_settings
from customer_portal.state.announce import PageShownState
from customer_portal.state.kit import requires_account

PageBody = Callable[[], rx.Component]


class Access(Enum):
    """Who may open a page."""

    #: Anyone: the home page, Entrar, the password forms.
    PUBLIC = "public"
    #: A signed-in customer; anyone else is sent to Entrar and back.
    CUSTOMER = "customer"
    #: Developers on this machine, in dev mode only (the page is not even registered in prod).
    DEV = "dev"


@dataclass(frozen=True)
class PortalPage:
    """One registered page."""

    route: str
    title: str
    body: PageBody
    access: Access
    on_load: Any
    nav: str | None
    nav_order: int
    #: The page shows a title of its own from its state (an invoice's number).
    own_title: bool = False

    def render(self) -> rx.Component:
        """The page in its frame, with the nav bar for a customer page."""
        bar = signed_in_bar(nav_items(), current=self.route)
        return page_frame(self.body(), nav=bar if self.access is Access.CUSTOMER else None)


_PAGES: list[PortalPage] = []


def portal_page(
    *,
    route: str,
    title: str,
    on_load: Any = None,
    access: Access = Access.CUSTOMER,
    nav: str | None = None,
    nav_order: int = 50,
    own_title: bool = False,
) -> Callable[[PageBody], PageBody]:
    """Declare a page. Stack it to serve one body at two routes.

    Args:
        route: Its path, from :mod:`customer_portal.routes`.
        title: The browser tab's title, in Spanish.
        on_load: The event handler that loads its data; required, and guarded
            by ``signed_in``, for a customer page.
        access: Who may see it.
        nav: Its label in the navigation bar, if it has a place there.
        nav_order: Where in the bar: lower comes first (Mis facturas is 10,
            Mi cuenta 90).
        own_title: The page renders its own ``rx.el.title`` from its state;
            otherwise ``title`` is shown, translated, once the page has loaded.

    Raises:
        TypeError: A customer page without a guarded load handler, or a route
            declared twice.
    """

    def declare(body: PageBody) -> PageBody:
        if access is Access.CUSTOMER and not requires_account(on_load):
            raise TypeError(
                f"{route}: a customer page needs on_load=<a handler decorated with @signed_in>"
            )
        if any(p.route == route for p in _PAGES):
            raise TypeError(f"{route}: declared twice")
        _PAGES.append(PortalPage(route, title, body, access, on_load, nav, nav_order, own_title))
        return body

    return declare


def nav_items() -> list[NavItem]:
    """The navigation bar's entries, by ``nav_order``."""
    listed = sorted((p for p in _PAGES if p.nav is not None), key=lambda p: p.nav_order)
    return [NavItem(p.nav, p.route) for p in listed if p.nav is not None]


def load_events(page: PortalPage) -> list[Any]:
    """The page's own ``on_load``, then the signal that it has loaded.

    The signal comes back after the page's data (the server runs a tab's
    events in order), so ``assets/portal.js`` can announce the new page's
    heading and move focus to it after a client-side navigation or a posted
    form; a page opened directly is left to the screen reader.
    """
    own = page.on_load if isinstance(page.on_load, list) else [page.on_load]
    return [*(event for event in own if event is not None), PageShownState.page_shown(page.route)]


def register_pages(app: rx.App) -> None:
    """Add every declared page to ``app`` (DEV pages only in dev mode).

    The title is "Page · Portal" in the page's language, chosen in the browser
    like every text; a page with ``own_title`` renders a more specific one
    from its state ("Factura F2026-1001 · Portal").
    """
    settings = get_settings()
    for page in _PAGES:
        if page.access is Access.DEV and not settings.is_dev:
            continue
        title = tab_title(page.title)
        if page.own_title:  # its own <title> follows; this one only until it loads
            title = f"{page.title} · {settings.branding.portal_name}"
        app.add_page(page.render, route=page.route, title=title, on_load=load_events(page))


def tab_title(title: str) -> rx.Var | str:
    """The tab's title, "Mis pagos · Portal", in the page's language (home: the portal's name)."""
    portal_name = get_settings().branding.portal_name
    if title == portal_name:
        return portal_name
    return t("{page} · {portal}", page=t(title), portal=portal_name)
