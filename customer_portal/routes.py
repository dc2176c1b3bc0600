"""Every page path in one place, and builders for paths with parameters.

Links in emails are built from these too, so a renamed page cannot leave a
dead link in a customer's inbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode, urlsplit

HOME = "/"
LOGIN = "/entrar"
#: Entrar's second step: the code of the person's authenticator app.
SECOND_FACTOR = "/entrar/codigo"
#: Server-rendered (it shows the secret): set up the second factor (api/second_factor.py).
SECOND_FACTOR_SETUP = "/cuenta/verificacion"
INVOICES = "/facturas"
INVOICE_DETAIL = "/factura"
PAYMENTS = "/pagos"
FORGOT_PASSWORD = "/recuperar"
ACCOUNT = "/cuenta"
STATEMENT = "/extracto"
#: The Extracto de cuenta as a signed PDF (customer_portal/api/statements.py).
STATEMENT_PDF = "/extracto/pdf"
# The form pages of the links; the links themselves (/credenciales/<token>)
# are HTTP routes that move the token into a cookie and redirect here.
ACTIVATE = "/credenciales"
RESET_PASSWORD = "/restablecer"
DEV_MAILBOX = "/dev/correo"
#: Public: anyone with an invoice's verification code checks it here (no account).
VERIFY = "/verificar"
#: Reflex's name for the page shown at any unknown path.
NOT_FOUND = "404"

# Where the account forms post (HTTP routes, see customer_portal/api/accounts.py).
SIGN_IN_ACTION = "/sesion/entrar"
SIGN_OUT_ACTION = "/sesion/salir"
SET_PASSWORD_ACTION = "/sesion/contrasena"
CHANGE_PASSWORD_ACTION = "/sesion/cambiar-contrasena"
NOTIFICATIONS_ACTION = "/sesion/avisos"
NOT_ME_ACTION = "/sesion/no-he-sido-yo"
LANGUAGE_ACTION = "/sesion/idioma"
SECOND_FACTOR_ACTION = "/sesion/codigo"
SECOND_FACTOR_SETUP_ACTION = "/sesion/verificacion"
SECOND_FACTOR_OFF_ACTION = "/sesion/verificacion/desactivar"
RECOVERY_CODES_ACTION = "/sesion/verificacion/codigos"
REQUEST_LINK_ACTION = "/sesion/enlace"
#: Mis facturas as CSV or XLSX (customer_portal/api/exports.py), with the list's query.
EXPORT_INVOICES = "/facturas/exportar"
#: The signed PDFs of Mis facturas in one ZIP (GET: all filtered; POST: those chosen).
ZIP_INVOICES = "/facturas/zip"
#: Ver PDF (customer_portal/api/downloads.py): the invoice's PDF shown in a tab.
VIEW_PDF = "/factura/pdf"
# /verificar's HTTP routes (customer_portal/api/verification.py).
VERIFY_UPLOAD_ACTION = "/verificar/comprobar"
VERIFY_ORIGINAL = "/verificar/original"


def activation(token: str) -> str:
    """The Ver credenciales link of an Alta email."""
    return f"{ACTIVATE}/{token}"


def password_reset(token: str) -> str:
    """The restaurar contraseña link of a Restablecer contraseña email."""
    return f"{RESET_PASSWORD}/{token}"


def export_invoices(kind: str, query: Mapping[str, str]) -> str:
    """Exportar CSV / Excel of Mis facturas under the list's ``query``."""
    return f"{EXPORT_INVOICES}?{urlencode({'formato': kind, **query})}"


def zip_invoices(query: Mapping[str, str]) -> str:
    """Descargar ZIP of Mis facturas under the list's ``query``."""
    return f"{ZIP_INVOICES}?{urlencode(query)}" if query else ZIP_INVOICES


def view_pdf(number: str) -> str:
    """Ver PDF for ``number``."""
    return f"{VIEW_PDF}?numero={quote(number, safe='')}"


def invoice_detail(number: str) -> str:
    """Ver factura for ``number``."""
    # In the query, not the path: invoice numbers may contain "/".
    return f"{INVOICE_DETAIL}?numero={quote(number, safe='')}"


def login(next_path: str | None = None) -> str:
    """Entrar, returning to ``next_path`` afterwards (a deep link survives the login)."""
    if not next_path or safe_next(next_path) != next_path:
        return LOGIN
    return f"{LOGIN}?next={quote(next_path, safe='')}"


def safe_next(next_path: str | None, default: str = INVOICES) -> str:
    """``next_path`` if it is a path of this site, else ``default``: no open redirect.

    Anything else (another host, "//evil.example", "javascript:") falls back.
    """
    if not next_path or not next_path.startswith("/") or next_path.startswith("//"):
        return default
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or "\\" in next_path:
        return default
    return next_path
