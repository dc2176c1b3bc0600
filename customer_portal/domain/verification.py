"""Each invoice's verification code, like the public sector's "código seguro de verificación".

Anyone holding one of our invoices (the customer's accountant, an auditor, a
tax inspector) types the code printed on it, or scans its QR, at
``/verificar`` and sees, without an account, whether the invoice exists and
what it says. So the code is the key to that page: 100 random bits (far past
the 80 asked for: guessing one of a million invoices' codes at a thousand
tries a second would take longer than the universe has existed), written in
Crockford's base 32, which has no I, L, O or U to misread, in five groups of
four to read aloud: ``7KQ2-9XMD-4H1B-ZC0R-W5TE``.

Typing is forgiving: case, spaces, dashes and the letters people confuse
with digits (O for 0, I and L for 1) are all taken. What is stored and
looked up is the bare 20 characters.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from customer_portal.domain.status import InvoiceStatus, invoice_status
from customer_portal.i18n import N_, ngettext
from customer_portal.models import Invoice, PublicLookup

if TYPE_CHECKING:
    from customer_portal.domain.invoice_input import InvoiceData

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Characters of a code (5 bits each: 100 bits).
LENGTH = 20
GROUP = 4
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_IGNORED = " -._\t"


def new_code() -> str:
    """A fresh random code, bare (see :func:`grouped` to print it)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def grouped(code: str) -> str:
    """``code`` in groups of four, as printed and shown: ``7KQ2-9XMD-4H1B-ZC0R-W5TE``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize(typed: str) -> str | None:
    """The bare code a person meant by ``typed``, or None if it cannot be one."""
    if len(typed) > 3 * LENGTH:
        return None
    bare = "".join(ch for ch in typed.upper() if ch not in _IGNORED)
    bare = "".join(_READ_AS.get(ch, ch) for ch in bare)
    if len(bare) != LENGTH or any(ch not in ALPHABET for ch in bare):
        return None
    return bare


def with_code(data: InvoiceData) -> InvoiceData:
    """``data`` with a new code, unless it already has one (the PDF prints it)."""
    return data if data.verification_code else replace(data, verification_code=new_code())


# --- /verificar: looking a code up, for anyone, a limited number of times ---------

#: Checks one address may make at /verificar (codes, uploads, originals) per window.
LOOKUP_LIMIT = 100
LOOKUP_WINDOW = timedelta(minutes=10)
# What a code that cannot be one is looked up as: "U" is not in the alphabet, so
# no invoice has it, and a typo costs the same query (and time) as an unknown code.
_NO_CODE = "U" * LENGTH

#: The answer to a code no invoice has (a msgid: shown as ``_(NOT_FOUND)``).
NOT_FOUND = N_(
    "No hay ninguna factura con ese código. Compruebe que lo ha escrito tal como "
    "aparece en la factura."
)


def too_many_lookups(wait: timedelta) -> str:
    """The answer to an address over its limit, with the whole minutes it waits."""
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return ngettext(
        "Demasiadas comprobaciones desde su conexión. Espere {n} minuto antes de volver a "
        "intentarlo.",
        "Demasiadas comprobaciones desde su conexión. Espere {n} minutos antes de volver a "
        "intentarlo.",
        minutes,
    ).format(n=minutes)


@dataclass(frozen=True)
class VerifiedInvoice:
    """What /verificar shows of an invoice: nothing about the customer."""

    invoice_id: int
    number: str
    issue_date: date
    total_cents: int
    currency: str
    status: InvoiceStatus
    code: str


def admit_lookup(*, session: Session, ip: str | None, now: datetime) -> timedelta | None:
    """Count one check from ``ip``; or, over the limit, how long it waits (not counted).

    Every row older than the window goes as it goes (whatever its address:
    addresses that never come back must not pile up), so the table holds no
    more than the last window's checks.
    """
    address = (ip or "unknown")[:64]
    since = now - LOOKUP_WINDOW
    recent = session.exec(
        select(PublicLookup.at)
        .where(PublicLookup.ip == address, col(PublicLookup.at) > since)
        .order_by(col(PublicLookup.at))
        .limit(LOOKUP_LIMIT)
    ).all()
    if len(recent) >= LOOKUP_LIMIT:
        return recent[0] + LOOKUP_WINDOW - now
    session.execute(sa.delete(PublicLookup).where(col(PublicLookup.at) <= since))
    session.add(PublicLookup(ip=address, at=now))
    return None


def find_by_code(*, session: Session, typed: str) -> VerifiedInvoice | None:
    """The invoice whose code ``typed`` is (forgivingly read), or None: one query either way."""
    code = normalize(typed) or _NO_CODE
    row = session.exec(
        select(
            Invoice.id,
            Invoice.number,
            Invoice.issue_date,
            Invoice.total_cents,
            Invoice.paid_cents,
            Invoice.currency,
        ).where(Invoice.verification_code == code)
    ).first()
    if row is None:
        return None
    invoice_id, number, issued, total, paid, currency = row
    return VerifiedInvoice(
        invoice_id=invoice_id,
        number=number,
        issue_date=issued,
        total_cents=total,
        currency=currency,
        status=invoice_status(total, paid),
        code=code,
    )
