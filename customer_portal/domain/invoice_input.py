"""What the billing system may send, and how it is checked (pydantic).

Input is validated completely before anything is rendered or stored, and each
problem is reported as ``(field path, message)``, e.g.
``("lines[2].unit_price", "must not be negative")``, so the operator can fix
the exact value. The result is an :class:`InvoiceData` whose numbers are the
integers stored in the database, and whose :meth:`~InvoiceData.content_hash`
tells a harmless re-post from a conflicting one.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import BeforeValidator, Field, model_validator

from customer_portal.domain.money import (
    MAX_STORED_INTEGER,
    QUANTITY_SCALE,
    RATE_SCALE,
    UNIT_PRICE_SCALE,
    Totals,
    compute_totals,
    line_amount_cents,
    to_cents,
    to_scaled,
)
from customer_portal.domain.validation import (
    Amount,
    FieldError,
    InputRejected,
    IsoDate,
    Quantity,
    Rate,
    StrictModel,
    UnitPrice,
    custom_error,
    validate_model,
)
from customer_portal.limits import (
    ADDRESS_LENGTH,
    CUSTOMER_CODE_LENGTH,
    CUSTOMER_NAME_LENGTH,
    INVOICE_NUMBER_LENGTH,
    LINE_DESCRIPTION_LENGTH,
    TAX_ID_LENGTH,
    TAX_NAME_LENGTH,
)

MAX_LINES = 2000
# The patterns spell out the column widths: a first character, then up to width - 1.
NUMBER_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9/_.\-]{{0,{INVOICE_NUMBER_LENGTH - 1}}}$"
CODE_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9_.\-]{{0,{CUSTOMER_CODE_LENGTH - 1}}}$"
TAX_NAME_PATTERN = rf"^[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ .\-]{{0,{TAX_NAME_LENGTH - 1}}}$"
TAX_ID_PATTERN = rf"^[A-Za-z0-9\-]{{2,{TAX_ID_LENGTH}}}$"


def _email(value: Any) -> str:
    if not isinstance(value, str):
        raise custom_error("must be an email address")
    try:
        # No DNS lookups: publication must not depend on the network.
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise custom_error(f"is not a valid email address ({exc})") from None


Email = Annotated[str, BeforeValidator(_email)]


def _text(max_length: int, pattern: str | None = None) -> Any:
    return Annotated[str, Field(min_length=1, max_length=max_length, pattern=pattern)]


class CustomerIn(StrictModel):
    """The ``customer`` object of an invoice, as sent; identified by ``code``.

    ``email`` is where the customer's account emails go, so it is checked for
    syntax (without DNS lookups) and normalised.
    """

    code: _text(CUSTOMER_CODE_LENGTH, CODE_PATTERN)
    name: _text(CUSTOMER_NAME_LENGTH)
    tax_id: _text(TAX_ID_LENGTH, TAX_ID_PATTERN)
    email: Email
    address: Annotated[str | None, Field(default=None, max_length=ADDRESS_LENGTH)] = None
    #: More people of the customer (an accountant, a clerk): each gets a login.
    contacts: Annotated[list[Email], Field(default_factory=list, max_length=10)]


class LineIn(StrictModel):
    """One entry of an invoice's ``lines``, as sent.

    ``quantity`` (up to 3 decimals, above zero) and ``unit_price`` (up to 4)
    give the line's net amount; ``tax_name`` and ``tax_rate`` (a percentage)
    say which row of the tax breakdown it adds to.
    """

    description: _text(LINE_DESCRIPTION_LENGTH)
    quantity: Quantity
    unit_price: UnitPrice
    tax_name: _text(TAX_NAME_LENGTH, TAX_NAME_PATTERN)
    tax_rate: Rate


#: Hosts of the tax agency's invoice check (production and its test environment).
TAX_AGENCY_HOSTS = ("agenciatributaria.gob.es", "aeat.es")
TAX_AGENCY_URL_LENGTH = 1000


def _tax_agency_url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > TAX_AGENCY_URL_LENGTH:
        raise custom_error(f"must be a URL of at most {TAX_AGENCY_URL_LENGTH} characters")
    parts = urlsplit(value.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not any(
        host == known or host.endswith("." + known) for known in TAX_AGENCY_HOSTS
    ):
        raise custom_error("must be an https URL of the tax agency (agenciatributaria.gob.es)")
    return value.strip()


class TaxAgencyQrIn(StrictModel):
    """The tax agency's check of this invoice (VeriFactu, RD 1007/2023), as the ERP sends it.

    ``url`` is what its QR opens (the ERP builds it: issuer's NIF, number,
    date, total); ``verifactu`` is whether the ERP sends its records to the
    agency as it issues them, which adds the phrase the order asks for.
    """

    url: Annotated[str, BeforeValidator(_tax_agency_url)]
    verifactu: bool = False


class InvoiceIn(StrictModel):
    """An invoice as the billing system sends it, before any arithmetic.

    ``total`` is optional; when given, :func:`parse_invoice` checks that it is
    what the lines add up to. ``due_date`` may not come before ``issue_date``.
    """

    number: _text(INVOICE_NUMBER_LENGTH, NUMBER_PATTERN)
    issue_date: IsoDate
    due_date: IsoDate | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    customer: CustomerIn
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=MAX_LINES)]
    total: Amount | None = None
    tax_agency_qr: TaxAgencyQrIn | None = None

    @model_validator(mode="after")
    def _due_after_issue(self) -> InvoiceIn:
        if self.due_date is not None and self.due_date < self.issue_date:
            raise custom_error("due_date is before issue_date")
        return self


@dataclass(frozen=True)
class LineData:
    """A validated invoice line, in the integers the database stores.

    Attributes:
        position: 1-based, the order the lines were sent and are printed in.
        description: the line's text, as printed.
        quantity_milli: the quantity in thousandths.
        unit_price_e4: the unit price in ten-thousandths of the currency.
        tax_name: the tax's name in capitals (``IGIC``, ``IVA``).
        tax_rate_bp: the tax rate in basis points (7 % is 700).
        amount_cents: the net amount, quantity times unit price rounded half up.
    """

    position: int
    description: str
    quantity_milli: int
    unit_price_e4: int
    tax_name: str
    tax_rate_bp: int
    amount_cents: int


@dataclass(frozen=True)
class CustomerData:
    """A validated customer, as printed on the invoice and kept in the customer table.

    ``tax_id`` is in capitals, ``email`` normalised, and an empty ``address`` is None.
    """

    code: str
    name: str
    tax_id: str
    email: str
    address: str | None


@dataclass(frozen=True)
class TaxAgencyQr:
    """The tax agency's QR on the PDF: what it opens, and whether to print «VERI*FACTU»."""

    url: str
    verifactu: bool


@dataclass(frozen=True)
class InvoiceData:
    """A validated invoice, in the integers the database stores."""

    number: str
    issue_date: date
    due_date: date | None
    currency: str
    customer: CustomerData
    lines: tuple[LineData, ...]
    totals: Totals
    # Printed on the PDF and asked for at /verificar (domain/verification.py);
    # given when the invoice is rendered, not part of what the billing system
    # sent, so not part of the content hash either.
    verification_code: str = ""
    tax_agency_qr: TaxAgencyQr | None = None
    #: The customer's other people, as named by this invoice: who gets a
    #: login, not what the invoice says, so not part of the content hash.
    contacts: tuple[str, ...] = ()

    def content_hash(self) -> str:
        """sha256 of a canonical form: equal for the same invoice however it was written."""
        canonical = {
            "number": self.number,
            "issue_date": self.issue_date.isoformat(),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "currency": self.currency,
            "customer": self.customer.__dict__,
            "lines": [line.__dict__ for line in self.lines],
        }
        if self.tax_agency_qr is not None:
            # Only when sent: invoices published before it existed keep their hash.
            canonical["tax_agency_qr"] = self.tax_agency_qr.__dict__
        blob = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def parse_invoice(raw: Any) -> InvoiceData:
    """Validate one invoice as the billing system sent it.

    Raises:
        InputRejected: with every problem found, each naming its field.
    """
    model = validate_model(InvoiceIn, raw, "an invoice")

    lines = tuple(
        LineData(
            position=index + 1,
            description=line.description,
            quantity_milli=to_scaled(line.quantity, QUANTITY_SCALE),
            unit_price_e4=to_scaled(line.unit_price, UNIT_PRICE_SCALE),
            tax_name=line.tax_name.upper(),
            tax_rate_bp=to_scaled(line.tax_rate, RATE_SCALE),
            amount_cents=line_amount_cents(line.quantity, line.unit_price),
        )
        for index, line in enumerate(model.lines)
    )
    totals = compute_totals((ln.amount_cents, ln.tax_name, ln.tax_rate_bp) for ln in lines)
    _check_storable(lines, totals)
    if model.total is not None and to_cents(model.total) != totals.total_cents:
        computed = Decimal(totals.total_cents) / 100
        raise InputRejected(
            [FieldError("total", f"is {model.total} but the lines add up to {computed:.2f}")]
        )
    customer = model.customer
    return InvoiceData(
        number=model.number,
        issue_date=model.issue_date,
        due_date=model.due_date,
        currency=model.currency,
        customer=CustomerData(
            code=customer.code,
            name=customer.name,
            tax_id=customer.tax_id.upper(),
            email=customer.email,
            address=customer.address or None,
        ),
        lines=lines,
        totals=totals,
        tax_agency_qr=(
            TaxAgencyQr(url=model.tax_agency_qr.url, verifactu=model.tax_agency_qr.verifactu)
            if model.tax_agency_qr is not None
            else None
        ),
        contacts=tuple(dict.fromkeys(customer.contacts)),
    )


def _most(scale: int) -> Decimal:
    return Decimal(MAX_STORED_INTEGER) / scale


def _check_storable(lines: tuple[LineData, ...], totals: Totals) -> None:
    """Refuse numbers the database columns cannot hold (see MAX_STORED_INTEGER).

    Tax rates are at most 100 % and nothing is negative, so every line amount,
    the subtotal and the tax are at most the total: checking the total covers them.
    """
    errors = []
    for index, line in enumerate(lines):
        if line.quantity_milli > MAX_STORED_INTEGER:
            errors.append(
                FieldError(
                    f"lines[{index}].quantity",
                    f"is more than {_most(QUANTITY_SCALE)}, the most the portal stores",
                )
            )
        if line.unit_price_e4 > MAX_STORED_INTEGER:
            errors.append(
                FieldError(
                    f"lines[{index}].unit_price",
                    f"is more than {_most(UNIT_PRICE_SCALE)}, the most the portal stores",
                )
            )
    if totals.total_cents > MAX_STORED_INTEGER:
        errors.append(
            FieldError(
                "total",
                f"the lines add up to {Decimal(totals.total_cents) / 100:.2f}; "
                f"an invoice may total at most {_most(100)}",
            )
        )
    if errors:
        raise InputRejected(errors)


def invoice_label(raw: Any, index: int) -> str:
    """How to name an invoice in a message, even when its number is unusable."""
    number = raw.get("number") if isinstance(raw, dict) else None
    if isinstance(number, str) and re.fullmatch(NUMBER_PATTERN, number.strip()):
        return number.strip()
    return f"#{index + 1}"
