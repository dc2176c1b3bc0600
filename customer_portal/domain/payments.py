"""Recording payments against published invoices.

The invoice keeps ``paid_cents``, the sum of its payments, updated in the
same transaction as the payment row, so lists can filter by status without
summing payments. The status itself is derived (:mod:`.status`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, select

from customer_portal.db import unit_of_work
from customer_portal.domain.audit import record_event
from customer_portal.domain.invoice_input import NUMBER_PATTERN
from customer_portal.domain.money import cents_to_decimal, to_cents
from customer_portal.domain.results import (
    CONFLICT,
    INVALID,
    NOT_FOUND,
    RECORDED,
    UNCHANGED,
    BatchSummary,
    ItemResult,
    rejected,
    run_batch,
)
from customer_portal.domain.status import invoice_status
from customer_portal.domain.validation import (
    Amount,
    FieldError,
    InputRejected,
    IsoDate,
    StrictModel,
    validate_model,
)
from customer_portal.limits import INVOICE_NUMBER_LENGTH, PAYMENT_REFERENCE_LENGTH
from customer_portal.models import Invoice, Payment


class PaymentIn(StrictModel):
    """A payment as the billing system sends it.

    ``reference`` identifies the payment: it is unique, so sending the same
    payment again never counts it twice.
    """

    invoice_number: Annotated[
        str, Field(min_length=1, max_length=INVOICE_NUMBER_LENGTH, pattern=NUMBER_PATTERN)
    ]
    amount: Amount
    paid_on: IsoDate
    reference: Annotated[str, Field(min_length=1, max_length=PAYMENT_REFERENCE_LENGTH)]


@dataclass(frozen=True)
class PaymentData:
    """A validated payment, its amount in cents and above zero.

    Attributes:
        invoice_number: the published invoice it pays (it may not exist).
        amount_cents: how much was paid.
        paid_on: the day it was paid.
        reference: the billing system's unique reference for it.
    """

    invoice_number: str
    amount_cents: int
    paid_on: date
    reference: str


def parse_payment(raw: Any) -> PaymentData:
    """Validate one payment as the billing system sent it, without touching the database.

    Raises:
        InputRejected: with every problem found, each naming its field.
    """
    model = validate_model(PaymentIn, raw, "a payment")
    cents = to_cents(model.amount)
    if cents <= 0:
        raise InputRejected([FieldError("amount", "must be greater than zero")])
    return PaymentData(model.invoice_number, cents, model.paid_on, model.reference)


def _label(raw: Any, index: int) -> str:
    ref = raw.get("reference") if isinstance(raw, dict) else None
    if isinstance(ref, str) and ref.strip():
        return ref.strip()[:PAYMENT_REFERENCE_LENGTH]
    return f"#{index + 1}"


def _rejected(label: str, reason: str, field: str, message: str) -> ItemResult:
    return rejected(label, reason, FieldError(field, message))


def record_payment(
    *, engine: sa.Engine, raw: Any, index: int = 0, actor: str = "system"
) -> ItemResult:
    """Record one payment in its own unit of work; the same payment twice is ``unchanged``.

    Takes ``engine``, not a session: a concurrent copy of the same payment
    shows up only as the commit's IntegrityError, and the copy that won is
    then read in a fresh unit of work.

    Args:
        engine: the portal's database.
        raw: the payment as the billing system sent it.
        index: its position in a batch, to label it when it has no reference.
        actor: who records it, for the audit trail.

    Returns:
        ``recorded``, ``unchanged``, or why it was rejected.
    """
    label = _label(raw, index)
    try:
        data = parse_payment(raw)
    except InputRejected as exc:
        return rejected(label, INVALID, *exc.errors)
    try:
        with unit_of_work(engine) as session:
            return _record(session, data, actor)
    except sa.exc.IntegrityError:
        # A concurrent copy of this payment won the race for its reference.
        with unit_of_work(engine) as session:
            return _compare_existing(session, data) or _rejected(
                label, CONFLICT, "reference", "was recorded concurrently; try again"
            )


def _compare_existing(session: Session, data: PaymentData) -> ItemResult | None:
    existing = session.exec(select(Payment).where(Payment.reference == data.reference)).first()
    if existing is None:
        return None
    invoice = session.get(Invoice, existing.invoice_id)
    same = (
        invoice is not None
        and invoice.number == data.invoice_number
        and existing.amount_cents == data.amount_cents
        and existing.paid_on == data.paid_on
    )
    if same:
        return ItemResult(data.reference, UNCHANGED)
    return _rejected(
        data.reference,
        CONFLICT,
        "reference",
        "a different payment with this reference is already recorded",
    )


def _record(session: Session, data: PaymentData, actor: str) -> ItemResult:
    existing = _compare_existing(session, data)
    if existing is not None:
        return existing
    # FOR UPDATE serialises payments to one invoice on PostgreSQL; SQLite's
    # BEGIN IMMEDIATE already serialises every writer.
    invoice = session.exec(
        select(Invoice).where(Invoice.number == data.invoice_number).with_for_update()
    ).first()
    if invoice is None:
        return _rejected(
            data.reference,
            NOT_FOUND,
            "invoice_number",
            f"no published invoice has the number {data.invoice_number!r}",
        )
    pending = invoice.total_cents - invoice.paid_cents
    if data.amount_cents > pending:
        return _rejected(
            data.reference,
            INVALID,
            "amount",
            f"{cents_to_decimal(data.amount_cents)} is more than the "
            f"{cents_to_decimal(pending)} pending on invoice {invoice.number}",
        )
    session.add(
        Payment(
            invoice_id=invoice.id,
            amount_cents=data.amount_cents,
            paid_on=data.paid_on,
            reference=data.reference,
        )
    )
    invoice.paid_cents += data.amount_cents
    session.add(invoice)
    record_event(
        session=session,
        actor=actor,
        action="payment.recorded",
        subject=invoice.number,
        detail={
            "reference": data.reference,
            "amount": str(cents_to_decimal(data.amount_cents)),
            "status": invoice_status(invoice.total_cents, invoice.paid_cents).value,
        },
    )
    return ItemResult(data.reference, RECORDED)


def record_payments(
    *,
    engine: sa.Engine,
    raws: Iterable[Any],
    actor: str = "system",
    progress: Callable[[ItemResult], None] | None = None,
) -> BatchSummary:
    """Record each payment in its own unit of work; one result per payment.

    Takes ``engine``, not a session: a batch commits per payment (see
    :func:`record_payment`).

    Args:
        engine: the portal's database.
        raws: the payments as the billing system sent them.
        actor: who records them, for the audit trail.
        progress: called with each result as it is known.
    """
    return run_batch(
        raws,
        lambda raw, index: record_payment(engine=engine, raw=raw, index=index, actor=actor),
        progress,
    )
