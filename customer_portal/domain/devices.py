"""The browsers a person has signed in from, so a sign-in from a new one can be told.

Each browser keeps a random token in the long-lived ``portal_device`` cookie
(set by the sign-in routes); the database keeps its SHA-256 per account. A
sign-in whose browser shows no token this account knows is from a new device:
the person is emailed about it, unless it is the account's very first
device (the Alta itself, or the first sign-in after this existed), where an
email would only be noise.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from customer_portal.models import KnownDevice, utcnow

#: The browser cookie holding the device token.
DEVICE_COOKIE = "portal_device"
#: How long a browser stays known without signing in.
DEVICE_LIFETIME = timedelta(days=400)
# What our tokens look like (token_urlsafe(32)); anything else is ignored.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class DeviceCheck:
    """What a sign-in learnt about its browser.

    Attributes:
        token: the device token the browser's cookie should hold from now on.
        new: the account had known devices and this is not one of them.
    """

    token: str
    new: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def recognise_device(*, session: Session, account_id: int, token: str | None) -> DeviceCheck:
    """Record this sign-in's browser for ``account_id``; say whether it was new to the account.

    A browser that brings a well-formed token keeps it (one browser, shared by
    two people, is known to each account separately); one without gets a new
    one. Joins the caller's unit of work.

    Args:
        session: the sign-in's unit of work.
        account_id: who signed in.
        token: the ``portal_device`` cookie the browser sent, if any.
    """
    if token is None or not _TOKEN.fullmatch(token):
        token = secrets.token_urlsafe(32)
    now = utcnow()
    row = session.exec(
        select(KnownDevice).where(
            col(KnownDevice.account_id) == account_id,
            col(KnownDevice.token_hash) == _hash(token),
        )
    ).first()
    if row is not None and row.last_seen_at > now - DEVICE_LIFETIME:
        row.last_seen_at = now
        session.add(row)
        return DeviceCheck(token, new=False)
    had_any = (
        session.exec(
            select(KnownDevice.id).where(col(KnownDevice.account_id) == account_id).limit(1)
        ).first()
        is not None
    )
    if row is None:
        session.add(KnownDevice(account_id=account_id, token_hash=_hash(token)))
    else:
        row.last_seen_at = now  # known once, too long ago: new again, same row
        session.add(row)
    return DeviceCheck(token, new=had_any)
