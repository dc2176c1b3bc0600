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
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session, col, select

from customer_portal.documents.integrity import TamperedDocument, check_pdf
from customer_portal.domain.audit import insert_for_each, record_event_in, values_for_each
from customer_portal.domain.sessions import (
    ABSOLUTE_LIFETIME,
    live_session_bound,
    needs_sliding,
    slide_in,
    slide_when_due,
    token_hash,
    values_when_due,
)
from customer_portal.driver_sql import DriverStatement, DriverTransaction, first_on_loop
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


#: The audit action of a PDF handed out.
DOWNLOADED = "invoice.downloaded"

# Raw bytes even if an UPDATE left text in the column (see integrity.stored_rows).
_PDF = sa.cast(col(SignedDocument.pdf), sa.LargeBinary).label("pdf")

# The whole check after the link's signature, built once (building it per
# request cost as much as running it): a live session (the conditions of
# sessions.live_session, with the values bound), the link's account,
# activated, the invoice its customer's, with a signed PDF.
_FOUND = (
    select(
        AuthSession.id,
        AuthSession.last_seen_at,
        Account.email,
        Invoice.number,
        _PDF,
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
_DOWNLOAD = DriverStatement(_FOUND)


def _in_one_statement() -> sa.Select:
    """PostgreSQL: :data:`_FOUND`, the session's slide and the audit line in one statement.

    Each write is a data-modifying CTE on what ``found`` found, and only
    for a PDF whose bytes still match their record, the rule of
    :func:`~customer_portal.documents.integrity.check_pdf` in SQL: a
    tampered PDF is refused with nothing written, as on SQLite. The
    statement commits as one (:func:`~customer_portal.driver_sql.first_on_loop`).
    """
    intact = sa.and_(
        sa.func.length(_PDF) == col(SignedDocument.size),
        sa.func.encode(sa.func.sha256(_PDF), "hex") == col(SignedDocument.sha256),
    )
    found = _FOUND.add_columns(intact.label("intact")).cte("found")
    slid = slide_when_due(found.c.id, found.c.intact).cte("slid")
    logged = insert_for_each(
        actor=found.c.email, action=DOWNLOADED, subject=found.c.number, where=found.c.intact
    ).cte("logged")
    columns = ("id", "last_seen_at", "email", "number", "pdf", "sha256", "size")
    return select(*(found.c[name] for name in columns)).add_cte(slid, logged)


_DOWNLOAD_IN_ONE_STATEMENT = DriverStatement(_in_one_statement())


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


def _found_values(link: DownloadLink, now: datetime) -> dict[str, Any]:
    return {
        "token_hash": link.session_token_hash,
        "now": now,
        "born_after": now - ABSOLUTE_LIFETIME,
        "account_id": link.account_id,
        "invoice_id": link.invoice_id,
    }


def _cleared(row: tuple[Any, ...]) -> Download:
    _session_id, _last_seen_at, email, number, pdf, sha256, size = row
    # Checked last, so only the invoice's owner, with a live link, learns it is damaged.
    mismatch = check_pdf(number, pdf, sha256=sha256, size=size)
    if mismatch is not None:
        raise TamperedDocument(mismatch)
    return Download(bytes(pdf), download_filename(number), number, email)


def open_download(
    *,
    transaction: DriverTransaction,
    link: DownloadLink,
    idle: timedelta,
    ip: str | None,
    detail: dict[str, Any] | None,
) -> Download | None:
    """The PDF ``link`` names, if every check passes; None otherwise. Recorded as downloaded.

    One query checks the rest and reads the PDF: the session is live (the
    rules of :func:`~customer_portal.domain.sessions.resume`), it is the
    link's account's, the account is activated, the invoice is the link's
    and its customer's, and it has a signed PDF. One query on the driver,
    not five ORM loads: this runs for every download (``bench/downloads.py``).
    Then the audit line (:data:`DOWNLOADED`) and, once a minute, the
    session's slid expiry.

    Args:
        transaction: where to check, read and write; the caller commits.
        link: from :func:`read_download_link`.
        idle: the session idle timeout.
        ip: the client's address, for the audit line.
        detail: what else the audit line keeps (the browser).

    Raises:
        TamperedDocument: the link is good, but the stored PDF no longer
            matches its record; it must not be served (roll back).
    """
    now = utcnow()
    row = transaction.first(_DOWNLOAD, _found_values(link, now))
    if row is None:
        return None
    cleared = _cleared(row)
    session_id, last_seen_at = row[0], row[1]
    if needs_sliding(last_seen_at, now):
        slide_in(transaction, session_id=session_id, now=now, idle=idle)
    record_event_in(
        transaction,
        actor=cleared.account_email,
        action=DOWNLOADED,
        subject=cleared.number,
        ip=ip,
        detail=detail,
    )
    return cleared


async def open_download_on_loop(
    *,
    engine: sa.Engine,
    link: DownloadLink,
    idle: timedelta,
    ip: str | None,
    detail: dict[str, Any] | None,
) -> Download | None:
    """:func:`open_download` on PostgreSQL: one statement, awaited on the event loop.

    The same checks, reads and writes, in a single round trip
    (``bench/downloads.py``: a thread per download, and five round trips,
    kept PostgreSQL's downloads at 26 % of a static file's rate).

    Raises:
        TamperedDocument: as :func:`open_download`; nothing was written.
        sqlalchemy.exc.DBAPIError: the database failed.
    """
    now = utcnow()
    row = await first_on_loop(
        engine,
        _DOWNLOAD_IN_ONE_STATEMENT,
        {**_found_values(link, now), **values_when_due(now, idle), **values_for_each(ip, detail)},
    )
    return None if row is None else _cleared(row)
