"""Entrar and ¿Has olvidado tu contraseña?"""

from __future__ import annotations

import asyncio

import reflex as rx

from customer_portal import routes
from customer_portal.db import get_engine
from customer_portal.domain import auth
from customer_portal.settings import get_settings
from customer_portal.state.auth import AuthState

FORGOT_ANSWER = (
    "Si el correo está registrado, recibirás un enlace para restablecer tu contraseña. "
    "Revisa también la carpeta de correo no deseado."
)
ACTIVATION_ANSWER = (
    "Si el correo tiene un alta pendiente, recibirás un nuevo enlace de «Ver credenciales»."
)


def _text(form_data: dict, name: str, limit: int = 256) -> str:
    value = form_data.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


class LoginState(AuthState):
    error: str = ""
    notice: str = ""

    @rx.event
    async def open_login(self):
        """on_load of Entrar: a signed-in customer goes straight on."""
        self.error = ""
        self.notice = ""
        if await self._current_account() is not None:
            return rx.redirect(routes.safe_next(self._query("next")))
        return None

    @rx.event
    async def submit(self, form_data: dict):
        if not isinstance(form_data, dict):
            return None
        result = await asyncio.to_thread(
            auth.log_in,
            get_engine(),
            get_settings(),
            email=_text(form_data, "email"),
            password=_text(form_data, "password"),
            ip=self._client_ip(),
            user_agent=self._user_agent(),
        )
        if not result.ok:
            self.error = result.message
            return rx.set_value("password", "")
        self.error = ""
        self.session_token = result.session_token
        return rx.redirect(routes.safe_next(self._query("next")))


class ForgotPasswordState(AuthState):
    answer: str = ""

    @rx.event
    def open_form(self):
        self.answer = ""

    @rx.event
    async def submit(self, form_data: dict):
        if not isinstance(form_data, dict):
            return
        await asyncio.to_thread(
            auth.request_password_reset,
            get_engine(),
            get_settings(),
            email=_text(form_data, "email"),
            ip=self._client_ip(),
        )
        self.answer = FORGOT_ANSWER

    @rx.event
    async def request_new_link(self, form_data: dict):
        """From a dead link's page: a new activation or reset link, as it was."""
        if not isinstance(form_data, dict):
            return
        if form_data.get("purpose") != "activation":
            await self.submit(form_data)
            return
        await asyncio.to_thread(
            auth.request_new_activation_link,
            get_engine(),
            get_settings(),
            email=_text(form_data, "email"),
            ip=self._client_ip(),
        )
        self.answer = ACTIVATION_ANSWER
