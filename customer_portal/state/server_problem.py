"""When the server fails an event: a banner in the customer's words, and the event run again.

Reflex answers a failed event with its own toast, in English, sent as a
script to ``eval``, which the portal's Content-Security-Policy refuses: the
customer saw nothing at all. :func:`on_server_error` replaces it (the app's
``backend_exception_handler``):

- The database is unreachable (a PostgreSQL restart, an outage): the tab
  shows "Problema temporal con el servidor. Reintentando…" while
  :meth:`ServerProblemState.wait_for_database` waits for it, then runs the
  customer's event again. That is safe: it never got past the session check
  (:class:`~customer_portal.state.auth.SessionGuard` holds it here, see
  :func:`hold_for_retry`), so it did nothing yet. If the database failed
  inside a handler instead, the page's loads run again (they only read).
- Anything else: "No se ha podido completar la acción…" and the traceback
  in the log, never on the page.

A client may send these events itself, at will: they show a banner, wait,
and run again only what this tab's own connection sent and the server held.
"""

import asyncio
import json
import logging
import time
from collections import OrderedDict
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from reflex_base.event import Event
from reflex_base.event.context import EventContext
from reflex_base.registry import RegistrationContext

from customer_portal.db import database_answers, is_unreachable
from customer_portal.i18n import N_, _

log = logging.getLogger(__name__)

# Msgids: the banner shows them translated (``_(FAILED)``; the page ``t(RETRYING)``).
RETRYING = N_("Problema temporal con el servidor. Reintentando…")
FAILED = N_("No se ha podido completar la acción. Vuelva a intentarlo en unos momentos.")
GAVE_UP = N_(
    "El portal no está disponible en este momento. Vuelva a intentarlo más tarde; "
    "sus datos están a salvo."
)

#: Seconds a tab waits for the database before it gives up and says so.
PATIENCE = 300.0
#: Events held for a retry, at most (one per tab; the oldest go first).
_MAX_HELD = 10_000
#: Characters of an event's arguments (as JSON) worth holding; the forms' are far fewer.
_MAX_HELD_PAYLOAD = 4096

# The event each tab (client token) last had refused for want of the database.
_held: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
# One poll of the database per process, however many tabs wait on it.
_poll: asyncio.Task[bool] | None = None


def hold_for_retry(event: Event) -> None:
    """Keep ``event`` to run again for its tab once the database answers.

    Not one whose arguments are larger than any of the portal's forms (a
    client can send anything, and this is memory): that tab gets its page's
    loads run again instead.
    """
    token = EventContext.get().token
    if len(json.dumps(event.payload, default=str)) > _MAX_HELD_PAYLOAD:
        _held.pop(token, None)
        return
    _held[token] = (event.name, dict(event.payload))
    _held.move_to_end(token)
    while len(_held) > _MAX_HELD:
        _held.popitem(last=False)


async def _poll_database(patience: float) -> bool:
    deadline = time.monotonic() + patience
    pause = 0.2
    while not await asyncio.to_thread(database_answers):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(pause)
        pause = min(pause * 2, 2.0)
    return True


async def database_back(patience: float = PATIENCE) -> bool:
    """Wait until the database answers (True) or ``patience`` seconds pass (False).

    Shared: a thousand waiting tabs make one query every two seconds, not a
    thousand, and hold no thread while they wait.
    """
    global _poll
    if _poll is None or _poll.done():
        _poll = asyncio.create_task(_poll_database(patience))
    try:
        return await asyncio.wait_for(asyncio.shield(_poll), patience)
    except TimeoutError:
        return False


class ServerProblemState(rx.State):
    """What the banner of a failed event shows (nothing private: see SessionGuard)."""

    retrying: bool = False
    message: str = ""

    @rx.event(background=True)
    async def wait_for_database(self):
        """Show "Reintentando…" until the database answers, then run the tab's event again."""
        async with self:
            if self.retrying:
                return None  # this tab already waits
            self.retrying, self.message = True, ""
        back = await database_back()
        token = EventContext.get().token
        async with self:
            self.retrying = False
            self.message = "" if back else _(GAVE_UP)
            path = self.router.url.path
        held = _held.pop(token, None)
        if not back:
            return None
        if held is not None:
            name, payload = held
            return Event(name=name, payload=payload)
        return RegistrationContext.get().app.get_load_events(path)

    @rx.event
    def show_failure(self):
        """Say an event failed (the log has why)."""
        self.message = _(FAILED)

    @rx.event
    def dismiss(self):
        """Hide the message (the customer's "Cerrar")."""
        self.message = ""


#: Its events read nothing private and must run while the database is down:
#: the session guard lets them through without looking the session up.
EVENTS_WITHOUT_DATABASE = frozenset(
    f"{ServerProblemState.get_full_name()}.{handler}"
    for handler in ("wait_for_database", "show_failure", "dismiss")
)


def on_server_error(exception: Exception) -> EventSpec:
    """The app's backend exception handler: log, then the banner (and a retry) for the tab.

    Reflex calls it with the exception of any event that raised. (Annotated
    without ``from __future__ import annotations``: Reflex reads the
    annotations to check the handler.)
    """
    if is_unreachable(exception):
        log.warning("an event failed, the database is unreachable: %s", exception.orig)
        return ServerProblemState.wait_for_database()
    log.error("an event failed", exc_info=exception)
    return ServerProblemState.show_failure()
