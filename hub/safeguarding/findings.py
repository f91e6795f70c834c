"""What the safeguarding engine finds: the categories it reports, and a finding with its reasons.

Kept apart from the engine so that code which only reads findings (assessing, storing, showing
alerts) does not load the rules or the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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

RULE, MODEL, PARTNER = "rule", "model", "partner"
# A reason's category when it says what made an alert urgent, or that a concern names no category.
IMMEDIATE, GENERAL = "immediate", "concern"
# The longest quote a reason keeps, in characters.
MAX_QUOTE = 120


@dataclass(frozen=True, slots=True)
class Reason:
    """Words of the narrative that raised a finding: ``category`` is a category, or
    ``"immediate"`` for what made it urgent (``"concern"``: a concern with no category);
    ``source`` is ``"rule"`` or ``"model"``, or ``"partner"`` for the partner's own flag (no
    words)."""

    category: str
    source: str
    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "source": self.source, "words": list(self.words)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        """A reason as stored with an alert (its words already redacted; no spans)."""
        return cls(str(data["category"]), str(data["source"]), tuple(data.get("words") or ()))


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


def quote(text: str, start: int, end: int, hidden: Iterable[tuple[int, int, str]] = ()) -> str:
    """``text[start:end]`` as a reason quotes it: whitespace squeezed, at most MAX_QUOTE
    characters, and every ``(start, end, placeholder)`` of ``hidden`` that touches it replaced
    by its placeholder (the whole of it, even where it runs past the quote's ends)."""
    parts: list[str] = []
    at = start
    for h_start, h_end, placeholder in sorted(hidden):
        if h_end <= start or h_start >= end or h_end <= at:
            continue
        parts.append(text[at : max(h_start, at)])
        parts.append(placeholder)
        at = h_end
    if at < end:
        parts.append(text[at:end])
    words = " ".join("".join(parts).split())
    return words if len(words) <= MAX_QUOTE else words[: MAX_QUOTE - 1].rstrip() + "…"


def masked(
    text: str, reasons: Iterable[Reason], hidden: Iterable[tuple[int, int, str]]
) -> tuple[Reason, ...]:
    """The reasons, quoted again from ``text`` with every ``hidden`` span replaced by its
    placeholder (a name by "[NAME]"): what may be stored and shown beside a redacted account."""
    spans = sorted(hidden)
    out = []
    for reason in reasons:
        words = tuple(dict.fromkeys(quote(text, s, e, spans) for s, e in reason.spans))
        out.append(Reason(reason.category, reason.source, words, reason.spans))
    return tuple(out)


def remasked(
    stored: Iterable[Mapping[str, Any]], text: str, hidden: Iterable[tuple[int, int, str]]
) -> list[dict[str, Any]]:
    """Reasons as stored with an alert (their words quoted and masked when it was raised), with
    every identifier of ``hidden`` (spans of ``text``, the narrative) masked as well: wherever a
    hidden span, or one of its words, appears whole in a quote, exactly as written there, it
    becomes the span's placeholder. For a redaction that now finds more than it did when the alert
    was raised, so that the reasons never show more than the redacted account."""
    placeholders: dict[str, str] = {}
    for start, end, placeholder in hidden:
        words = text[start:end].split()
        # The whole span, and each of its words alone (a reason may quote "sandra" alone from
        # "sandra okafor"); the longest are replaced first.
        for value in (" ".join(words), *(w for w in words if len(w) >= 3)):
            if value:
                placeholders.setdefault(value, placeholder)
    reasons = [dict(r) for r in stored]
    if not placeholders:
        return reasons
    values = sorted(placeholders, key=lambda v: (-len(v), v))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, values)) + r")(?!\w)")
    for reason in reasons:
        reason["words"] = list(
            dict.fromkeys(
                pattern.sub(lambda m: placeholders[m.group(0)], str(word))
                for word in reason.get("words") or ()
            )
        )
    return reasons
