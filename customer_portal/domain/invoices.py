"""Reading one invoice for the customer who owns it: every query filters by owner.

The result is typed (dates, cents, the status): how a Spanish customer reads
it is decided by :mod:`customer_portal.domain.formats`, called by the state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from customer_portal.documents.signing import certificate_fingerprint
from customer_portal.documents.verify import (
    SignerSummary,
    signer_summary,
    signing_certificate,
    summary_from_subject,
)
from customer_portal.domain.invoice_input import LineData
from customer_portal.domain.money import TaxGroup, compute_totals
from customer_portal.domain.status import InvoiceStatus, invoice_status, is_overdue
from customer_portal.models import CustomerAccess, Invoice, InvoiceLine, Payment, SignedDocument


@dataclass(frozen=True)
class PaymentItem:
    """One payment received for an invoice."""

    paid_on: date
    amount_cents: int
    reference: str


@dataclass(frozen=True)
class InvoiceDetail:
    """Everything Ver factura shows about one invoice."""

    number: str
    issue_date: date
    due_date: date | None
    currency: str
    status: InvoiceStatus
    overdue: bool
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    paid_cents: int
    pending_cents: int
    lines: tuple[LineData, ...]
    taxes: tuple[TaxGroup, ...]
    payments: tuple[PaymentItem, ...]
    signed_by: str
    signed_at: datetime | None
    signer: SignerSummary | None = None
    #: What /verificar asks for (domain/verification.py), bare.
    verification_code: str = ""


def invoice_for_person(
    *, session: Session, account_id: int, number: str, today: date | None = None
) -> InvoiceDetail | None:
    """The invoice ``number`` if it belongs to any customer the person is linked to.

    Invoice numbers are unique, so a link to an invoice (an email's, a
    list's) opens it whichever of the person's customers is chosen.
    """
    customer_id = session.exec(
        select(Invoice.customer_id)
        .join(CustomerAccess, col(CustomerAccess.customer_id) == col(Invoice.customer_id))
        .where(col(Invoice.number) == number, col(CustomerAccess.account_id) == account_id)
    ).first()
    if customer_id is None:
        return None
    return invoice_for_customer(
        session=session, customer_id=customer_id, number=number, today=today
    )


def invoice_for_customer(
    *, session: Session, customer_id: int, number: str, today: date | None = None
) -> InvoiceDetail | None:
    """The invoice ``number`` if it belongs to ``customer_id``; None otherwise.

    "Not yours" and "does not exist" are the same answer, so nobody can
    probe for other customers' invoice numbers.

    Args:
        session: The database session.
        customer_id: The owner the invoice must belong to.
        number: The invoice number, exactly.
        today: The day "vencida" is measured against (default: today).
    """
    invoice = session.exec(
        select(Invoice).where(Invoice.number == number, Invoice.customer_id == customer_id)
    ).first()
    if invoice is None:
        return None
    lines = session.exec(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id)
        .order_by(col(InvoiceLine.position))
    ).all()
    payments = session.exec(
        select(Payment)
        .where(Payment.invoice_id == invoice.id)
        .order_by(col(Payment.paid_on), col(Payment.id))
    ).all()
    # The signer's name, time and certificate fingerprint: the PDF's bytes
    # are read only the first time a process meets a certificate.
    signature = session.exec(
        select(
            SignedDocument.signer_subject,
            SignedDocument.signed_at,
            SignedDocument.signer_fingerprint,
        ).where(SignedDocument.invoice_id == invoice.id)
    ).first()
    signer = (
        _signer(
            session=session, invoice_id=invoice.id, subject=signature[0], fingerprint=signature[2]
        )
        if signature
        else None
    )
    status = invoice_status(invoice.total_cents, invoice.paid_cents)
    return InvoiceDetail(
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        status=status,
        overdue=is_overdue(status, invoice.due_date, today or date.today()),
        subtotal_cents=invoice.subtotal_cents,
        tax_cents=invoice.tax_cents,
        total_cents=invoice.total_cents,
        paid_cents=invoice.paid_cents,
        pending_cents=invoice.total_cents - invoice.paid_cents,
        verification_code=invoice.verification_code,
        lines=tuple(
            LineData(
                position=ln.position,
                description=ln.description,
                quantity_milli=ln.quantity_milli,
                unit_price_e4=ln.unit_price_e4,
                tax_name=ln.tax_name,
                tax_rate_bp=ln.tax_rate_bp,
                amount_cents=ln.amount_cents,
            )
            for ln in lines
        ),
        taxes=compute_totals((ln.amount_cents, ln.tax_name, ln.tax_rate_bp) for ln in lines).taxes,
        payments=tuple(
            PaymentItem(paid_on=p.paid_on, amount_cents=p.amount_cents, reference=p.reference)
            for p in payments
        ),
        signed_by=signer.name if signer else "",
        signed_at=signature[1] if signature else None,
        signer=signer,
    )


# Every invoice signed with one certificate shares its summary: a portal
# meets a handful of certificates in its life, so the cache stays small.
_SIGNERS: dict[str, SignerSummary] = {}
_SIGNERS_LOCK = threading.Lock()


def _signer(*, session: Session, invoice_id: int, subject: str, fingerprint: str) -> SignerSummary:
    """The summary of the certificate with ``fingerprint``, read once from a PDF it signed.

    Falls back to what the stored subject says when the PDF's certificate
    cannot be read or is not the one recorded.
    """
    with _SIGNERS_LOCK:
        known = _SIGNERS.get(fingerprint)
    if known is not None:
        return known
    pdf = session.exec(
        select(SignedDocument.pdf).where(SignedDocument.invoice_id == invoice_id)
    ).first()
    cert = signing_certificate(pdf) if pdf else None
    if cert is None or certificate_fingerprint(cert) != fingerprint:
        return summary_from_subject(subject)
    summary = signer_summary(cert)
    with _SIGNERS_LOCK:
        _SIGNERS[fingerprint] = summary
    return summary
