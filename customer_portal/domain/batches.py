"""Reading a batch of invoices or payments from JSON or CSV text.

JSON: a list of objects, or ``{"invoices": [...]}`` / ``{"payments": [...]}``.
Numbers are read as Decimal, never float, so ``0.1`` stays ``0.1``. A body
nested deeper than :data:`MAX_JSON_DEPTH`, a number longer than
:data:`MAX_JSON_NUMBER_DIGITS` or beyond a double's range, and the ``NaN`` /
``Infinity`` literals Python's json would otherwise accept are refused
before any of it reaches validation.
CSV (invoices): one row per invoice line; rows with the same ``number`` form
one invoice, whose header columns must agree on every row.
"""

from __future__ import annotations

import csv
import io
import json
import operator
import re
from decimal import Decimal, InvalidOperation
from itertools import accumulate
from typing import Any

from customer_portal.domain.invoice_input import FieldError, InputRejected

INVOICE_COLUMNS = ("number", "issue_date", "due_date", "currency", "total")
CUSTOMER_COLUMNS = ("code", "name", "tax_id", "email", "address")
LINE_COLUMNS = ("description", "quantity", "unit_price", "tax_name", "tax_rate")

#: A batch is four levels deep ({"invoices": [{"lines": [{...}]}]}); 32 leaves
#: room for any sane wrapper while staying far below the ~1,000 nested calls
#: at which json.loads raises RecursionError.
MAX_JSON_DEPTH = 32
#: No value the portal accepts needs more than 16 digits (below 10^12, at most
#: 4 decimals); 40 leaves room for trailing zeros. Checked in json's parse hooks
#: before int() (which raises ValueError past 4,300 digits) or Decimal() sees it.
MAX_JSON_NUMBER_DIGITS = 40
# The largest finite double: JSON parsers elsewhere turn anything larger into
# infinity, so such a number cannot mean the same thing to both ends.
_MAX_JSON_NUMBER = Decimal("1.7976931348623157e308")

# What json_depth deletes: a JSON string (or an unterminated one running to
# the end of the text), or a run of anything that is neither a quote nor a
# bracket. The unrolled, possessive string pattern cannot backtrack, and every
# match succeeds where it starts, so one pass is linear even on a body made of
# stray quotes or backslashes.
_NOT_STRUCTURE = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)|[^"\[\]{}]++', re.DOTALL)
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class _Refused(ValueError):
    """A JSON literal the portal does not read; raised from json's parse hooks."""


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text``, ignoring brackets in strings.

    Meant for text json.loads has not seen yet: it never raises, and on
    malformed JSON it returns a number json.loads will then reject anyway.
    """
    brackets = _NOT_STRUCTURE.sub("", text)
    # C-level loop: one step per bracket, with no Python bytecode per character.
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets), operator.add), default=0)


def _checked_digits(literal: str) -> str:
    digits = len(literal) - sum(literal.count(c) for c in "-+.eE")
    if digits > MAX_JSON_NUMBER_DIGITS:
        raise _Refused(f"a number in the JSON has more than {MAX_JSON_NUMBER_DIGITS} digits")
    return literal


def _parse_int(literal: str) -> int:
    return int(_checked_digits(literal))


def _parse_float(literal: str) -> Decimal:
    try:
        number = Decimal(_checked_digits(literal))
    except InvalidOperation:  # an exponent beyond what Decimal can hold
        raise _Refused(f"a number in the JSON is out of range: {literal}") from None
    if abs(number) > _MAX_JSON_NUMBER:
        raise _Refused(f"a number in the JSON is out of range: {literal}")
    return number


def _parse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def parse_json_batch(text: str | bytes, key: str) -> list[Any]:
    """The items of a JSON batch; ``key`` names the wrapping object's list."""
    if isinstance(text, bytes):
        # Decode ourselves: json.loads would guess UTF-16 from a stray BOM.
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputRejected([FieldError("", "the body is not UTF-8 text")]) from None
    # Before parsing: json.loads recurses once per level and would raise
    # RecursionError (a 500) on a body of a few thousand brackets.
    if json_depth(text) > MAX_JSON_DEPTH:
        raise InputRejected(
            [FieldError("", f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")]
        )
    try:
        payload = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as exc:
        raise InputRejected(
            [FieldError("", f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
        ) from None
    except _Refused as exc:
        raise InputRejected([FieldError("", str(exc))]) from None
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
        InputRejected: the CSV is malformed (e.g. a field over the csv
            module's 128 KiB limit), a required column is missing, or two rows
            of one invoice disagree on its invoice or customer columns.
    """
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _grouped_invoices(reader)
    except csv.Error as exc:
        raise InputRejected(
            # The inner reader's count: DictReader updates its own only after a good row.
            [FieldError("", f"malformed CSV at line {reader.reader.line_num}: {exc}")]
        ) from None


def _grouped_invoices(reader: csv.DictReader) -> list[Any]:
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
