"""The audit trail: who did what, when and from where."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from customer_portal.driver_sql import DriverStatement, DriverTransaction
from customer_portal.limits import AUDIT_ACTOR_LENGTH, AUDIT_SUBJECT_LENGTH
from customer_portal.models import AuditEvent, utcnow

# Built once: the statement, not just its SQL, costs time to build per event.
_INSERT = sa.insert(AuditEvent.__table__)  # type: ignore[attr-defined]
_COLUMNS = ("at", "actor", "action", "subject", "ip", "detail")


def record_event(
    *,
    session: Session,
    actor: str,
    action: str,
    subject: str | None = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an event to ``session``'s transaction; it commits with the change it describes.

    A plain INSERT on the session's connection, not an ORM object: an event
    is never read back in the transaction that writes it, and building and
    flushing a model object cost more than the INSERT (one per download).

    Args:
        session: the unit of work of the change being recorded.
        actor: who did it (an email, ``cli``, an API client); cut to the column.
        action: what happened, e.g. ``invoice.published``.
        subject: what it happened to (an invoice number); cut to the column.
        ip: the client address, if any (already cut to the column by the caller).
        detail: anything else worth keeping, stored as JSON.
    """
    session.connection().execute(_INSERT, _event(actor, action, subject, ip, detail))


# record_event()'s INSERT for a download's transaction (customer_portal.driver_sql).
_INSERT_ON_DRIVER = DriverStatement(_INSERT, column_keys=_COLUMNS)


def record_event_in(
    transaction: DriverTransaction,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """:func:`record_event`, in a transaction on the driver (:mod:`customer_portal.driver_sql`)."""
    transaction.execute(_INSERT_ON_DRIVER, _event(actor, action, subject, ip, detail))


def insert_for_each(
    *,
    actor: sa.ColumnElement[str],
    action: str,
    subject: sa.ColumnElement[str],
    where: sa.ColumnElement[bool],
) -> sa.Insert:
    """:func:`record_event`'s INSERT, once for each row a query finds, in the query's statement.

    For a statement that reads and records at once (a CTE of the download's
    single statement): ``actor`` and ``subject`` are columns of the query,
    cut to the columns as :func:`record_event` cuts them. Bind ``at``,
    ``ip`` and ``detail`` with :func:`values_for_each`.
    """
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    rows = sa.select(
        sa.bindparam("at", type_=table.c.at.type),
        sa.func.substr(actor, 1, AUDIT_ACTOR_LENGTH),
        sa.literal(action, type_=table.c.action.type),
        sa.func.substr(subject, 1, AUDIT_SUBJECT_LENGTH),
        sa.bindparam("ip", type_=table.c.ip.type),
        sa.bindparam("detail", type_=table.c.detail.type),
    ).where(where)
    return sa.insert(table).from_select(list(_COLUMNS), rows)


def values_for_each(ip: str | None, detail: dict[str, Any] | None) -> dict[str, Any]:
    """The values an :func:`insert_for_each` statement binds: when, from where, what else."""
    return {
        "at": utcnow(),
        "ip": ip,
        "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    }


def _event(
    actor: str, action: str, subject: str | None, ip: str | None, detail: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        **values_for_each(ip, detail),
        "actor": actor[:AUDIT_ACTOR_LENGTH],
        "action": action,
        "subject": subject[:AUDIT_SUBJECT_LENGTH] if subject else None,
    }
