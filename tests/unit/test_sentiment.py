"""The hub's sentiment score and its labels."""

from __future__ import annotations

import pytest

from hub.exchange.records import sentiment
from hub.exchange.records.sentiment import label, score, score_many


@pytest.mark.parametrize(
    "text",
    [
        "The nurses were wonderful, kind and caring. Thank you so much!",
        "Brilliant service, the GP listened and really helped me.",
        "Excellent care, I felt safe and respected.",
    ],
)
def test_praise_scores_positive(text: str) -> None:
    value = score(text)
    assert value >= 0.5
    assert label(value) == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "Terrible care. The staff were rude and I was left in pain for hours.",
        "Awful experience, nobody listened and my mum was treated with no dignity.",
        "The worst hospital stay I have ever had, disgusting and frightening.",
    ],
)
def test_complaints_score_negative(text: str) -> None:
    value = score(text)
    assert value <= -0.5
    assert label(value) == "negative"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "...", "The appointment was on Tuesday."])
def test_empty_or_factual_text_is_neutral(text: str) -> None:
    assert score(text) == 0.0
    assert label(score(text)) == "neutral"


def test_scores_stay_in_range_and_are_rounded_to_four_places() -> None:
    texts = ["good " * 200, "bad " * 200, "I love it!!! :)", "I HATE this place!!!"]
    for value in score_many(texts):
        assert -1.0 <= value <= 1.0
        assert value == round(value, 4)


def test_score_many_keeps_order_and_matches_score() -> None:
    texts = ["Lovely staff.", "", "Horrible, rude staff."]
    assert score_many(texts) == [score(t) for t in texts]
    assert score_many([]) == []
    assert score_many(iter(texts)) == score_many(texts)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.05, "positive"),
        (1.0, "positive"),
        (0.0499, "neutral"),
        (0.0, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),
        (-1.0, "negative"),
    ],
)
def test_label_thresholds(value: float, expected: str) -> None:
    assert label(value) == expected


def test_the_analyser_is_built_once() -> None:
    score("warm up")
    first = sentiment._get_analyser()
    score("again")
    assert sentiment._get_analyser() is first
