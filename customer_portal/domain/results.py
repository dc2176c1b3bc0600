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
    label: str  # the invoice number or payment reference, or "#n" when unusable
    status: str
    reason: str | None = None
    errors: tuple[FieldError, ...] = ()

    @property
    def message(self) -> str:
        if self.status != REJECTED:
            return self.status
        return "; ".join(str(e) for e in self.errors)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.label, "status": self.status}
        if self.status == REJECTED:
            out["reason"] = self.reason
            out["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return out


def rejected(label: str, reason: str, *errors: FieldError) -> ItemResult:
    return ItemResult(label=label, status=REJECTED, reason=reason, errors=errors)


@dataclass
class BatchSummary:
    results: list[ItemResult] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.results)

    @property
    def ok(self) -> bool:
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
