"""Who is asking: the session cookie, checked on the server for every page and handler.

The browser keeps only an opaque random token (cookie ``portal_session``);
each protected handler resolves it against the database again, so a session
ended elsewhere (Salir, a password change, expiry) stops working at once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import urlsplit

import reflex as rx
from sqlmodel import Session

from customer_portal import routes
from customer_portal.db import get_engine, session_scope
from customer_portal.domain.sessions import SESSION_COOKIE, end_session, resume_session
from customer_portal.models import Account, Customer
from customer_portal.settings import get_settings

_settings = get_settings()


def _lookup(token: str) -> tuple[Account, str] | None:
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    with Session(get_engine()) as session:
        account = resume_session(session, token, idle=idle)
        if account is None:
            return None
        customer = session.get(Customer, account.customer_id)
        return account, customer.name if customer else account.email


class AuthState(rx.State):
    """The base of every state that needs to know the signed-in customer."""

    session_token: str = rx.Cookie(
        "",
        name=SESSION_COOKIE,
        path="/",
        max_age=7 * 24 * 3600,
        same_site="strict",
        secure=_settings.base_url.startswith("https://"),
    )
    signed_in: bool = False
    customer_name: str = ""

    async def _current_account(self) -> Account | None:
        """The account of this browser's live session, from the database, now."""
        found = await asyncio.to_thread(_lookup, self.session_token)
        if found is None:
            self.signed_in, self.customer_name = False, ""
            return None
        account, name = found
        self.signed_in, self.customer_name = True, name
        return account

    def _path_and_query(self) -> str:
        """This page's path with its query, e.g. ``/factura?numero=F%2F1``."""
        parts = urlsplit(str(self.router.url))
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _query(self, name: str) -> str:
        value = self.router.url.query_parameters.get(name, "")
        return value if isinstance(value, str) else ""

    def _last_path_segment(self) -> str:
        return urlsplit(str(self.router.url)).path.rstrip("/").rsplit("/", 1)[-1]

    def _client_ip(self) -> str | None:
        return self.router.session.client_ip or None

    def _user_agent(self) -> str | None:
        return self.router.headers.user_agent or None

    @rx.event
    async def log_out(self):
        token = self.session_token
        if token:
            await asyncio.to_thread(_end, token)
        self.session_token = ""
        self.signed_in, self.customer_name = False, ""
        return rx.redirect(routes.LOGIN)


def _end(token: str) -> None:
    with session_scope(get_engine()) as session:
        end_session(session, token)
