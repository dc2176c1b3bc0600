"""Drawing one layout per screen width, not two with one hidden.

``rx.mobile_only`` and ``rx.tablet_and_desktop`` draw both layouts and let
CSS hide one. That is right for what the server prerenders (the browser
knows its width before any script runs, so nothing jumps), but for rows that
arrive over the websocket it doubles the work of a phone's slow CPU: the
list of invoices as a table and as cards, most of Mis facturas' blocking time
in Lighthouse. :func:`by_width` draws only the layout the screen shows.
"""

from __future__ import annotations

import json

import reflex as rx
from reflex_base.utils.imports import ImportVar
from reflex_base.vars.base import Var, VarData

#: Radix's breakpoints (rx.breakpoints): where each starts, in em.
BREAKPOINTS = {"xs": 30, "sm": 48, "md": 64, "lg": 80, "xl": 96}


def wide_from(breakpoint: str) -> Var[bool]:
    """True when the screen is at least as wide as Radix's ``breakpoint``, kept current.

    React's store hook follows the media query; the third function is what
    the prerendered page (no window) and its hydration assume: wide.
    """
    em = BREAKPOINTS[breakpoint]
    name = f"portalWide{em}"
    query = json.dumps(f"(min-width: {em}em)")
    hook = (
        f"const {name} = useSyncExternalStore("
        " useCallback((notify) => {"
        f" const query = window.matchMedia({query});"
        " query.addEventListener('change', notify);"
        " return () => query.removeEventListener('change', notify); }, []),"
        f" () => window.matchMedia({query}).matches,"
        " () => true);"
    )
    imports = {"react": [ImportVar(tag="useSyncExternalStore"), ImportVar(tag="useCallback")]}
    return Var(name, _var_data=VarData(imports=imports, hooks={hook: None})).to(bool)


def by_width(*, phone: rx.Component, wide: rx.Component, breakpoint: str = "sm") -> rx.Component:
    """``phone`` below ``breakpoint`` (48em by default), ``wide`` from there; one is drawn.

    For content that only exists once the page is live (rows from the
    state): prerendered content should use ``rx.mobile_only`` and
    ``rx.tablet_and_desktop``, which the browser sorts out before scripts run.
    """
    return rx.cond(wide_from(breakpoint), wide, phone)
