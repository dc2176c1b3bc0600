"""Mi cuenta: the password form's checklist and messages, email choices, the open sessions."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from customer_portal.domain import formats, second_factor
from customer_portal.domain.activity import recent_activity
from customer_portal.domain.sessions import end_other_sessions, live_sessions
from customer_portal.i18n import ngettext
from customer_portal.models import Account
from customer_portal.settings import get_settings
from customer_portal.state.kit import in_read_session, in_session, signed_in
from customer_portal.state.password_form import PasswordFormState


@dataclass(frozen=True)
class SessionView:
    """One open session as Mi cuenta lists it."""

    device: str
    ip: str
    since: str
    last_seen: str
    current: bool


@dataclass(frozen=True)
class ActivityView:
    """One event of the account's recent activity as Mi cuenta lists it."""

    when: str
    what: str
    device: str
    place: str
    ok: bool


class AccountState(PasswordFormState):
    """The customer's open sessions; the password form posts to the server."""

    sessions: list[SessionView] = []
    #: Verificación en dos pasos: on or off, required by the customer, codes left.
    second_factor_on: bool = False
    second_factor_required: bool = False
    recovery_codes_left: int = 0
    #: Actividad reciente: sign-ins, downloads, password changes, newest first.
    activity: list[ActivityView] = []
    #: "Avisos por email", as saved: the form's initial ticks.
    new_invoices: bool = True
    attach_pdf: bool = False
    #: Changes once the saved choices are loaded, to remount the (native) form with them.
    preferences_key: str = ""
    #: The zone of the times in the table, named once in its caption.
    zone_label: str = ""

    async def _load_sessions(self, account: Account) -> None:
        rows = await in_session(
            live_sessions, account_id=account.id, current_token=self._session_token()
        )
        zone_name = get_settings().timezone
        self.zone_label = formats.zone_name(zone_name)
        self.sessions = [
            SessionView(
                device=row.device,
                ip=row.ip or "—",
                since=formats.timestamp(row.created_at, zone_name, zone=False),
                last_seen=formats.timestamp(row.last_seen_at, zone_name, zone=False),
                current=row.current,
            )
            for row in rows
        ]

    @rx.event
    @signed_in
    async def open_account(self, account: Account):
        """on_load of Mi cuenta: choices, sessions, activity, and what a form answered."""
        self._open_form()
        self.new_invoices = account.notify_new_invoices
        self.attach_pdf = account.attach_pdf
        self.preferences_key = f"{int(self.new_invoices)}{int(self.attach_pdf)}"
        await self._load_sessions(account)
        await self._load_activity(account)
        await self._load_second_factor(account)

    async def _load_second_factor(self, account: Account) -> None:
        self.second_factor_on = second_factor.enabled(account)
        self.second_factor_required = await in_read_session(
            second_factor.required_for, account=account
        )
        self.recovery_codes_left = await in_read_session(
            second_factor.recovery_codes_left, account_id=account.id
        )

    async def _load_activity(self, account: Account) -> None:
        settings = get_settings()
        items = await in_read_session(
            recent_activity, email=account.email, geoip_database=settings.geoip_database
        )
        self.activity = [
            ActivityView(
                when=formats.timestamp(item.at, settings.timezone, zone=False),
                what=item.what,
                device=item.device or "—",
                # The address beside the place: a customer may know their office's.
                place=", ".join(part for part in (item.place, item.ip) if part) or "—",
                ok=item.ok,
            )
            for item in items
        ]

    @rx.event
    @signed_in
    async def close_other_sessions(self, account: Account):
        """End every session of this account but this browser's."""
        closed = await in_session(
            end_other_sessions, account_id=account.id, keep_token=self._session_token()
        )
        self.error = ""
        self.notice = ngettext(
            "Se ha cerrado {n} sesión.", "Se han cerrado {n} sesiones.", closed
        ).format(n=closed)
        await self._load_sessions(account)
