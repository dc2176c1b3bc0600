"""Reading a batch of invoices or payments from JSON or CSV text.

JSON: a list of objects, or ``{"invoices": [...]}`` / ``{"payments": [...]}``.
Numbers are read as Decimal, never float, so ``0.1`` stays ``0.1``.
CSV (invoices): one row per invoice line; rows with the same ``number`` form
one invoice, whose header columns must agree on every row.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from customer_portal.domain.invoice_input import FieldError, InputRejected

INVOICE_COLUMNS = ("number", "issue_date", "due_date", "currency", "total")
CUSTOMER_COLUMNS = ("code", "name", "tax_id", "email", "address")
LINE_COLUMNS = ("description", "quantity", "unit_price", "tax_name", "tax_rate")


def parse_json_batch(text: str | bytes, key: str) -> list[Any]:
    """The items of a JSON batch; ``key`` names the wrapping object's list."""
    if isinstance(text, bytes):
        # Decode ourselves: json.loads would guess UTF-16 from a stray BOM.
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputRejected([FieldError("", "the body is not UTF-8 text")]) from None
    try:
        payload = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InputRejected(
            [FieldError("", f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
        ) from None
    if isinstance(payload, dict) and isinstance(payload.get(key), list):
        return payload[key]
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict) and key.rstrip("s") in ("invoice", "payment"):
        return [payload]  # a single object is a batch of one
    raise InputRejected([FieldError("", f'expected a list of {key} or {{"{key}": [...]}}')])


def parse_invoice_csv(text: str) -> list[Any]:
    """Invoices from CSV rows, grouped by ``number`` in order of appearance.

    Raises:
        InputRejected: a required column is missing, or two rows of one
            invoice disagree on its invoice or customer columns.
    """
    reader = csv.DictReader(io.StringIO(text))
    customer_columns = [f"customer_{c}" for c in CUSTOMER_COLUMNS]
    required = {"number", "issue_date", *customer_columns[:4], *LINE_COLUMNS}
    missing = required - set(reader.fieldnames or ())
    if missing:
        raise InputRejected(
            [FieldError("", f"CSV header lacks the columns: {', '.join(sorted(missing))}")]
        )

    def cells(row: dict[str, str | None], columns) -> dict[str, str]:
        # Empty cells are absent values, so optional fields stay optional.
        values = {c: (row.get(c) or "").strip() for c in columns}
        return {c: v for c, v in values.items() if v}

    invoices: dict[str, dict[str, Any]] = {}
    first_rows: dict[str, tuple[int, tuple]] = {}
    errors: list[FieldError] = []
    for row_number, row in enumerate(reader, start=2):
        header = cells(row, INVOICE_COLUMNS)
        customer = {k.removeprefix("customer_"): v for k, v in cells(row, customer_columns).items()}
        number = header.get("number", "")
        signature = (sorted(header.items()), sorted(customer.items()))
        if number not in invoices:
            invoices[number] = {**header, "customer": customer, "lines": []}
            first_rows[number] = (row_number, signature)
        elif first_rows[number][1] != signature:
            errors.append(
                FieldError(
                    f"row {row_number}",
                    f"invoice or customer columns differ from row {first_rows[number][0]}",
                )
            )
        invoices[number]["lines"].append(cells(row, LINE_COLUMNS))
    if errors:
        raise InputRejected(errors)
    return list(invoices.values())
