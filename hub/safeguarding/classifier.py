"""The safeguarding engine: signs-based rules and a statistical model, combined recall first.

``classify(text)`` is what intake runs on every narrative (and what ``hub safeguarding evaluate``
measures). Two layers read the narrative:

- the rules (``signs.json``, hub.safeguarding.signs): signs of abuse, neglect and risk as a duty
  officer knows them, with negation and hypotheticals scoped so real threats still count;
- the model (``model.json``, hub.safeguarding.model): TF-IDF word and character n-grams with one
  logistic head for "is this a concern", one for "is it immediate" and one per category, trained
  by ``scripts/train_safeguarding.py`` on the training corpus.

hub.safeguarding.combine turns their evidence into one decision. Every finding says why: the
words of the narrative that raised it, per category, from the rule that matched or the words that
weighed most in the model.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from typing import Any

from hub.safeguarding.combine import GENERAL, IMMEDIATE, Decision, Evidence, decide
from hub.safeguarding.findings import (
    CARE_ACT_CATEGORIES,
    CATEGORIES,
    MODEL,
    NO_CONCERN,
    RULE,
    SELF_HARM,
    Classification,
    Reason,
    quote,
)
from hub.safeguarding.model import Model, Scores, packaged_model_text
from hub.safeguarding.rules import Assessment, assess
from hub.safeguarding.signs import Reading, Rulebook, SignHit
from hub.safeguarding.text import Token


class Classifier:
    """A rulebook and (optionally) a model, applied to narratives."""

    def __init__(self, rulebook: Rulebook, model: Model | None = None) -> None:
        self.rulebook = rulebook
        self.model = model
        if model is not None:
            missing = set(CATEGORIES) - set(model.heads)
            if missing:
                raise ValueError(f"model: no heads for {sorted(missing)}")
        unknown = set(rulebook.categories) - set(CATEGORIES) - {GENERAL}
        if unknown:
            raise ValueError(f"rulebook: unknown categories {sorted(unknown)}")

    @classmethod
    def from_specs(
        cls, signs: Mapping[str, Any], model: Mapping[str, Any] | None = None
    ) -> Classifier:
        return cls(Rulebook(signs), Model(model) if model is not None else None)

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories this engine can report."""
        return CATEGORIES

    def classify(self, text: str) -> Classification:
        """Classify one narrative."""
        return self.analyse(text)[0]

    def classify_many(self, texts: Iterable[str]) -> list[Classification]:
        """Classify several narratives, in order."""
        return [self.classify(t) for t in texts]

    def analyse(self, text: str) -> tuple[Classification, int]:
        """The classification and the work it took (steps of the rules plus features of the
        model): a measure that grows with the text, for the bounded-cost guarantee."""
        reading = self.rulebook.read(text)
        items = [t.text for t in reading.tokens]
        scores = self.model.scores(items) if self.model is not None else None
        work = reading.work + (scores.work if scores else 0)
        evidence = evidence_of(reading, scores.probabilities if scores else {})
        thresholds = self.model.thresholds if self.model is not None else {}
        decision = decide(evidence, thresholds, CATEGORIES)
        if not decision.concern:
            return NO_CONCERN, work
        return self._explain(text, reading, scores, decision), work

    def _explain(
        self, text: str, reading: Reading, scores: Scores | None, decision: Decision
    ) -> Classification:
        hits = reading.hits
        counted = {c for c in decision.categories} | {GENERAL}
        reasons: list[Reason] = []
        fallback = decision.categories[0] if decision.categories else GENERAL
        for category in decision.categories:
            own = [h for h in hits if h.sign.category == category]
            if own:
                reasons.append(_rule_reason(category, text, own))
        general = [h for h in hits if h.sign.category == GENERAL]
        if general and not any(r.category == fallback for r in reasons):
            reasons.append(_rule_reason(fallback, text, general))
        urgent = [h for h in hits if h.sign.immediate] if decision.immediate else []
        if urgent:
            reasons.append(_rule_reason(IMMEDIATE, text, urgent))
        if scores is not None and self.model is not None:
            heads = [c for c in decision.categories if c in decision.by_model]
            if decision.immediate and not urgent:
                heads.append(IMMEDIATE)
            for head, top in self.model.explain(scores, heads, _MODEL_WORDS).items():
                if top:
                    reasons.append(_model_reason(head, text, reading.tokens, top))
        matches = sorted(
            {h.sign.key for h in hits if h.sign.category in counted or h.sign.immediate}
        )
        return Classification(
            concern=True,
            categories=decision.categories,
            immediate=decision.immediate,
            matches=tuple(matches),
            reasons=tuple(reasons),
            scores=dict(scores.probabilities) if scores else {},
        )


def evidence_of(reading: Reading, probabilities: Mapping[str, float]) -> Evidence:
    """The rules' and the model's evidence for :func:`combine.decide`."""
    concerns = [h.sign for h in reading.hits if h.sign.category != IMMEDIATE]
    cues = [h.sign for h in reading.hits if h.sign.category == IMMEDIATE]
    return Evidence(
        strong=frozenset(s.category for s in concerns if not s.weak),
        weak=frozenset(s.category for s in concerns if s.weak),
        immediate_sign=any(s.immediate and not s.weak for s in concerns),
        urgency_cue=bool(cues),
        probabilities=probabilities,
    )


def _rule_reason(category: str, text: str, hits: list[SignHit]) -> Reason:
    spans = tuple(sorted({(h.start, h.end) for h in hits}))
    words = tuple(dict.fromkeys(quote(text, s, e) for s, e in spans))
    return Reason(category, RULE, words, spans)


def _model_reason(category: str, text: str, words: list[Token], top: Mapping[int, float]) -> Reason:
    # ``top`` indexes ``words`` (every token; only words carry weight).
    """The model's most telling words, neighbours joined into one phrase, in reading order."""
    positions = sorted(top)
    groups: list[list[int]] = []
    for pos in positions:
        if groups and pos == groups[-1][-1] + 1:
            groups[-1].append(pos)
        else:
            groups.append([pos])
    spans = tuple((words[g[0]].start, words[g[-1]].end) for g in groups)
    quoted = tuple(dict.fromkeys(quote(text, s, e) for s, e in spans))
    return Reason(category, MODEL, quoted, spans)


# How many of the model's most telling words a reason quotes.
_MODEL_WORDS = 4

__all__ = [
    "CARE_ACT_CATEGORIES",
    "CATEGORIES",
    "NO_CONCERN",
    "SELF_HARM",
    "Classification",
    "Classifier",
    "Reason",
    "classify",
    "default_classifier",
    "screen",
]

_default: Classifier | None = None
_default_lock = threading.Lock()


def packaged_rulebook_text() -> str:
    """The text of the packaged signs.json."""
    return resources.files("hub.safeguarding").joinpath("signs.json").read_text("utf-8")


def default_classifier() -> Classifier:
    """The engine built from the packaged signs.json and model.json (loaded once)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Classifier(
                    Rulebook(json.loads(packaged_rulebook_text())),
                    Model.from_text(packaged_model_text()),
                )
    return _default


def classify(text: str) -> Classification:
    """Classify one narrative with the packaged engine."""
    return default_classifier().classify(text)


def screen(
    narrative: str,
    *,
    concern: bool = False,
    immediate_risk: bool = False,
    categories: Sequence[str] = (),
    classify_text: Callable[[str], Classification] = classify,
) -> Assessment | None:
    """What intake decides for a narrative and the partner's flags: the engine's reading
    combined with the flags (None when neither is worried). Intake and ``hub safeguarding
    evaluate`` both call this, so what is measured is what runs."""
    return assess(
        concern=concern,
        immediate_risk=immediate_risk,
        categories=categories,
        classification=classify_text(narrative),
    )
