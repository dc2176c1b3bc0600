"""Entrar and ¿Has olvidado tu contraseña?: messages and the way on.

Both forms post to HTTP routes (customer_portal/api/accounts.py); these
states only show what the redirect brought back.
"""

from __future__ import annotations

import reflex as rx

from customer_portal import routes
from customer_portal.state.auth import AuthState


class LoginState(AuthState):
    """Entrar: the message of a failed try, and where to go once signed in."""

    error: str = ""
    notice: str = ""
    next_path: str = routes.INVOICES

    @rx.event
    async def open_login(self):
        """on_load of Entrar: a signed-in customer goes straight on."""
        self.error, self.notice = self._flash()
        self.next_path = routes.safe_next(self._query("next"))
        if await self._current_account() is not None:
            return rx.redirect(self.next_path)
        return None


class ForgotPasswordState(AuthState):
    """The answer to a request for a link (the same whatever the email)."""

    answer: str = ""

    @rx.event
    def open_form(self):
        """on_load: show the answer the redirect brought, if any."""
        self.answer = self._flash()[1]
