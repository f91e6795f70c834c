"""How the layers' readings make one decision (hub.safeguarding.combine)."""

from __future__ import annotations

from hub.safeguarding.combine import Evidence, decide
from hub.safeguarding.findings import CATEGORIES

THRESHOLDS = {
    "concern": 0.5,
    "weak": 0.4,
    "immediate": 0.6,
    "immediate_cue": 0.4,
    "weak_category": 0.5,
    **{c: 0.5 for c in CATEGORIES},
}


def _scores(concern: float, **categories: float) -> dict[str, float]:
    scores = {c: 0.01 for c in CATEGORIES}
    scores.update({k.replace("_", "-"): v for k, v in categories.items()})
    return {"concern": concern, "immediate": 0.0, **scores}


def _evidence(strong: set[str], probabilities: dict[str, float]) -> Evidence:
    return Evidence(frozenset(strong), frozenset(), False, False, probabilities)


def test_a_sign_names_its_category_and_the_model_adds_its_most_likely_one() -> None:
    # A sign saw psychological harm; the model leans towards discriminatory abuse without being
    # sure. Both are named, so a duty officer filtering by either finds the alert.
    decision = decide(
        _evidence({"psychological"}, _scores(0.9, discriminatory=0.3, psychological=0.2)),
        THRESHOLDS,
        CATEGORIES,
    )
    assert decision.concern
    assert set(decision.categories) == {"psychological", "discriminatory"}
    assert decision.by_model == {"discriminatory"}


def test_the_model_adds_nothing_its_most_likely_category_already_named() -> None:
    decision = decide(
        _evidence({"neglect"}, _scores(0.9, neglect=0.4, organisational=0.2)),
        THRESHOLDS,
        CATEGORIES,
    )
    assert decision.categories == ("neglect",)


def test_no_concern_names_no_category() -> None:
    decision = decide(_evidence(set(), _scores(0.1, neglect=0.45)), THRESHOLDS, CATEGORIES)
    assert not decision.concern and decision.categories == ()
