"""Builders for test input: invoices and payments as the billing system sends them."""

from __future__ import annotations

import copy
import itertools
from typing import Any

_numbers = itertools.count(1)


def make_customer(**overrides: Any) -> dict[str, Any]:
    customer = {
        "code": "CLI-TEST-1",
        "name": "José Muñoz Pérez",
        "tax_id": "12345678Z",
        "email": "jose.munoz@example.com",
        "address": "Calle Mayor 1\n35001 Las Palmas de Gran Canaria",
    }
    customer.update(overrides)
    return customer


def make_line(**overrides: Any) -> dict[str, Any]:
    line = {
        "description": "Fibra óptica 600 Mb",
        "quantity": "1",
        "unit_price": "39.90",
        "tax_name": "IGIC",
        "tax_rate": "7",
    }
    line.update(overrides)
    return line


def make_invoice(number: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid invoice; 39.90 + 7 % IGIC = 42.69 unless lines are given."""
    invoice = {
        "number": number or f"T-{next(_numbers):05d}",
        "issue_date": "2019-04-30",
        "due_date": "2019-05-30",
        "customer": make_customer(),
        "lines": [make_line()],
    }
    invoice.update(copy.deepcopy(overrides))
    return invoice


def make_payment(invoice_number: str, amount: str, reference: str, **overrides: Any):
    payment = {
        "invoice_number": invoice_number,
        "amount": amount,
        "paid_on": "2019-05-15",
        "reference": reference,
    }
    payment.update(overrides)
    return payment


def reset_process_caches() -> None:
    """Forget every process-wide object built from settings (they change per test)."""
    from customer_portal import db, settings
    from customer_portal.api import publishing
    from customer_portal.documents import signing

    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    signing.get_signer.cache_clear()
    publishing.get_publisher.cache_clear()


def queue_reset_email(engine) -> int:
    """Queue a Restablecer contraseña email in the outbox; its id."""
    from customer_portal.db import session_scope
    from customer_portal.mail.outbox import enqueue
    from customer_portal.mail.render import EmailKind

    with session_scope(engine) as session:
        row = enqueue(
            session,
            kind=EmailKind.PASSWORD_RESET,
            to="ana@example.com",
            context={"link": "http://x/restablecer/t", "expires": "hoy"},
            dedupe_key="k",
            domain="example.com",
        )
        session.flush()
        return row.id


def state_for(state_cls, *, client_ip: str = "127.0.0.1", session_id: str = ""):
    """A Reflex state as an event from ``client_ip`` on socket ``session_id`` would see it."""
    from reflex_base import constants

    state = state_cls(_reflex_internal_init=True)
    state._update_router_vars(
        {constants.RouteVar.CLIENT_IP: client_ip, constants.RouteVar.SESSION_ID: session_id}, {}
    )
    return state
