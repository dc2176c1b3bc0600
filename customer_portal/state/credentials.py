"""Modificar contraseña: the form behind Ver credenciales and restaurar contraseña.

Opening the link only checks it and shows the form (mail scanners open every
link); the link is spent when the form is submitted.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from customer_portal import routes
from customer_portal.db import get_engine
from customer_portal.domain import auth
from customer_portal.domain.tokens import TokenPurpose
from customer_portal.settings import get_settings
from customer_portal.state.password_form import PasswordFormState


class CredentialsState(PasswordFormState):
    email: str = ""
    purpose: str = TokenPurpose.ACTIVATION.value
    link_ok: bool = True
    link_problem: str = ""

    @rx.event
    def set_email(self, value: str):
        self.email = str(value)[:254]

    def _token(self) -> str:
        return self._last_path_segment()

    async def _open(self, purpose: TokenPurpose):
        self.purpose = purpose.value
        self.email, self.error = "", ""
        self._clear_passwords()
        result = await asyncio.to_thread(
            auth.preview_link, get_engine(), get_settings(), purpose=purpose, token=self._token()
        )
        self.link_ok, self.link_problem = result.ok, result.message

    @rx.event
    async def open_activation(self):
        await self._open(TokenPurpose.ACTIVATION)

    @rx.event
    async def open_reset(self):
        await self._open(TokenPurpose.PASSWORD_RESET)

    @rx.event
    async def submit(self):
        try:
            purpose = TokenPurpose(self.purpose)
        except ValueError:
            return None
        result = await asyncio.to_thread(
            auth.set_password_with_link,
            get_engine(),
            get_settings(),
            purpose=purpose,
            token=self._token(),
            email=self.email,
            password=self.password,
            repeat=self.repeat,
            ip=self._client_ip(),
            user_agent=self._user_agent(),
        )
        if not result.ok:
            self.error = result.message
            if result.message in (auth.LINK_INVALID, auth.LINK_EXPIRED):
                self.link_ok, self.link_problem = False, result.message
            return None
        self._clear_passwords()
        self.error = ""
        self.session_token = result.session_token
        return [
            rx.toast.success("Contraseña actualizada. Ya puedes consultar tus facturas."),
            rx.redirect(routes.INVOICES),
        ]
