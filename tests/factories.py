"""Builders for tests: input as the billing system sends it, and rows in the database.

Input builders (``customer_input``, ``line_input``, ``invoice_input``,
``payment_input``) return plain dicts for the publisher and the HTTP API.

Row builders (``make_customer``, ``make_account``, ``make_invoice``,
``make_payment``) add rows to a session and flush them, so they have ids; the
caller's unit of work commits. Every argument has a sensible default, and
unique columns get unique values, so a test names only what it checks.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import secrets
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, select

from customer_portal.domain.money import compute_totals
from customer_portal.domain.passwords import hash_password
from customer_portal.models import (
    Account,
    Customer,
    CustomerAccess,
    Invoice,
    InvoiceLine,
    Payment,
    utcnow,
)

_numbers = itertools.count(1)
_rows = itertools.count(1)

#: Cost of the bcrypt hashes the row builders store: cheap, so tests stay fast.
TEST_BCRYPT_ROUNDS = 4


# --- Input, as the billing system sends it -----------------------------------------------


def customer_input(**overrides: Any) -> dict[str, Any]:
    """A valid customer of an invoice; ``overrides`` replace its fields."""
    customer = {
        "code": "CLI-TEST-1",
        "name": "José Muñoz Pérez",
        "tax_id": "12345678Z",
        "email": "jose.munoz@example.com",
        "address": "Calle Mayor 1\n35001 Las Palmas de Gran Canaria",
    }
    customer.update(overrides)
    return customer


def line_input(**overrides: Any) -> dict[str, Any]:
    """A valid invoice line (1 x 39.90 at 7 % IGIC); ``overrides`` replace its fields."""
    line = {
        "description": "Fibra óptica 600 Mb",
        "quantity": "1",
        "unit_price": "39.90",
        "tax_name": "IGIC",
        "tax_rate": "7",
    }
    line.update(overrides)
    return line


def invoice_input(number: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid invoice; 39.90 + 7 % IGIC = 42.69 unless lines are given."""
    invoice = {
        "number": number or f"T-{next(_numbers):05d}",
        "issue_date": "2019-04-30",
        "due_date": "2019-05-30",
        "customer": customer_input(),
        "lines": [line_input()],
    }
    invoice.update(copy.deepcopy(overrides))
    return invoice


def payment_input(invoice_number: str, amount: str, reference: str, **overrides: Any):
    """A valid payment of ``amount`` against ``invoice_number``."""
    payment = {
        "invoice_number": invoice_number,
        "amount": amount,
        "paid_on": "2019-05-15",
        "reference": reference,
    }
    payment.update(overrides)
    return payment


# --- Rows in the database ----------------------------------------------------------------


def _insert(session: Session, row):
    session.add(row)
    session.flush()
    return row


def make_customer(session: Session, /, **overrides: Any) -> Customer:
    """Insert a customer; its code and email are unique unless given.

    Args:
        session: the unit of work to add it to (flushed, not committed).
        **overrides: any :class:`~customer_portal.models.Customer` field.

    Returns:
        The customer, with its id.
    """
    n = next(_rows)
    values: dict[str, Any] = {
        "code": f"CLI-{n}",
        "name": "José Muñoz Pérez",
        "tax_id": "12345678Z",
        "email": f"cliente{n}@example.com",
    }
    values.update(overrides)
    return _insert(session, Customer(**values))


def make_account(
    session: Session,
    *,
    customer: Customer | None = None,
    email: str | None = None,
    password: str | None = None,
    activated: bool = True,
    **overrides: Any,
) -> Account:
    """Insert a login for ``customer`` (a new one if None).

    Args:
        session: the unit of work to add it to (flushed, not committed).
        customer: whose login it is; a new customer with ``email`` if None.
        email: the login's email; the customer's (lower-cased) if None.
        password: stored as a cheap bcrypt hash. An activated account without
            one gets the hash of a random password nobody knows.
        activated: activated (and its password set) now; False leaves an
            account waiting for its Alta link.
        **overrides: any other :class:`~customer_portal.models.Account` field.

    Returns:
        The account, with its id.
    """
    if customer is None:
        customer = make_customer(session, **({"email": email} if email else {}))
    if password is None and activated:
        password = secrets.token_urlsafe()
    values: dict[str, Any] = {
        "email": (email or customer.email).strip().lower(),
        "password_hash": (
            hash_password(password, rounds=TEST_BCRYPT_ROUNDS) if password is not None else None
        ),
    }
    if activated:
        values["activated_at"] = values["password_changed_at"] = utcnow()
    values.update(overrides)
    account = _insert(session, Account(**values))
    _insert(session, CustomerAccess(customer_id=customer.id, account_id=account.id))
    return account


def make_invoice(
    session: Session,
    /,
    *,
    customer: Customer | None = None,
    number: str | None = None,
    total: int | None = None,
    paid: int = 0,
    issue_date: date = date(2019, 4, 30),
    due_date: date | None = date(2019, 5, 30),
    currency: str = "EUR",
    lines: Sequence[dict[str, Any]] | None = None,
    **overrides: Any,
) -> Invoice:
    """Insert a published invoice, its lines and, if ``paid``, a payment.

    The totals always agree with the lines, as publication would store them.
    No signed PDF is stored: publish with a Publisher where a test needs one.

    Args:
        session: the unit of work to add it to (flushed, not committed).
        customer: whose invoice it is; a new customer if None.
        number: unique unless given.
        total: in cents; the invoice gets one untaxed line of that amount.
            Without it, the totals come from ``lines``.
        paid: in cents; recorded as one payment on the issue date.
        issue_date: the invoice's date.
        due_date: when it is due; None for none.
        currency: the ISO code.
        lines: :class:`~customer_portal.models.InvoiceLine` fields for each
            line (``amount_cents``, ``tax_name``, ``tax_rate_bp``...); one line of
            39.90 at 7 % IGIC (42.69 in all) if None.
        **overrides: any other :class:`~customer_portal.models.Invoice` field.

    Returns:
        The invoice, with its id.
    """
    if customer is None:
        customer = make_customer(session)
    number = number or f"F-{next(_rows):05d}"
    if total is not None:
        lines = [{"description": "Servicios", "amount_cents": total, "tax_rate_bp": 0}]
    elif lines is None:
        lines = [{}]
    line_rows = [
        InvoiceLine(
            **{
                "position": position,
                "description": "Fibra óptica 600 Mb",
                "quantity_milli": 1000,
                "unit_price_e4": 399000,
                "tax_name": "IGIC",
                "tax_rate_bp": 700,
                "amount_cents": 3990,
                **line,
            }
        )
        for position, line in enumerate(lines, start=1)
    ]
    totals = compute_totals((row.amount_cents, row.tax_name, row.tax_rate_bp) for row in line_rows)
    values: dict[str, Any] = {
        "number": number,
        "customer_id": customer.id,
        "issue_date": issue_date,
        "due_date": due_date,
        "currency": currency,
        "subtotal_cents": totals.subtotal_cents,
        "tax_cents": totals.tax_cents,
        "total_cents": totals.total_cents,
        "content_hash": hashlib.sha256(number.encode()).hexdigest(),
    }
    values.update(overrides)
    invoice = _insert(session, Invoice(**values))
    for row in line_rows:
        row.invoice_id = invoice.id
        session.add(row)
    if paid:
        make_payment(session, invoice=invoice, amount_cents=paid, paid_on=issue_date)
    session.flush()
    return invoice


def make_payment(
    session: Session,
    /,
    *,
    invoice: Invoice,
    amount_cents: int | None = None,
    paid_on: date | None = None,
    reference: str | None = None,
    **overrides: Any,
) -> Payment:
    """Insert a payment of ``amount_cents`` and add it to the invoice's ``paid_cents``.

    Args:
        session: the unit of work to add it to (flushed, not committed).
        invoice: what it pays.
        amount_cents: how much; the rest of the invoice if None.
        paid_on: when; the invoice's issue date if None.
        reference: unique unless given.

    Returns:
        The payment, with its id.
    """
    if amount_cents is None:
        amount_cents = invoice.total_cents - invoice.paid_cents
    payment = _insert(
        session,
        Payment(
            invoice_id=invoice.id,
            amount_cents=amount_cents,
            paid_on=paid_on or invoice.issue_date,
            reference=reference or f"PAGO-{next(_rows):05d}",
            **overrides,
        ),
    )
    invoice.paid_cents += amount_cents
    session.add(invoice)
    session.flush()
    return payment


def reset_process_caches() -> None:
    """Forget every process-wide object built from settings (they change per test)."""
    from customer_portal import db, driver_sql, settings
    from customer_portal.api import publishing
    from customer_portal.documents import signing

    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    if db.get_engine_that_never_waits.cache_info().currsize:  # its SQLite connections
        never_waits = db.get_engine_that_never_waits()
        if never_waits is not None:
            never_waits.dispose()
    db.get_engine_that_never_waits.cache_clear()
    driver_sql.close_idle_on_loop_connections()
    signing.get_signer.cache_clear()
    publishing.get_publisher.cache_clear()


def queue_reset_email(engine) -> int:
    """Queue a Restablecer contraseña email in the outbox; its id."""
    from customer_portal.db import unit_of_work
    from customer_portal.mail.outbox import enqueue
    from customer_portal.mail.render import EmailKind

    with unit_of_work(engine) as session:
        row = enqueue(
            session=session,
            kind=EmailKind.PASSWORD_RESET,
            to="ana@example.com",
            context={"link": "http://x/restablecer/t", "expires": "hoy"},
            dedupe_key="k",
            domain="example.com",
        )
        session.flush()
        return row.id


def state_for(state_cls, *, url: str = "/", client_ip: str = "127.0.0.1", session_id: str = ""):
    """A Reflex state as an event from a page at ``url`` (path and query) would see it.

    Args:
        state_cls: The state class, e.g. ``PaymentsState``.
        url: The page's path and query, e.g. ``/pagos?factura=A-1``.
        client_ip: The browser's address.
        session_id: The websocket's id.
    """
    from urllib.parse import parse_qsl

    from reflex_base import constants

    state = state_cls(_reflex_internal_init=True)
    path, _, query = url.partition("?")
    state._update_router_vars(
        {
            constants.RouteVar.CLIENT_IP: client_ip,
            constants.RouteVar.SESSION_ID: session_id,
            constants.RouteVar.PATH: path,
            constants.RouteVar.ORIGIN: url,
            constants.RouteVar.QUERY: dict(parse_qsl(query)),
        },
        {},
    )
    return state


def signed_in_as(account: Account | None, customer_code: str | None = None) -> None:
    """Make the next handler called in this task see ``account`` signed in (None: nobody).

    In the running portal, SessionGuard resolves the viewer from the session
    cookie (and the page's ``?cliente=``) before every event; a state test
    calls handlers directly, so it says who is asking here. The customers are
    the person's links, read from the portal's database.
    """
    from customer_portal.db import unit_of_work
    from customer_portal.domain.people import choose_customer, customers_of
    from customer_portal.state import auth

    viewer = None
    if account is not None:
        with unit_of_work(read_only=True) as session:
            customers = tuple(customers_of(session=session, account_id=account.id))
        viewer = auth.Viewer(
            session_id=account.id,
            account=account,
            token="test",
            customer=choose_customer(customers, customer_code),
            customers=customers,
        )
    auth._viewer.set(viewer)


def preview(engine, settings, purpose, token: str):
    """What opening the page of an account link answers (``auth.preview_link``)."""
    from customer_portal.db import run_in_unit_of_work
    from customer_portal.domain import auth

    return run_in_unit_of_work(
        auth.preview_link, engine=engine, settings=settings, purpose=purpose, token=token
    )


def first_customer(session: Session, account: Account) -> Customer:
    """The (first) customer ``account`` is a person of."""
    return session.exec(
        select(Customer)
        .join(CustomerAccess, CustomerAccess.customer_id == Customer.id)
        .where(CustomerAccess.account_id == account.id)
        .order_by(CustomerAccess.id)
    ).first()


def previous_totp(secret: str, *, margin: float = 5.0) -> str:
    """The code of the authenticator step before this one (accepted for clock drift).

    Fresh steps are left for what follows (a code works once), but a step
    boundary between computing this code and the server checking it made it
    two steps old and refused. So it is computed with at least ``margin``
    seconds of the current step left, waiting for the next step if need be.
    """
    import time

    import pyotp

    step = 30
    left = step - time.time() % step
    if left < margin:
        time.sleep(left + 0.05)
    return pyotp.TOTP(secret).at(time.time() - step)
