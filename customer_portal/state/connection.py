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

import reflex as rx
from reflex_base.registry import RegistrationContext

from customer_portal.api.edge import SCOPE_COOKIES


def connection_cookies(state: rx.State) -> Mapping[str, str]:
    """The portal cookies of the connection that sent the event ``state`` is handling."""
    sid = state.router.session.session_id
    if not sid:
        return {}
    try:
        app = RegistrationContext.get().app
        namespace = app.event_namespace
        environ = app.sio.get_environ(sid, namespace.namespace) if namespace and app.sio else None
    except (LookupError, AttributeError, RuntimeError):
        return {}
    if not environ:
        return {}
    return environ.get("asgi.scope", {}).get(SCOPE_COOKIES, {})
