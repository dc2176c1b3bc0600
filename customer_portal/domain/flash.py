"""One-time messages carried by a redirect: "wrong password", "password changed".

The account forms post to HTTP routes, which answer with a redirect back to a
page; the message for the customer travels in that URL (``?aviso=...``),
signed, so nobody can craft a link that makes the portal say something it
never said, and short-lived, so an old bookmark shows nothing. It holds only
text from this code, never what the customer typed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

QUERY_KEY = "aviso"
MAX_AGE_SECONDS = 300
TONES = ("red", "green", "amber")


@dataclass(frozen=True)
class Flash:
    """A message for the page a redirect leads to."""

    text: str
    tone: str = "red"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret_key, salt="customer-portal:flash", signer_kwargs={"digest_method": hashlib.sha256}
    )


def sign_flash(secret_key: str, flash: Flash) -> str:
    """The ``aviso`` query value for ``flash``."""
    return _serializer(secret_key).dumps([flash.text, flash.tone])


def read_flash(secret_key: str, value: str) -> Flash | None:
    """The message in an ``aviso`` value; None if absent, forged, expired or malformed."""
    if not value or len(value) > 2000:
        return None
    try:
        text, tone = _serializer(secret_key).loads(value, max_age=MAX_AGE_SECONDS)
    except (BadSignature, TypeError, ValueError):
        return None
    if not isinstance(text, str) or tone not in TONES:
        return None
    return Flash(text=text, tone=tone)
