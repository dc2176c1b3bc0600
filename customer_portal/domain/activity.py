"""What a person can see of their own account's activity (Mi cuenta, "Actividad reciente").

Read from the audit trail: the events whose actor is the person's email
(sign-ins, failed attempts with their email, downloads, password changes),
newest first, each with the device and the place it came from as far as
they are known. It shows a customer what only they should have done, so
they can say "No he sido yo".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from customer_portal.domain.places import place_of
from customer_portal.domain.sessions import device_name
from customer_portal.i18n import N_, _
from customer_portal.models import AuditEvent

#: How many events Mi cuenta lists.
ACTIVITY_LIMIT = 20

#: The events a person sees, in their words (msgids, translated when listed);
#: ``{subject}`` is the event's subject.
_WORDS: dict[str, tuple[str, bool]] = {
    "login.succeeded": (N_("Inicio de sesión"), True),
    "login.failed": (N_("Intento de entrar con una contraseña incorrecta"), False),
    "invoice.downloaded": (N_("Descarga de la factura {subject}"), True),
    "password.changed": (N_("Cambio de contraseña"), True),
    "password.reset": (N_("Contraseña restablecida desde el email"), True),
    "account.activated": (N_("Alta: contraseña elegida"), True),
    "password.reset_requested": (
        N_("Petición de un enlace para restablecer la contraseña"),
        True,
    ),
    "notifications.changed": (N_("Cambio de los avisos por email"), True),
    "account.not_me": (N_("«No he sido yo»: sesiones cerradas y contraseña anulada"), True),
    "second_factor.enabled": (N_("Verificación en dos pasos activada"), True),
    "second_factor.disabled": (N_("Verificación en dos pasos desactivada"), True),
}
SHOWN_ACTIONS = tuple(_WORDS)


@dataclass(frozen=True)
class ActivityItem:
    """One event as Mi cuenta lists it.

    Attributes:
        at: when (UTC).
        what: what happened, in the current language.
        device: the browser and system ("Chrome en Linux"), "" if not recorded.
        place: "Sevilla, España", "Red local", or "" when not known.
        ip: the client address, "" if none.
        ok: False for what went wrong (a failed sign-in).
    """

    at: datetime
    what: str
    device: str
    place: str
    ip: str
    ok: bool


def user_agent_detail(user_agent: str | None) -> dict[str, str] | None:
    """The audit ``detail`` that lets the activity name the device later."""
    return {"user_agent": user_agent[:300]} if user_agent else None


def recent_activity(
    *, session: Session, email: str, geoip_database: Path | None, limit: int = ACTIVITY_LIMIT
) -> list[ActivityItem]:
    """The latest events of the person whose login is ``email``, newest first."""
    rows = session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.actor) == email, col(AuditEvent.action).in_(SHOWN_ACTIONS))
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    ).all()
    items = []
    for row in rows:
        words, ok = _WORDS[row.action]
        user_agent = _user_agent(row.detail)
        items.append(
            ActivityItem(
                at=row.at,
                what=_(words).format(subject=row.subject or ""),
                device=device_name(user_agent) if user_agent else "",
                place=place_of(row.ip, geoip_database),
                ip=row.ip or "",
                ok=ok,
            )
        )
    return items


def _user_agent(detail: str | None) -> str:
    if not detail:
        return ""
    try:
        value = json.loads(detail).get("user_agent", "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""
