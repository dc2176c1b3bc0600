"""Password hashing with bcrypt.

bcrypt 5 refuses passwords over 72 bytes instead of silently cutting them;
:class:`PasswordTooLong` turns that into a rule the forms can explain.
"""

from __future__ import annotations

import bcrypt

MAX_PASSWORD_BYTES = 72
BCRYPT_ROUNDS = 12


class PasswordTooLong(ValueError):
    """The password is longer than bcrypt's 72-byte limit."""


def _encode(password: str) -> bytes:
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        raise PasswordTooLong(f"a password can be at most {MAX_PASSWORD_BYTES} bytes long")
    return data


def hash_password(password: str, *, rounds: int = BCRYPT_ROUNDS) -> str:
    """The bcrypt hash to store for ``password``, with a fresh salt.

    Slow on purpose (``rounds``): callers run it outside any transaction.

    Raises:
        PasswordTooLong: ``password`` is over 72 bytes in UTF-8.
    """
    return bcrypt.hashpw(_encode(password), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """True if ``password`` matches; a too-long password simply does not match."""
    try:
        data = _encode(password)
    except PasswordTooLong:
        return False
    return bcrypt.checkpw(data, password_hash.encode("ascii"))
