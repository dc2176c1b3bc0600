"""Verificación en dos pasos: TOTP codes (RFC 6238) and single-use recovery codes.

- The secret is made on the server and shown once, as a QR for the person's
  authenticator app; it is stored encrypted (Fernet, with a key derived from
  ``PORTAL_SECRET_KEY``), so a copy of the database alone yields no secrets.
  Changing the secret key makes stored secrets unreadable: people then sign in
  with a recovery code or ask the operator to turn the factor off.
- It takes effect only once a code from the app is confirmed (a mistyped
  enrolment never locks anyone out).
- A code is accepted in its 30-second step or the one either side (clock
  drift), and never twice: the last accepted step is kept.
- Ten recovery codes, shown once, stored as HMACs; each works once.
- Sign-in: the password first, then the code, with the password's throttle
  (:mod:`customer_portal.domain.throttle`) counting wrong codes too. Between
  the two steps the browser holds a signed, five-minute challenge bound to the
  account's password state; no session exists until the code is right.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session, col, select

from customer_portal.domain.audit import record_event
from customer_portal.domain.tokens import TokenKeys
from customer_portal.models import Account, Customer, CustomerAccess, RecoveryCode, utcnow

RECOVERY_CODES = 10
#: How long the step between the password and the code may take.
CHALLENGE_SECONDS = 5 * 60
#: The browser cookie holding the challenge.
CHALLENGE_COOKIE = "portal_2fa"
_STEP_SECONDS = 30
# Unambiguous letters and digits for recovery codes: 10 of them, 50 bits.
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class SecondFactorKeys:
    """Encrypts TOTP secrets and signs challenges with keys derived from the secret key."""

    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key
        digest = hashlib.sha256(f"totp-secret:{secret_key}".encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._recovery_key = hashlib.sha256(f"recovery-code:{secret_key}".encode()).digest()
        self._challenges = URLSafeTimedSerializer(
            secret_key,
            salt="customer-portal:second-factor",
            signer_kwargs={"digest_method": hashlib.sha256},
        )

    def seal(self, secret: str) -> str:
        """``secret`` encrypted for the database."""
        return self._fernet.encrypt(secret.encode("ascii")).decode("ascii")

    def open(self, sealed: str | None) -> str | None:
        """The secret of a stored value; None if there is none or it cannot be read."""
        if not sealed:
            return None
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError):
            return None

    def recovery_hash(self, code: str) -> str:
        """What the database keeps of a recovery code."""
        return hmac.new(self._recovery_key, _normalise(code).encode(), hashlib.sha256).hexdigest()

    def issue_challenge(self, account: Account, next_path: str, *, enrol: bool) -> str:
        """The signed challenge a browser holds between the password and the code."""
        fingerprint = TokenKeys(self._secret_key).fingerprint(account)
        return self._challenges.dumps(
            {"a": account.id, "f": fingerprint, "n": next_path, "e": enrol}
        )

    def read_challenge(self, *, session: Session, token: str | None) -> Challenge | None:
        """The account and the way on a live challenge names; None if expired or forged."""
        if not token:
            return None
        try:
            payload = self._challenges.loads(token, max_age=CHALLENGE_SECONDS)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("a"), int):
            return None
        account = session.get(Account, payload["a"])
        if account is None or not hmac.compare_digest(
            str(payload.get("f", "")), TokenKeys(self._secret_key).fingerprint(account)
        ):
            return None
        return Challenge(account, str(payload.get("n") or ""), bool(payload.get("e")))


@dataclass(frozen=True)
class Challenge:
    """A password already checked, waiting for the second factor (or its enrolment)."""

    account: Account
    next_path: str
    enrol: bool


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def required_for(*, session: Session, account: Account) -> bool:
    """Whether any customer the person belongs to requires a second factor of its people."""
    return (
        session.exec(
            select(Customer.id)
            .join(CustomerAccess, col(CustomerAccess.customer_id) == col(Customer.id))
            .where(
                col(CustomerAccess.account_id) == account.id,
                col(Customer.requires_second_factor).is_(True),
            )
        ).first()
        is not None
    )


def enabled(account: Account) -> bool:
    """Whether the account signs in with a second factor."""
    return account.totp_enabled_at is not None and account.totp_secret is not None


@dataclass(frozen=True)
class Enrolment:
    """What the person's app needs: the secret as text and as an ``otpauth://`` URI."""

    secret: str
    uri: str

    @property
    def grouped(self) -> str:
        """The secret in groups of four, for typing it by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def start_enrolment(
    *, session: Session, account: Account, keys: SecondFactorKeys, issuer: str
) -> Enrolment:
    """The pending secret of ``account`` (made now if it has none), to show as a QR.

    Opening the page again shows the same secret, so a person who scanned it
    and reloaded is not left with a code that no longer matches.
    """
    secret = keys.open(account.totp_pending_secret)
    if secret is None:
        secret = pyotp.random_base32(32)
        account.totp_pending_secret = keys.seal(secret)
        session.add(account)
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=issuer)
    return Enrolment(secret, uri)


def _step_of(secret: str, code: str, now: datetime) -> int | None:
    """The step whose code ``code`` is (this one or one either side), or None."""
    digits = _normalise(code)
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // _STEP_SECONDS
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * _STEP_SECONDS), digits):
            return step
    return None


def confirm_enrolment(
    *, session: Session, account: Account, keys: SecondFactorKeys, code: str, ip: str | None
) -> list[str] | None:
    """Turn the factor on if ``code`` is right for the pending secret; the recovery codes.

    Returns:
        The ten recovery codes, to show once; None if the code is wrong.
    """
    secret = keys.open(account.totp_pending_secret)
    step = _step_of(secret, code, utcnow()) if secret else None
    if step is None:
        return None
    account.totp_secret = account.totp_pending_secret
    account.totp_pending_secret = None
    account.totp_enabled_at = utcnow()
    account.totp_last_step = step
    session.add(account)
    codes = replace_recovery_codes(session=session, account=account, keys=keys)
    record_event(session=session, actor=account.email, action="second_factor.enabled", ip=ip)
    return codes


def replace_recovery_codes(
    *, session: Session, account: Account, keys: SecondFactorKeys
) -> list[str]:
    """Ten new recovery codes for ``account``; the old ones stop working."""
    _forget_recovery_codes(session, account)
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(account_id=account.id, code_hash=keys.recovery_hash(raw)))
    return codes


def check_second_factor(
    *, session: Session, account: Account, keys: SecondFactorKeys, code: str
) -> str | None:
    """Spend ``code`` if it is a fresh TOTP code or an unused recovery code.

    Returns:
        "totp" or "recovery", saying which it was; None if neither.
    """
    secret = keys.open(account.totp_secret)
    step = _step_of(secret, code, utcnow()) if secret else None
    if step is not None:
        if account.totp_last_step is not None and step <= account.totp_last_step:
            return None  # already used: a code seen over a shoulder does not work twice
        account.totp_last_step = step
        session.add(account)
        return "totp"
    if len(_normalise(code)) != 10:
        return None
    found = session.exec(
        select(RecoveryCode).where(
            col(RecoveryCode.account_id) == account.id,
            col(RecoveryCode.code_hash) == keys.recovery_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
    ).first()
    if found is None:
        return None
    found.used_at = utcnow()
    session.add(found)
    return "recovery"


def recovery_codes_left(*, session: Session, account_id: int) -> int:
    """How many unused recovery codes the account has."""
    return len(
        session.exec(
            select(RecoveryCode.id).where(
                col(RecoveryCode.account_id) == account_id, col(RecoveryCode.used_at).is_(None)
            )
        ).all()
    )


def disable(*, session: Session, account: Account, ip: str | None, actor: str) -> None:
    """Turn the factor off and forget its secret and recovery codes."""
    account.totp_secret = None
    account.totp_pending_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    session.add(account)
    _forget_recovery_codes(session, account)
    record_event(
        session=session,
        actor=actor,
        action="second_factor.disabled",
        subject=account.email,
        ip=ip,
    )


def _forget_recovery_codes(session: Session, account: Account) -> None:
    for old in session.exec(select(RecoveryCode).where(RecoveryCode.account_id == account.id)):
        session.delete(old)
