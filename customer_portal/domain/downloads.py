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

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session, col, select

from customer_portal.documents.integrity import TamperedDocument, check_pdf
from customer_portal.domain.sessions import (
    ABSOLUTE_LIFETIME,
    live_session_bound,
    needs_sliding,
    slide_in,
    token_hash,
)
from customer_portal.driver_sql import DriverStatement, DriverTransaction
from customer_portal.limits import SESSION_TOKEN_MAX_LENGTH
from customer_portal.models import (
    Account,
    AuthSession,
    CustomerAccess,
    Invoice,
    SignedDocument,
    utcnow,
)

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
        select(Invoice.id)
        .join(CustomerAccess, col(CustomerAccess.customer_id) == col(Invoice.customer_id))
        .where(Invoice.number == number, col(CustomerAccess.account_id) == account.id)
    ).first()
    if invoice_id is None:
        return None
    token = _serializer(secret_key).dumps(
        {"i": invoice_id, "a": account.id, "s": token_hash(session_token)[:32]}
    )
    return DOWNLOAD_PREFIX + token


# The whole check after the link's signature, built once (building it per
# request cost as much as running it): a live session (the conditions of
# sessions.live_session, with the values bound), the link's account,
# activated, the invoice its customer's, with a signed PDF.
_DOWNLOAD = DriverStatement(
    select(
        AuthSession.id,
        AuthSession.last_seen_at,
        Account.email,
        Invoice.number,
        # Raw bytes even if an UPDATE left text in the column (see integrity.stored_rows).
        sa.cast(col(SignedDocument.pdf), sa.LargeBinary),
        SignedDocument.sha256,
        SignedDocument.size,
    )
    .join(Account, col(Account.id) == col(AuthSession.account_id))
    # The invoice of a customer the person is (still) linked to.
    .join(CustomerAccess, col(CustomerAccess.account_id) == col(Account.id))
    .join(Invoice, col(Invoice.customer_id) == col(CustomerAccess.customer_id))
    .join(SignedDocument, col(SignedDocument.invoice_id) == col(Invoice.id))
    .where(
        *live_session_bound(),
        col(Account.id) == sa.bindparam("account_id"),
        col(Account.activated_at).is_not(None),
        col(Invoice.id) == sa.bindparam("invoice_id"),
    )
)


@dataclass(frozen=True)
class DownloadLink:
    """A download link whose signature and age checked out, for the session that carries it.

    Attributes:
        account_id: the account it was minted for.
        invoice_id: the invoice it names.
        session_token_hash: the hash of the request's session cookie, which
            the link is bound to.
    """

    account_id: int
    invoice_id: int
    session_token_hash: str


def read_download_link(*, secret_key: str, token: str, session_token: str) -> DownloadLink | None:
    """The link ``token`` if it is signed, under a minute old and bound to ``session_token``.

    No database: a forged, stale or borrowed link is refused before any
    transaction (on SQLite, before the write lock).
    """
    try:
        payload = _serializer(secret_key).loads(token, max_age=DOWNLOAD_MAX_AGE_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict) or not session_token:
        return None
    if len(session_token) > SESSION_TOKEN_MAX_LENGTH:
        return None
    hashed = token_hash(session_token)
    if not hmac.compare_digest(str(payload.get("s", "")), hashed[:32]):
        return None
    account_id, invoice_id = payload.get("a"), payload.get("i")
    if type(account_id) is not int or type(invoice_id) is not int:
        return None
    return DownloadLink(account_id, invoice_id, hashed)


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
    *, transaction: DriverTransaction, link: DownloadLink, idle: timedelta
) -> Download | None:
    """The PDF ``link`` names, if every check passes; None otherwise.

    One query checks the rest and reads the PDF: the session is live (the
    rules of :func:`~customer_portal.domain.sessions.resume`), it is the
    link's account's, the account is activated, the invoice is the link's
    and its customer's, and it has a signed PDF. One query on the driver,
    not five ORM loads: this runs for every download (``bench/downloads.py``).

    Args:
        transaction: where to check and read. When the browser's session
            expiry slides, the UPDATE joins it; the caller commits it (with
            the audit event).
        link: from :func:`read_download_link`.
        idle: the session idle timeout.

    Raises:
        TamperedDocument: the link is good, but the stored PDF no longer
            matches its record; it must not be served.
    """
    now = utcnow()
    row = transaction.first(
        _DOWNLOAD,
        {
            "token_hash": link.session_token_hash,
            "now": now,
            "born_after": now - ABSOLUTE_LIFETIME,
            "account_id": link.account_id,
            "invoice_id": link.invoice_id,
        },
    )
    if row is None:
        return None
    session_id, last_seen_at, email, number, pdf, sha256, size = row
    if needs_sliding(last_seen_at, now):
        slide_in(transaction, session_id=session_id, now=now, idle=idle)
    # Checked last, so only the invoice's owner, with a live link, learns it is damaged.
    mismatch = check_pdf(number, pdf, sha256=sha256, size=size)
    if mismatch is not None:
        raise TamperedDocument(mismatch)
    return Download(bytes(pdf), download_filename(number), number, email)
