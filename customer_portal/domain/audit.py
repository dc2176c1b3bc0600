"""The audit trail: who did what, when and from where."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from customer_portal.models import AuditEvent


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an event to ``session``; it commits with the change it describes."""
    session.add(
        AuditEvent(
            actor=actor[:120],
            action=action,
            subject=subject[:200] if subject else None,
            ip=ip,
            detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
        )
    )
