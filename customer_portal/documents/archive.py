"""Archive timestamps (PAdES B-LTA): keeping old invoices verifiable for decades.

A B-LT invoice carries the proof that its certificate was good when it
signed, but that proof is itself signed by keys (the TSA's, the OCSP
responder's) that expire and by algorithms that age. A document timestamp
over the whole file, with the revocation data of the timestamp before it,
extends that proof; renewed before the last one ages out, the chain keeps an
invoice checkable indefinitely (ETSI EN 319 142-1, B-LTA).

This is the one change the portal ever makes to a stored signed PDF, and it
only appends: the timestamp is an incremental update, so the bytes that were
signed, and every earlier revision, stay a prefix of the new file and every
earlier signature stays valid. The new bytes, their SHA-256 and size are
written in one transaction, and only if the row still holds the bytes this
run read; what was read is checked against its record first, so a tampered
PDF is reported, never stamped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO

import sqlalchemy as sa
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers, timestamps
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import add_validation_info
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from sqlmodel import col, select

from customer_portal.db import unit_of_work
from customer_portal.documents.integrity import check_pdf, stored_rows
from customer_portal.documents.signing import FetchingValidationContext
from customer_portal.documents.threads import outside_event_loop
from customer_portal.documents.verify import verify_pdf
from customer_portal.domain.audit import record_event
from customer_portal.models import SignedDocument, utcnow

#: PDFs read per transaction: a few MB in memory, whatever the store's size.
ARCHIVE_BATCH_SIZE = 20
#: Default age of the last timestamp before a new one is added. Well inside
#: the few years a TSA certificate lives, so each timestamp is renewed while
#: the one before it can still be validated.
DEFAULT_ARCHIVE_AGE_DAYS = 730
AUDIT_ACTION = "invoice.archive_timestamped"


class ArchiveError(RuntimeError):
    """A document timestamp could not be added to one PDF (it is left as it was)."""


class ArchiveStamper:
    """Adds the revocation data and a document timestamp to signed PDFs."""

    def __init__(self, tsa_url: str, trust_roots: list[asn1_x509.Certificate]) -> None:
        self._stamper = signers.PdfTimeStamper(timestamps.HTTPTimeStamper(tsa_url))
        self._roots = trust_roots
        self._context = FetchingValidationContext(trust_roots)

    def stamp(self, pdf: bytes) -> bytes:
        """``pdf`` with an archive timestamp appended; checked before it is returned.

        Raises:
            ArchiveError: the TSA or a revocation responder did not answer, or
                the result is not ``pdf`` with a valid signature and more appended.
        """
        try:
            stamped = outside_event_loop(self._stamp, pdf)
        except (SigningError, PathBuildingError, PathValidationError, OSError) as exc:
            raise ArchiveError(f"the timestamp could not be added ({exc})") from exc
        except Exception as exc:  # pyHanko wraps network errors in many types
            raise ArchiveError(f"the timestamp could not be added ({exc!r})") from exc
        # Append-only or nothing: an earlier revision that changed would break
        # the promise that the signed bytes never change.
        if not stamped.startswith(pdf) or len(stamped) == len(pdf):
            raise ArchiveError("the result is not the original with the timestamp appended")
        report = verify_pdf(stamped, self._roots)
        if not (report.valid and report.archived):
            raise ArchiveError("the result does not validate: " + "; ".join(report.problems))
        return stamped

    def _stamp(self, pdf: bytes) -> bytes:
        buffer = BytesIO(pdf)
        reader = PdfFileReader(buffer, strict=False)
        context = self._context.current()
        if not reader.embedded_timestamp_signatures:
            # The first archive timestamp must cover the revocation data of the
            # signature and of its timestamp's TSA; pyHanko's chain update only
            # adds that for the last document timestamp, and there is none yet.
            # No new revision when the signer already embedded all of it (B-LT).
            add_validation_info(
                reader.embedded_regular_signatures[0], context, in_place=True, add_vri_entry=False
            )
            reader = PdfFileReader(buffer, strict=False)
        self._stamper.update_archival_timestamp_chain(reader, context, in_place=True)
        return buffer.getvalue()


@dataclass
class ArchiveReport:
    """What a run of ``archive-timestamp`` did."""

    stamped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Rewritten by someone else between this run's read and its write: left alone.
    changed_meanwhile: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every due PDF got its timestamp."""
        return not self.failed


def _due(cutoff: datetime):
    """Signed PDFs with a timestamp whose latest timestamp was made before ``cutoff``.

    A signature without a timestamp (no TSA configured when it was made) has
    no proven time to extend; those are left out rather than given a first
    proof of time years later.
    """
    last_timestamp = sa.func.coalesce(
        col(SignedDocument.archived_at), col(SignedDocument.signed_at)
    )
    return col(SignedDocument.timestamped).is_(True) & (last_timestamp < cutoff)


def count_due(*, engine: sa.Engine, older_than: timedelta, now: datetime | None = None) -> int:
    """How many signed PDFs are due an archive timestamp."""
    cutoff = (now or utcnow()) - older_than
    with unit_of_work(engine, read_only=True) as session:
        return session.exec(
            select(sa.func.count()).select_from(SignedDocument).where(_due(cutoff))
        ).one()


def archive_due(
    *,
    engine: sa.Engine,
    stamper: ArchiveStamper,
    older_than: timedelta,
    now: datetime | None = None,
    batch_size: int = ARCHIVE_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ArchiveReport:
    """Add an archive timestamp to each signed PDF whose last timestamp is ``older_than``.

    Reads by keyset in short transactions (as ``verify-store`` does), stamps
    outside any transaction (the TSA is a network call), and writes each PDF
    in a transaction of its own with its audit event. A PDF that fails is
    reported and left as it was; the run goes on with the others, and a rerun
    retries it. A rerun finds nothing to do for what this one stamped.
    """
    started = now or utcnow()
    cutoff = started - older_than
    report = ArchiveReport()
    last_id = 0
    while True:
        with unit_of_work(engine, read_only=True) as session:
            rows = session.exec(
                stored_rows()
                .where(_due(cutoff), col(SignedDocument.id) > last_id)
                .order_by(col(SignedDocument.id))
                .limit(batch_size)
            ).all()
        if not rows:
            return report
        for document_id, number, pdf, sha256, size in rows:
            _archive_one(engine, stamper, report, document_id, number, bytes(pdf), sha256, size)
            if progress is not None:
                progress(1)
        last_id = rows[-1][0]
        del rows


def _archive_one(
    engine: sa.Engine,
    stamper: ArchiveStamper,
    report: ArchiveReport,
    document_id: int,
    number: str,
    pdf: bytes,
    sha256: str,
    size: int,
) -> None:
    mismatch = check_pdf(number, pdf, sha256=sha256, size=size)
    if mismatch is not None:
        report.failed.append(
            (number, "the stored PDF does not match its record: " + mismatch.describe())
        )
        return
    try:
        stamped = stamper.stamp(pdf)
    except ArchiveError as exc:
        report.failed.append((number, str(exc)))
        return
    new_sha256 = hashlib.sha256(stamped).hexdigest()
    with unit_of_work(engine) as session:
        table = SignedDocument.__table__  # type: ignore[attr-defined]
        written = session.connection().execute(
            sa.update(table)
            .where(table.c.id == document_id, table.c.sha256 == sha256)
            .values(pdf=stamped, sha256=new_sha256, size=len(stamped), archived_at=utcnow())
        )
        if written.rowcount != 1:
            report.changed_meanwhile.append(number)
            return
        record_event(
            session=session,
            actor="cli",
            action=AUDIT_ACTION,
            subject=number,
            detail={
                "previous_sha256": sha256,
                "previous_size": size,
                "sha256": new_sha256,
                "size": len(stamped),
            },
        )
    report.stamped.append(number)
