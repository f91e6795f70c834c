"""The hub's own sentiment score for narratives (VADER compound, -1 to 1)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

POSITIVE = "positive"
NEGATIVE = "negative"
NEUTRAL = "neutral"

# VADER's authors' recommended cut-offs for the compound score.
THRESHOLD = 0.05

_analyser: Any = None
_lock = threading.Lock()


def _get_analyser() -> Any:
    # Building the analyser reads its lexicon from disk, so it is done once, on first use.
    global _analyser
    if _analyser is None:
        with _lock:
            if _analyser is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _analyser = SentimentIntensityAnalyzer()
    return _analyser


def score(text: str) -> float:
    """The VADER compound score of text, from -1 (most negative) to 1, rounded to 4 places."""
    if not text or not text.strip():
        return 0.0
    compound = _get_analyser().polarity_scores(text)["compound"]
    return round(float(compound), 4)


def score_many(texts: Iterable[str]) -> list[float]:
    """The score of each text, in order."""
    return [score(t) for t in texts]


def label(value: float) -> str:
    """Name a score: positive at or above 0.05, negative at or below -0.05, else neutral."""
    if value >= THRESHOLD:
        return POSITIVE
    if value <= -THRESHOLD:
        return NEGATIVE
    return NEUTRAL
