"""Entrar and ¿Has olvidado tu contraseña?: messages and the way on.

Both forms post to HTTP routes (customer_portal/api/accounts.py); these
states only show what the redirect brought back.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import reflex as rx

from customer_portal import routes
from customer_portal.domain.listing import clean_text
from customer_portal.i18n import _
from customer_portal.state.auth import AuthState


def why_sign_in(next_path: str) -> str:
    """Why Entrar is asked, when a link brought the customer here: "" if they came to sign in."""
    parts = urlsplit(next_path)
    if parts.path.rstrip("/") == routes.INVOICE_DETAIL:
        number = clean_text(parse_qs(parts.query).get("numero", [""])[0])
        if number:
            return _("Entre para ver la factura {number}; le llevaremos a ella.").format(
                number=number
            )
    if parts.path.rstrip("/") in ("", routes.INVOICES):
        return ""
    return _("Entre para continuar; le llevaremos a la página que pidió.")


class LoginState(AuthState):
    """Entrar: the message of a failed try, and where to go once signed in."""

    error: str = ""
    notice: str = ""
    #: Why Entrar is asked, for a customer who followed a link to a private page.
    reason: str = ""
    # Empty until the page has loaded: a form sent sooner (a fast typist, a slow
    # phone) posts no ``next``, and the route reads it from the page's address.
    next_path: str = ""

    @rx.event
    async def open_login(self):
        """on_load of Entrar: a signed-in customer goes straight on."""
        self.error, self.notice = self._flash()
        self.next_path = routes.safe_next(self._query("next"))
        self.reason = why_sign_in(self.next_path)
        if await self._current_account() is not None:
            return rx.redirect(self.next_path)
        return None


class HomeState(AuthState):
    """The home page sends a signed-in customer on to Mis facturas."""

    @rx.event
    async def open_home(self):
        """on_load of the home page."""
        if await self._current_account() is not None:
            return rx.redirect(routes.INVOICES)
        return None


class ForgotPasswordState(AuthState):
    """The answer to a request for a link (the same whatever the email)."""

    answer: str = ""

    @rx.event
    def open_form(self):
        """on_load: show the answer the redirect brought, if any."""
        self.answer = self._flash()[1]


class SecondFactorState(AuthState):
    """Entrar's second step: the message the code route sent back."""

    error: str = ""
    notice: str = ""

    @rx.event
    def open_code(self):
        """on_load: the message of the redirect (a wrong code, or the password step's)."""
        self.error, self.notice = self._flash()
