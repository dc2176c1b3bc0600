"""The portal's cookies of the websocket a Reflex event came on.

The browser sends its cookies with the websocket handshake. The edge
(:mod:`customer_portal.api.edge`) takes them out of the headers before Reflex
copies those into its state, and keeps the portal's own cookies in the
connection's ASGI scope, in memory. This module reads them back for an event:
what the browser really sent on this connection, never a value the client
put in the event, and never anything Reflex would persist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import reflex as rx
from reflex_base.registry import RegistrationContext

from customer_portal.api.edge import SCOPE_COOKIES, client_ip
from customer_portal.settings import get_settings


def _scope(state: rx.State) -> Mapping[str, Any]:
    """The ASGI scope of the websocket that sent the event ``state`` is handling."""
    sid = state.router.session.session_id
    if not sid:
        return {}
    try:
        app = RegistrationContext.get().app
        namespace = app.event_namespace
        environ = app.sio.get_environ(sid, namespace.namespace) if namespace and app.sio else None
    except (LookupError, AttributeError, RuntimeError):
        return {}
    return (environ or {}).get("asgi.scope", {})


def connection_cookies(state: rx.State) -> Mapping[str, str]:
    """The portal cookies of the connection that sent the event ``state`` is handling."""
    return _scope(state).get(SCOPE_COOKIES, {})


def connection_ip(state: rx.State) -> str | None:
    """The client address of that connection, as the HTTP routes see it (trusted proxies)."""
    scope = _scope(state)
    return client_ip(scope, get_settings().trusted_proxy_hops) if scope else None


def connection_header(state: rx.State, name: str) -> str:
    """A header of the websocket handshake (e.g. ``accept-language``), "" if absent."""
    wanted = name.lower().encode("latin-1")
    for key, value in _scope(state).get("headers", []):
        if key.lower() == wanted:
            return value.decode("latin-1")
    return ""
