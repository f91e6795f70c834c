"""What intake works with and answers: its settings, records in flight, per-record results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hub.config import Settings
from hub.exchange.fingerprint import derive_key
from hub.exchange.validation import Candidate
from hub.safeguarding.rules import Deadlines

CREATED = "created"
REPLAYED = "replayed"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class IntakeConfig:
    """What intake needs from the settings: digest keys, limits and safeguarding deadlines."""

    digest_key: bytes
    fingerprint_key: bytes
    batch_max: int = 1000
    deadlines: Deadlines = field(default_factory=Deadlines)

    @classmethod
    def from_settings(cls, settings: Settings, secret: str) -> IntakeConfig:
        """Derive the keys from the server secret and read the limits."""
        return cls(
            digest_key=derive_key(secret, "content-digest"),
            fingerprint_key=derive_key(secret, "fingerprint"),
            batch_max=settings.batch_max_records,
            deadlines=Deadlines.from_minutes(
                settings.safeguarding_due_immediate_minutes, settings.safeguarding_due_minutes
            ),
        )


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
