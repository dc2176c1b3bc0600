"""Mi cuenta: the password form's checklist and messages, the open sessions."""

from __future__ import annotations

import asyncio

import reflex as rx
from sqlmodel import Session

from customer_portal import routes
from customer_portal.db import get_engine, session_scope
from customer_portal.domain import formats
from customer_portal.domain.sessions import end_other_sessions, live_sessions
from customer_portal.state.password_form import PasswordFormState


def _sessions(account_id: int, token: str) -> list[dict[str, str]]:
    with Session(get_engine()) as session:
        rows = live_sessions(session=session, account_id=account_id, current_token=token)
    return [
        {
            "id": str(row.id),
            "device": row.user_agent[:80] or "Navegador desconocido",
            "ip": row.ip or "—",
            "since": formats.timestamp(row.created_at),
            "last_seen": formats.timestamp(row.last_seen_at),
            "current": "yes" if row.current else "",
        }
        for row in rows
    ]


def _end_others(account_id: int, token: str) -> int:
    with session_scope(get_engine()) as session:
        return end_other_sessions(session=session, account_id=account_id, keep_token=token)


class AccountState(PasswordFormState):
    """The customer's open sessions; the password form posts to the server."""

    sessions: list[dict[str, str]] = []

    @rx.event
    async def open_account(self):
        """on_load of Mi cuenta: the sessions, and what a password change answered."""
        self._open_form()
        account = await self._current_account()
        if account is None:
            return rx.redirect(routes.login(routes.ACCOUNT))
        self.sessions = await asyncio.to_thread(_sessions, account.id, self._session_token())
        return None

    @rx.event
    async def close_other_sessions(self):
        """End every session of this account but this browser's."""
        account = await self._current_account()
        if account is None:
            return rx.redirect(routes.login(routes.ACCOUNT))
        token = self._session_token()
        closed = await asyncio.to_thread(_end_others, account.id, token)
        self.error = ""
        self.notice = (
            f"Se han cerrado {closed} sesiones." if closed != 1 else "Se ha cerrado 1 sesión."
        )
        self.sessions = await asyncio.to_thread(_sessions, account.id, token)
        return None
