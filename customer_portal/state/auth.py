"""Who is asking: resolved on the server, from the session cookie, for every event.

The browser holds the session token only in an ``HttpOnly`` cookie that HTTP
responses set (:mod:`customer_portal.api.accounts`). The websocket handshake
carries it; :class:`SessionGuard`, a Reflex middleware, runs before every
event: it looks the token up in the database, and if the state tree was filled
for another session (or for none), it resets every private state before the
event runs. So a Reflex client token without the cookie, a tab whose session
ended, or a copy of someone's state gets nothing, not even on hydrate.

Reflex state holds no secret: no token (only the id of the session row the
data belongs to), no password, no link.
"""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import reflex as rx
import sqlalchemy as sa
from reflex.middleware import Middleware
from reflex.state import OnLoadInternalState

from customer_portal.api.cookies import LINK_COOKIE
from customer_portal.db import is_unreachable
from customer_portal.domain.flash import QUERY_KEY, read_flash
from customer_portal.domain.people import CUSTOMER_PARAM
from customer_portal.domain.sessions import SESSION_COOKIE
from customer_portal.domain.viewer import Viewer, find_viewer
from customer_portal.i18n import LANGUAGE_COOKIE, choose_language, set_language
from customer_portal.limits import CUSTOMER_CODE_LENGTH
from customer_portal.models import Account
from customer_portal.settings import get_settings
from customer_portal.state.connection import connection_cookies, connection_header
from customer_portal.state.language import LanguageState
from customer_portal.state.server_problem import EVENTS_WITHOUT_DATABASE, hold_for_retry


@dataclass(frozen=True)
class CustomerOption:
    """A customer in the switcher: its code (for the URL) and name."""

    code: str
    name: str


# Set by SessionGuard before each event's handler runs, in the same task.
_viewer: contextvars.ContextVar[Viewer | None] = contextvars.ContextVar("viewer", default=None)


class AuthState(rx.State):
    """The base of every state that shows something private.

    Every subclass is reset by :class:`SessionGuard` whenever the session
    behind the connection changes, so a subclass may keep what it loaded for
    its page without checking who loaded it.
    """

    signed_in: bool = False
    customer_name: str = ""
    #: The customer looked at, and the person's others (the switcher); not secrets.
    customer_code: str = ""
    customer_choices: list[CustomerOption] = []
    #: "?cliente=CODE" for a person of several customers, so links keep the choice.
    customer_query: str = ""
    # The session and customer the private data was loaded for; "" for nobody. Not a secret.
    _owner: str = ""

    async def _current_account(self) -> Account | None:
        """The account of this connection's live session, as resolved for this event."""
        viewer = _viewer.get()
        return viewer.account if viewer is not None else None

    def _customer_id(self) -> int:
        """The customer this event looks at: linked to the person, checked for this event.

        0 (no customer has it) when the person is linked to none: every query
        then finds nothing.
        """
        viewer = _viewer.get()
        return viewer.customer.id if viewer is not None and viewer.customer is not None else 0

    def _with_customer(self, url: str) -> str:
        """``url`` keeping the customer choice of a person of several customers."""
        viewer = _viewer.get()
        if viewer is None or viewer.customer is None or len(viewer.customers) < 2:
            return url
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}{urlencode({CUSTOMER_PARAM: viewer.customer.code})}"

    def _session_token(self) -> str:
        """The session token the browser sent on this connection (memory only)."""
        viewer = _viewer.get()
        return viewer.token if viewer is not None else ""

    def _link_cookie(self) -> str:
        return connection_cookies(self).get(LINK_COOKIE, "")

    def _path_and_query(self) -> str:
        """This page's path with its query, e.g. ``/factura?numero=F%2F1``."""
        parts = urlsplit(str(self.router.url))
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _query(self, name: str) -> str:
        value = self.router.url.query_parameters.get(name, "")
        return value if isinstance(value, str) else ""

    def _flash(self) -> tuple[str, str]:
        """``(error, notice)``: the message a form's redirect brought, by its tone."""
        flash = read_flash(get_settings().secret_key, self._query(QUERY_KEY))
        if flash is None:
            return "", ""
        return (flash.text, "") if flash.tone == "red" else ("", flash.text)


def _private_state_classes(cls: type[rx.State] = AuthState) -> list[type[rx.State]]:
    found = [cls]
    for sub in cls.get_substates():
        found.extend(_private_state_classes(sub))
    return found


#: Reflex's own bookkeeping of a navigation, on its leaf state: the event that
#: queues the page's on_load handlers, and the one that flips ``is_hydrated``
#: after them. They read nothing private and change no private var; the
#: on_load handlers they queue are events of their own, each guarded. Not
#: looking the session up for them halves the lookups of a filter change
#: (apply_filters, on_load_internal, open_list, set_is_hydrated).
BOOKKEEPING_EVENTS = frozenset(
    f"{OnLoadInternalState.get_full_name()}.{handler}"
    for handler in ("on_load_internal", "set_is_hydrated")
)


def asked_customer(router_data: dict | None) -> str | None:
    """The ``?cliente=`` of the page, from the state's router data; None if absent or odd.

    The state's, not the event's: Reflex merges each event's router data into
    the state, and an event may carry only what changed. Only a hint: the
    viewer honours it for a customer the person is linked to.
    """
    query = (router_data or {}).get("query") or {}
    code = query.get(CUSTOMER_PARAM) if isinstance(query, dict) else None
    return code[:CUSTOMER_CODE_LENGTH] if isinstance(code, str) else None


class SessionGuard(Middleware):
    """Before every event: resolve the caller, and forget data loaded for anyone else."""

    async def preprocess(self, app, state, event):
        """Look the connection's session up; reset private states if it changed owner."""
        if event.name in BOOKKEEPING_EVENTS or event.name in EVENTS_WITHOUT_DATABASE:
            _viewer.set(None)  # nobody, should anything private ever run here
            if event.name in EVENTS_WITHOUT_DATABASE:
                await _use_language(state, None)
            return None
        token = connection_cookies(state).get(SESSION_COOKIE, "")
        code = asked_customer(state.router_data)
        try:
            viewer = await asyncio.to_thread(find_viewer, token, code) if token else None
        except sa.exc.DBAPIError as exc:
            if is_unreachable(exc):
                # Nothing has run yet: safe to run again once the database is back
                # (the app's exception handler shows "Reintentando…" meanwhile).
                hold_for_retry(event)
            raise
        _viewer.set(viewer)
        await _use_language(state, viewer.account.language if viewer is not None else None)
        auth = await state.get_state(AuthState)
        # Data loaded for another session, or for another of the person's
        # customers, is forgotten before anything runs.
        owner = (
            f"{viewer.session_id}:{viewer.customer.id if viewer.customer else 0}"
            if viewer is not None
            else ""
        )
        if auth._owner != owner:
            for cls in _private_state_classes():
                (await state.get_state(cls)).reset()
            auth._owner = owner
        name = viewer.customer_name if viewer is not None else ""
        if auth.signed_in != (viewer is not None) or auth.customer_name != name:
            auth.signed_in, auth.customer_name = viewer is not None, name
        code = viewer.customer.code if viewer is not None and viewer.customer else ""
        several = viewer is not None and len(viewer.customers) > 1
        choices = [CustomerOption(c.code, c.name) for c in viewer.customers] if several else []
        # Assigned only when changed: an assignment is a delta sent to the browser.
        if auth.customer_code != code or auth.customer_choices != choices:
            auth.customer_code = code
            auth.customer_choices = choices
            auth.customer_query = f"?{urlencode({CUSTOMER_PARAM: code})}" if several else ""
        return None


async def _use_language(state: rx.State, saved: str | None) -> None:
    """This event speaks the person's saved language, else this browser's; the page follows."""
    code = choose_language(
        saved,
        connection_cookies(state).get(LANGUAGE_COOKIE),
        connection_header(state, "accept-language"),
    )
    set_language(code)
    language = await state.get_state(LanguageState)
    if language.lang != code:  # a delta only when it changes
        language.lang = code
