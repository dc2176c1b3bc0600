"""Shared pieces for validating what the billing system sends (pydantic).

Each problem becomes a :class:`FieldError` naming its field path, e.g.
``lines[2].unit_price``, with a message an operator can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from customer_portal.domain.money import AmountError, parse_decimal, parse_rate


@dataclass(frozen=True)
class FieldError:
    """One problem with the input: the field path (``lines[2].unit_price``) and what is wrong.

    ``field`` is empty when the problem is the input as a whole (not an object).
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InputRejected(ValueError):
    """The input is not acceptable; ``errors`` says where and why."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


# ASCII control characters other than tab and line breaks: PostgreSQL refuses
# NUL in text (the INSERT would fail after signing, as a 500), and no invoice
# text needs the rest (escape sequences, form feeds) in a PDF or an email.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class StrictModel(BaseModel):
    """Unknown fields are errors: a typo such as ``due_dat`` must not pass silently.

    Every text field, in every model built on this one, refuses control characters.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and _CONTROL.search(value):
            raise custom_error("must not contain control characters")
        return value


def custom_error(message: str) -> PydanticCustomError:
    """A validation error for pydantic to report with ``message`` exactly as written.

    Raise it from a validator: :func:`validate_model` then puts the message,
    unchanged, beside the field's path.
    """
    return PydanticCustomError("portal", message)


def _amount_validator(parse):
    def validator(value: Any) -> Any:
        try:
            return parse(value)
        except AmountError as exc:
            raise custom_error(str(exc)) from None

    return BeforeValidator(validator)


def _iso_date(value: Any) -> date:
    # pydantic's lax mode would take a Unix timestamp or "2019-4-30"; a
    # document date must be unambiguous, so only YYYY-MM-DD is accepted.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise custom_error("must be a date written YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise custom_error(f"{value.strip()!r} is not a real date") from None
    if not 2000 <= parsed.year <= 2099:
        raise custom_error("must be a date between 2000 and 2099")
    return parsed


Quantity = Annotated[
    Decimal, _amount_validator(lambda v: parse_decimal(v, places=3, allow_zero=False))
]
UnitPrice = Annotated[Decimal, _amount_validator(lambda v: parse_decimal(v, places=4))]
Amount = Annotated[Decimal, _amount_validator(lambda v: parse_decimal(v, places=2))]
Rate = Annotated[Decimal, _amount_validator(parse_rate)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "string_too_short": "must not be empty",
    "string_pattern_mismatch": "is not in the accepted format",
    "too_short": "must have at least one entry",
}


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind == "too_long":
        return f"has more than {ctx.get('max_length')} entries"
    return _MESSAGES.get(kind, str(error["msg"]))


def validate_model(model: type[StrictModel], raw: Any, what: str) -> Any:
    """``model`` validated from ``raw``, or InputRejected naming every bad field."""
    if not isinstance(raw, dict):
        raise InputRejected([FieldError("", f"{what} must be a JSON object")])
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InputRejected(
            [FieldError(_path(tuple(e["loc"])), _message(e)) for e in exc.errors()]
        ) from None
