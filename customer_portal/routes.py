"""Every page path in one place, and builders for paths with parameters.

Links in emails are built from these too, so a renamed page cannot leave a
dead link in a customer's inbox.
"""

from __future__ import annotations

from urllib.parse import quote

HOME = "/"
LOGIN = "/entrar"
INVOICES = "/facturas"
INVOICE_DETAIL = "/factura"
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
