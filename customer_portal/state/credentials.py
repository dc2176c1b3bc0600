"""Modificar contraseña: the form behind Ver credenciales and restaurar contraseña.

The link's token arrives in an ``HttpOnly`` cookie (the link's landing route
moved it out of the URL). Opening the page only checks the link and shows
the form (mail scanners open every link); the link is spent when the form
is posted.
"""

from __future__ import annotations

import reflex as rx

from customer_portal.api.cookies import read_link_cookie
from customer_portal.domain import auth
from customer_portal.domain.tokens import TokenPurpose
from customer_portal.i18n import _
from customer_portal.settings import get_settings
from customer_portal.state.kit import in_session
from customer_portal.state.password_form import PasswordFormState


class CredentialsState(PasswordFormState):
    """Whether this browser's link works, and for what."""

    purpose: str = TokenPurpose.ACTIVATION.value
    link_ok: bool = True
    link_problem: str = ""

    async def _open(self, purpose: TokenPurpose):
        self.purpose = purpose.value
        self._open_form()
        link = read_link_cookie(self._link_cookie())
        if link is None or link[0] is not purpose:
            self.link_ok, self.link_problem = False, _(auth.LINK_INVALID)
            return
        result = await in_session(
            auth.preview_link, settings=get_settings(), purpose=purpose, token=link[1]
        )
        self.link_ok, self.link_problem = result.ok, result.message

    @rx.event
    async def open_activation(self):
        """on_load of the Ver credenciales form."""
        await self._open(TokenPurpose.ACTIVATION)

    @rx.event
    async def open_reset(self):
        """on_load of the restaurar contraseña form."""
        await self._open(TokenPurpose.PASSWORD_RESET)
