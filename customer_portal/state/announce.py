"""Tell screen readers what changed and move focus there, from the server.

Every page loads ``assets/portal.js`` (see ``customer_portal/customer_portal.py``),
which defines ``window.portalAnnounce(text, focusSelector)``: it puts ``text``
in the page's polite live region (``#anuncio``, in
:func:`customer_portal.components.layout.page_frame`) and moves focus to the
element ``focusSelector`` names, or to the main content (``#contenido``).

A handler returns (or yields) the event :func:`announce` builds::

    @rx.event
    @signed_in
    async def sort_by(self, account, column: str):
        ...
        return announce("Ordenado por fecha, descendente", focus="#lista-facturas")

Why not ``rx.call_script``: the portal's Content-Security-Policy has no
``'unsafe-eval'`` (customer_portal/api/edge.py), and Reflex runs a script sent
from the server with ``eval``, which the browser then refuses. Instead the
server sets the value of a hidden ``<output>`` of the frame (Reflex's
``rx.set_value``, no eval); ``portal.js`` watches it and does the rest.

:class:`PageShownState` tells the script a page has loaded its data (the kit
adds it after every page's ``on_load``): after a client-side navigation, or
after a form the server answered with a redirect (Entrar, Salir...), the
script announces the new page's heading and moves focus to it.
"""

from __future__ import annotations

import json
import secrets

import reflex as rx

from customer_portal.i18n import current_language

__all__ = ["ORDER_ID", "PageShownState", "announce", "set_title"]

#: The id of the hidden ``<output>`` the frame renders for these orders.
ORDER_ID = "anuncio_orden"


def _order(**fields: str | None) -> rx.event.EventSpec:
    payload = {key: value for key, value in fields.items() if value is not None}
    # A fresh nonce, so the same order twice still changes the output.
    payload["n"] = secrets.token_hex(4)
    return rx.set_value(ORDER_ID, json.dumps(payload, ensure_ascii=False))


def announce(text: str, focus: str | None = None) -> rx.event.EventSpec:
    """The event that announces ``text`` politely and moves focus to ``focus``.

    Args:
        text: What screen readers say, in Spanish; announced again even if it
            is the same text as last time.
        focus: A CSS selector for the element to focus (made focusable if it
            is not); the main content (``#contenido``) when omitted.

    Returns:
        An event for a handler to return or yield.
    """
    return _order(texto=text, foco=focus)


def set_title(title: str) -> rx.event.EventSpec:
    """The event that sets the browser tab's title (e.g. "Factura F2026-1001 · Portal").

    Returns:
        An event for a handler to return or yield.
    """
    return _order(titulo=title)


class PageShownState(rx.State):
    """Says that a page has loaded: no data, nothing private, the same for anyone."""

    @rx.event
    def page_shown(self, route: str):
        """Last ``on_load`` event of every page: its data is in the page by now.

        The page's language comes with it: the document's ``lang`` says which
        language screen readers should speak.
        """
        return _order(pagina=str(route)[:200], idioma=current_language())
