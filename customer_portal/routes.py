"""Every page path in one place, and builders for paths with parameters.

Links in emails are built from these too, so a renamed page cannot leave a
dead link in a customer's inbox.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

HOME = "/"
LOGIN = "/entrar"
INVOICES = "/facturas"
INVOICE_DETAIL = "/factura"
FORGOT_PASSWORD = "/recuperar"
ACCOUNT = "/cuenta"
ACTIVATE = "/credenciales/[token]"
RESET_PASSWORD = "/restablecer/[token]"
DEV_MAILBOX = "/dev/correo"


def activation(token: str) -> str:
    return f"/credenciales/{token}"


def password_reset(token: str) -> str:
    return f"/restablecer/{token}"


def invoice_detail(number: str) -> str:
    # In the query, not the path: invoice numbers may contain "/".
    return f"{INVOICE_DETAIL}?numero={quote(number, safe='')}"


def login(next_path: str | None = None) -> str:
    """Entrar, returning to ``next_path`` afterwards (a deep link survives the login)."""
    if not next_path or safe_next(next_path) != next_path:
        return LOGIN
    return f"{LOGIN}?next={quote(next_path, safe='')}"


def safe_next(next_path: str | None, default: str = INVOICES) -> str:
    """``next_path`` if it is a path of this site; anything else (another host,
    "//evil.example", "javascript:") falls back to ``default``: no open redirect."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//"):
        return default
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or "\\" in next_path:
        return default
    return next_path
