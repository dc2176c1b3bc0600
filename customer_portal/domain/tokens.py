"""Signed, expiring links for activation and password reset (itsdangerous).

Each token names an account and carries a fingerprint of that account's
password state (an HMAC, never the hash itself: the payload is readable).
Activating or changing the password changes the fingerprint, so every link
issued before dies at once: a link works once, and none survives a password
change by any route. Each purpose has its own salt, so an activation link is
worthless as a reset link and vice versa.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session

from customer_portal.models import Account


class TokenPurpose(StrEnum):
    """What a link is for; each purpose signs with its own salt.

    The values also travel in the link cookie and in stored emails, so they
    must not change.
    """

    ACTIVATION = "activation"
    PASSWORD_RESET = "password-reset"


class TokenError(Exception):
    """A link that cannot be used; ``reason`` is "expired" or "invalid"."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class TokenKeys:
    """Issues and checks account links, signed with the portal's secret key."""

    secret_key: str

    def _serializer(self, purpose: TokenPurpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self.secret_key,
            salt=f"customer-portal:{purpose.value}",
            signer_kwargs={"digest_method": hashlib.sha256},
        )

    def fingerprint(self, account: Account) -> str:
        """Changes whenever the account's password state or email changes."""
        state = "|".join(
            str(part or "")
            for part in (
                account.id,
                account.email,
                account.password_hash,
                account.activated_at.isoformat() if account.activated_at else None,
                account.password_changed_at.isoformat() if account.password_changed_at else None,
            )
        )
        key = hashlib.sha256(f"fingerprint:{self.secret_key}".encode()).digest()
        return hmac.new(key, state.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, purpose: TokenPurpose, account: Account) -> str:
        """A signed, timestamped token for ``account``'s ``purpose`` link.

        It stops working once the account's password state changes (see
        :meth:`fingerprint`); its age is checked when it is redeemed.
        """
        return self._serializer(purpose).dumps({"a": account.id, "f": self.fingerprint(account)})

    def redeem(
        self, *, session: Session, purpose: TokenPurpose, token: str, max_age_seconds: int
    ) -> Account:
        """The account a still-valid token names (reads only).

        Args:
            session: where to read the account.
            purpose: what the token must have been issued for.
            token: the token from the link.
            max_age_seconds: how old the token may be.

        Returns:
            The account, as it is now.

        Raises:
            TokenError: tampered, for another purpose, expired, or already used.
        """
        try:
            payload = self._serializer(purpose).loads(token, max_age=max_age_seconds)
        except SignatureExpired:
            raise TokenError("expired") from None
        except BadSignature:
            raise TokenError("invalid") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("a"), int):
            raise TokenError("invalid")
        account = session.get(Account, payload["a"])
        if account is None or not hmac.compare_digest(
            str(payload.get("f", "")), self.fingerprint(account)
        ):
            raise TokenError("invalid")
        return account
