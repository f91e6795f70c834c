"""What the safeguarding engine finds: the categories it reports, and a finding with its reasons.

Kept apart from the engine so that code which only reads findings (assessing, storing, showing
alerts) does not load the rules or the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CARE_ACT_CATEGORIES: tuple[str, ...] = (
    "physical",
    "domestic-abuse",
    "sexual",
    "psychological",
    "financial",
    "modern-slavery",
    "discriminatory",
    "organisational",
    "neglect",
    "self-neglect",
)
# Not a Care Act category, but a safeguarding concern the regulator acts on (CONTRACT §4).
SELF_HARM = "self-harm"
CATEGORIES: tuple[str, ...] = (*CARE_ACT_CATEGORIES, SELF_HARM)

RULE, MODEL = "rule", "model"


@dataclass(frozen=True, slots=True)
class Reason:
    """Words of the narrative that raised a finding: ``category`` is a category, or
    ``"immediate"`` for what made it urgent; ``source`` is ``"rule"`` or ``"model"``."""

    category: str
    source: str
    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "source": self.source, "words": list(self.words)}


@dataclass(frozen=True, slots=True)
class Classification:
    """The outcome for one narrative. ``matches`` names the signs that fired (never the text);
    ``reasons`` quotes the words that raised each category; ``scores`` are the model's."""

    concern: bool
    categories: tuple[str, ...]
    immediate: bool
    matches: tuple[str, ...]
    reasons: tuple[Reason, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)


NO_CONCERN = Classification(concern=False, categories=(), immediate=False, matches=())
