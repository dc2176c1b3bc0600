"""Tell screen readers what changed, and move focus there: one server-side helper.

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
"""

from __future__ import annotations

import json

import reflex as rx

__all__ = ["announce"]


def announce(text: str, focus: str | None = None) -> rx.event.EventSpec:
    """The event that announces ``text`` politely and moves focus to ``focus``.

    Args:
        text: What screen readers say, in Spanish; announced again even if it
            is the same text as last time.
        focus: A CSS selector for the element to focus (made focusable if it
            is not); the main content when omitted.

    Returns:
        An event for a handler to return or yield.
    """
    return rx.call_script(
        f"window.portalAnnounce && window.portalAnnounce({json.dumps(text)}, {json.dumps(focus)})"
    )
