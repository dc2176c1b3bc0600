"""What happened to each item of a batch, in one shape for invoices and payments."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from customer_portal.domain.validation import FieldError

# Outcomes of one item.
PUBLISHED, RECORDED, UNCHANGED, REJECTED = "published", "recorded", "unchanged", "rejected"
# Why an item was rejected; the HTTP API maps each to a status code.
INVALID, CONFLICT, NOT_FOUND, FAILED = "invalid", "conflict", "not_found", "failed"


@dataclass(frozen=True)
class ItemResult:
    """The outcome of one invoice or payment of a batch, as the CLI and the API report it.

    Attributes:
        label: which item it is, so the operator can find it in what was sent.
        status: ``published``, ``recorded``, ``unchanged`` or ``rejected``.
        reason: for a rejection, its kind (``invalid``, ``conflict``,
            ``not_found``, ``failed``), which sets the HTTP status; else None.
        errors: for a rejection, each problem with the field it concerns.
    """

    label: str  # the invoice number or payment reference, or "#n" when unusable
    status: str
    reason: str | None = None
    errors: tuple[FieldError, ...] = ()

    @property
    def message(self) -> str:
        """One line for a person: the status, or for a rejection every error joined."""
        if self.status != REJECTED:
            return self.status
        return "; ".join(str(e) for e in self.errors)

    def as_dict(self) -> dict[str, Any]:
        """The item as the HTTP API's JSON reports it; reason and errors only when rejected."""
        out: dict[str, Any] = {"id": self.label, "status": self.status}
        if self.status == REJECTED:
            out["reason"] = self.reason
            out["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return out


def rejected(label: str, reason: str, *errors: FieldError) -> ItemResult:
    """A ``rejected`` result for ``label``, of kind ``reason``, with what was wrong."""
    return ItemResult(label=label, status=REJECTED, reason=reason, errors=errors)


@dataclass
class BatchSummary:
    """Every item's result of one batch, in the order the items were sent."""

    results: list[ItemResult] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        """How many items ended with each status, for the summary line and the API."""
        return Counter(r.status for r in self.results)

    @property
    def ok(self) -> bool:
        """Whether no item was rejected."""
        return self.counts()[REJECTED] == 0


def run_batch(
    raws: Iterable[Any],
    process: Callable[[Any, int], ItemResult],
    progress: Callable[[ItemResult], None] | None = None,
) -> BatchSummary:
    """``process(raw, index)`` for each item in order, collecting the results."""
    summary = BatchSummary()
    for index, raw in enumerate(raws):
        result = process(raw, index)
        summary.results.append(result)
        if progress is not None:
            progress(result)
    return summary
