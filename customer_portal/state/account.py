"""Mi cuenta: change the password, see the open sessions, close the others."""

from __future__ import annotations

import asyncio

import reflex as rx
from sqlmodel import Session

from customer_portal import routes
from customer_portal.db import get_engine, session_scope
from customer_portal.domain import auth, formats
from customer_portal.domain.sessions import end_other_sessions, live_sessions
from customer_portal.settings import get_settings
from customer_portal.state.password_form import PasswordFormState


def _sessions(account_id: int, token: str) -> list[dict[str, str]]:
    with Session(get_engine()) as session:
        rows = live_sessions(session, account_id, current_token=token)
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
        return end_other_sessions(session, account_id, keep_token=token)


class AccountState(PasswordFormState):
    current_password: str = ""
    sessions: list[dict[str, str]] = []
    notice: str = ""

    @rx.event
    def set_current_password(self, value: str):
        self.current_password = str(value)[:256]

    @rx.event
    async def open_account(self):
        self.notice = self.error = ""
        account = await self._current_account()
        if account is None:
            self.sessions = []
            return rx.redirect(routes.login(routes.ACCOUNT))
        self.sessions = await asyncio.to_thread(_sessions, account.id, self.session_token)
        return None

    @rx.event
    async def change_password(self):
        account = await self._current_account()
        if account is None:
            return rx.redirect(routes.login(routes.ACCOUNT))
        result = await asyncio.to_thread(
            auth.change_password,
            get_engine(),
            get_settings(),
            account_id=account.id,
            current=self.current_password,
            password=self.password,
            repeat=self.repeat,
            keep_token=self.session_token,
        )
        self.current_password = ""
        if not result.ok:
            self.error, self.notice = result.message, ""
            return None
        self._clear_passwords()
        self.error = ""
        self.notice = "Contraseña actualizada. Se han cerrado tus otras sesiones."
        self.sessions = await asyncio.to_thread(_sessions, account.id, self.session_token)
        return None

    @rx.event
    async def close_other_sessions(self):
        account = await self._current_account()
        if account is None:
            return rx.redirect(routes.login(routes.ACCOUNT))
        closed = await asyncio.to_thread(_end_others, account.id, self.session_token)
        self.notice = (
            f"Se han cerrado {closed} sesiones." if closed != 1 else "Se ha cerrado 1 sesión."
        )
        self.sessions = await asyncio.to_thread(_sessions, account.id, self.session_token)
        return None
