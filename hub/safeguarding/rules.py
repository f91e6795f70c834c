"""When a record raises a safeguarding alert, and how urgent it is (pure rules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hub.safeguarding.findings import (
    CATEGORIES,
    GENERAL,
    IMMEDIATE,
    PARTNER,
    Classification,
    Reason,
)

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
REFERRED = "referred"
STATUSES = (OPEN, ACKNOWLEDGED, REFERRED)
# Open alerts first in the queue, then those acknowledged but not yet referred on.
QUEUE_RANK = {OPEN: 0, ACKNOWLEDGED: 1, REFERRED: 2}


@dataclass(frozen=True, slots=True)
class Assessment:
    """Why a record needs the regulator's attention, and how soon."""

    categories: tuple[str, ...]
    immediate: bool
    source: str  # "partner", "classifier" or "partner+classifier"
    rules: tuple[str, ...]
    # Why: the partner's flags (no words), then the words that raised each of the classifier's
    # findings.
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Time allowed to act on an alert."""

    immediate: timedelta = timedelta(hours=1)
    standard: timedelta = timedelta(hours=24)

    @classmethod
    def from_minutes(cls, immediate: int, standard: int) -> Deadlines:
        """Deadlines from the settings' minute counts."""
        return cls(timedelta(minutes=immediate), timedelta(minutes=standard))

    def due(self, raised_at: datetime, immediate: bool) -> datetime:
        """When an alert raised at ``raised_at`` must be acted on."""
        return raised_at + (self.immediate if immediate else self.standard)


def _ordered(categories: set[str]) -> tuple[str, ...]:
    known = [c for c in CATEGORIES if c in categories]
    return tuple(known + sorted(categories - set(CATEGORIES)))


def assess(
    *,
    concern: bool,
    immediate_risk: bool,
    categories: Sequence[str],
    classification: Classification,
) -> Assessment | None:
    """Combine the partner's flags with the classifier's reading; None when neither is worried.

    The partner's immediate risk or categories count as a concern even without ``concern``:
    with safeguarding, the cautious reading wins.
    """
    partner = concern or immediate_risk or bool(categories)
    if not partner and not classification.concern:
        return None
    source = "+".join(
        name
        for name, flag in (("partner", partner), ("classifier", classification.concern))
        if flag
    )
    flagged = [Reason(c, PARTNER, ()) for c in _ordered(set(categories))]
    if partner and not flagged:
        flagged.append(Reason(GENERAL, PARTNER, ()))
    if immediate_risk:
        flagged.append(Reason(IMMEDIATE, PARTNER, ()))
    return Assessment(
        categories=_ordered(set(categories) | set(classification.categories)),
        immediate=immediate_risk or classification.immediate,
        source=source,
        rules=tuple(classification.matches),
        reasons=(*flagged, *classification.reasons),
    )


def with_reasons(assessment: Assessment, reasons: Sequence[Reason]) -> Assessment:
    """The assessment with its reasons replaced (quoted again beside a redacted account)."""
    return replace(assessment, reasons=tuple(reasons))
