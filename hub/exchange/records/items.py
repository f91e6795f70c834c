"""What intake works with and answers: records in flight and per-record results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from hub.exchange.records.validation import Candidate

CREATED = "created"
REPLAYED = "replayed"
REJECTED = "rejected"


@dataclass
class ItemResult:
    """What became of one submitted record; error paths are relative to the record."""

    index: int
    partner_record_id: str | None
    status: str
    id: uuid.UUID | None = None
    record_status: str | None = None
    code: str | None = None
    errors: dict[str, list[str]] | None = None
    equality_dropped: bool = False
    alert_id: uuid.UUID | None = None
    # The alert raised for it: categories, immediate, due_at and reasons (redacted words).
    alert: dict[str, Any] | None = None
    # For a record stored now: the rows written for it (an answer is built from them).
    written: Written | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Written:
    """The rows just written for one new record: the record, its consent and its alert."""

    record: dict[str, Any]
    consent: dict[str, Any]
    alert: dict[str, Any] | None


@dataclass
class Item:
    """A valid record on its way in, with the digest a replay must match."""

    index: int
    candidate: Candidate
    digest: str


@dataclass
class Prepared:
    """Checked records: results for those already decided, and the records still to store."""

    organisation_id: uuid.UUID
    results: list[ItemResult | None]
    new: list[Item]
    followers: list[tuple[Item, Item]]

    def finished(self) -> list[ItemResult]:
        """Every result, once stored (or previewed)."""
        out = [r for r in self.results if r is not None]
        assert len(out) == len(self.results), "an item was left undecided"
        return out
