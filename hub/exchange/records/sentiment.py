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


# VADER's "but" rule looks up every earlier score by value (list.index), so its work grows with
# the square of the words: 10,000 characters of "... but ..." cost seconds. It is only ever
# handed windows of at most WINDOW characters, cut at a space where there is one, and a longer
# text scores the mean of its windows weighted by their length: linear in the text, and the
# same score as before for any narrative up to WINDOW characters.
WINDOW = 1000


def windows(text: str, size: int = WINDOW) -> list[str]:
    """``text`` cut into pieces of at most ``size`` characters, at the last space if any."""
    pieces = []
    start = 0
    while len(text) - start > size:
        cut = text.rfind(" ", start + 1, start + size + 1)
        end = cut if cut > start else start + size
        pieces.append(text[start:end])
        start = end
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def score(text: str) -> float:
    """The VADER compound score of text, from -1 (most negative) to 1, rounded to 4 places."""
    if not text or not text.strip():
        return 0.0
    analyser = _get_analyser()
    parts = windows(text)
    if len(parts) == 1:
        compound = analyser.polarity_scores(parts[0])["compound"]
    else:
        total = sum(len(p) for p in parts)
        compound = sum(analyser.polarity_scores(p)["compound"] * len(p) for p in parts) / total
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
