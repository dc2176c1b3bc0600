"""Short-lived download links for signed PDFs, bound to the session that asked.

The state, after checking the session owns the invoice, mints a link valid
for one minute. The HTTP route then checks again: the link's signature and
age, that the request carries the same session cookie, that the session is
still live, and that the invoice still belongs to its customer. A link that
leaks (logs, a shared screen) is useless to anyone else, and an id cannot be
guessed into someone else's PDF.

Only then are the stored bytes checked against their recorded hash and size
(:mod:`customer_portal.documents.integrity`): a PDF changed in the database
is never handed out, and the caller learns it as
:class:`~customer_portal.documents.integrity.TamperedDocument`, apart from
the ``None`` that means "refused".
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session, select

from customer_portal.documents.integrity import intact_pdf
from customer_portal.domain.sessions import resume_session, token_hash
from customer_portal.models import Account, Invoice

DOWNLOAD_MAX_AGE_SECONDS = 60
DOWNLOAD_PREFIX = "/api/v1/descargas/"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret_key,
        salt="customer-portal:download",
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def download_filename(number: str) -> str:
    """``Factura-<number>.pdf``; characters unsafe in a file name become ``-``."""
    return f"Factura-{re.sub(r'[^A-Za-z0-9._-]', '-', number)}.pdf"


def mint_download_path(
    *, session: Session, secret_key: str, account: Account, number: str, session_token: str
) -> str | None:
    """The download path for ``number`` if ``account`` owns it; None otherwise.

    Args:
        session: where to look the invoice up (nothing is written).
        secret_key: signs the link.
        account: the signed-in account asking.
        number: the invoice number.
        session_token: the asking browser's session token; the link is bound to it.
    """
    invoice_id = session.exec(
        select(Invoice.id).where(
            Invoice.number == number, Invoice.customer_id == account.customer_id
        )
    ).first()
    if invoice_id is None:
        return None
    token = _serializer(secret_key).dumps(
        {"i": invoice_id, "a": account.id, "s": token_hash(session_token)[:32]}
    )
    return DOWNLOAD_PREFIX + token


@dataclass(frozen=True)
class Download:
    """A signed PDF cleared for delivery, with what the response and the audit log need.

    Attributes:
        pdf: the stored bytes, checked against their recorded hash.
        filename: the attachment's name (:func:`download_filename`).
        number: the invoice number.
        account_email: who downloaded it, for the audit event.
    """

    pdf: bytes
    filename: str
    number: str
    account_email: str


def open_download(
    *, session: Session, secret_key: str, token: str, session_token: str, idle: timedelta
) -> Download | None:
    """The PDF a download link names, if every check passes; None otherwise.

    Args:
        session: where to check the session and read the PDF; committed when
            the browser's session expiry slides (see ``resume``).
        secret_key: checks the link's signature.
        token: the link's token.
        session_token: the session cookie of the request.
        idle: the session idle timeout.

    Raises:
        TamperedDocument: the link is good, but the stored PDF no longer
            matches its record; it must not be served.
    """
    try:
        payload = _serializer(secret_key).loads(token, max_age=DOWNLOAD_MAX_AGE_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict) or not session_token:
        return None
    if not hmac.compare_digest(str(payload.get("s", "")), token_hash(session_token)[:32]):
        return None
    account = resume_session(session=session, token=session_token, idle=idle)
    if account is None or account.id != payload.get("a"):
        return None
    invoice = session.get(Invoice, payload.get("i"))
    if invoice is None or invoice.customer_id != account.customer_id:
        return None
    # Checked last, so only the invoice's owner, with a live link, learns it is damaged.
    pdf = intact_pdf(session=session, invoice_id=invoice.id)
    if pdf is None:
        return None
    return Download(pdf, download_filename(invoice.number), invoice.number, account.email)
