"""How the layers' readings make one decision (pure; training tunes the thresholds with it).

Recall comes first. A strong sign raises a concern on its own; the model raises one when its
concern score reaches its threshold; a weak sign (words that are often innocent) raises one when
the model leans that way too. A concern takes the categories of its strong signs, those the model
scores over each category's threshold, those of its weak signs the model half agrees with, and
always the model's most likely category, confident or not: abuse told indirectly is often
raised by a sign of a neighbouring category (discriminatory treatment read as psychological
harm), and the model's best guess then names the category a duty officer filters by. It is
immediate when a sign of risk now is there (a plan, an injury now, unsafe tonight), or the
model's immediacy score is high, or a cue of urgency meets a moderate score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# GENERAL: signs of a concern that say no category; IMMEDIATE: cues of risk now, which count
# only beside a concern.
from hub.safeguarding.findings import GENERAL, IMMEDIATE

__all__ = ["GENERAL", "IMMEDIATE", "THRESHOLDS", "Decision", "Evidence", "decide"]

# Thresholds a model file carries (cross-validated on the training corpus).
THRESHOLDS = ("concern", "weak", "immediate", "immediate_cue", "weak_category")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the rules and the model said about one narrative."""

    strong: frozenset[str]  # categories (or GENERAL) of strong signs that fired
    weak: frozenset[str]  # categories (or GENERAL) of weak signs that fired
    immediate_sign: bool  # a sign marked immediate fired (e.g. "she has a plan")
    urgency_cue: bool  # a cue of risk now fired
    probabilities: Mapping[str, float]  # per model head; empty without a model


@dataclass(frozen=True, slots=True)
class Decision:
    concern: bool
    categories: tuple[str, ...]
    immediate: bool
    # Categories the model vouched for (its score reached the threshold, or it was the fallback).
    by_model: frozenset[str]


NO_DECISION = Decision(False, (), False, frozenset())


def decide(
    evidence: Evidence, thresholds: Mapping[str, float], categories: Sequence[str]
) -> Decision:
    """One decision from the layers' evidence (see the module's docstring)."""
    p = evidence.probabilities
    has_model = bool(p)
    concern = bool(evidence.strong) or evidence.immediate_sign
    if has_model:
        concern = concern or p["concern"] >= thresholds["concern"]
        concern = concern or (bool(evidence.weak) and p["concern"] >= thresholds["weak"])
    if not concern:
        return NO_DECISION
    chosen = {c for c in evidence.strong if c in categories}
    by_model: set[str] = set()
    if has_model:
        by_model = {c for c in categories if p[c] >= thresholds[c]}
        factor = thresholds["weak_category"]
        chosen |= {c for c in evidence.weak if c in categories and p[c] >= factor * thresholds[c]}
        chosen |= by_model
        best = max(categories, key=lambda c: (p[c], c))
        if best not in chosen:
            chosen.add(best)
            by_model.add(best)
    ordered = tuple(c for c in categories if c in chosen)
    immediate = evidence.immediate_sign
    if has_model:
        score = p[IMMEDIATE]
        immediate = immediate or score >= thresholds[IMMEDIATE]
        immediate = immediate or (evidence.urgency_cue and score >= thresholds["immediate_cue"])
    else:
        immediate = immediate or evidence.urgency_cue
    return Decision(True, ordered, immediate, frozenset(by_model))
