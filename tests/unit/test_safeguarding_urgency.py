"""Risk now told by its time, not named: going back to the harm soon, the one who harmed still
there, a night to get through, no heat or insulin now, goodbyes, and the means at hand beside
words of intent. Such cues mark a concern immediate; the same words in ordinary feedback raise
nothing."""

from __future__ import annotations

import json

import pytest

from hub.safeguarding.classifier import classify, packaged_rulebook_text
from hub.safeguarding.signs import Rulebook

RULES = Rulebook(json.loads(packaged_rulebook_text()))


def fired(text: str) -> set[str]:
    return {h.sign.key for h in RULES.read(text).hits}


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("My nephew is due back at the unit tomorrow where they pinned him down.", "back-soon"),
        ("The hospital is sending her back to them this afternoon.", "back-soon"),
        ("The porter who groped my daughter is still on the ward.", "still-with-them"),
        ("Gran has been wedging a chair under the handle since he moved in.", "unsafe-night"),
        ("Her flat has no heating and he is shivering in bed.", "without-now"),
        ("He ran out of insulin yesterday and the agency never came.", "without-now"),
        ("He rang to say sorry for everything and hung up.", "goodbye"),
    ],
)
def test_a_cue_of_risk_now_fires_on_its_time_words(text: str, cue: str) -> None:
    assert f"immediate:{cue}" in fired(text)


@pytest.mark.parametrize(
    "text",
    [
        "My uncle has hidden enough tablets in his wardrobe to end it all.",
        "She says she will do it properly next time and she knows where my tablets are.",
        "He showed me a rope in his shed and said it would stop it all.",
    ],
)
def test_means_at_hand_beside_intent_is_a_self_harm_sign_of_risk_now(text: str) -> None:
    assert "self-harm:means-and-intent" in fired(text)
    result = classify(text)
    assert result.concern
    assert "self-harm" in result.categories
    assert result.immediate


def test_means_at_hand_without_intent_is_not_that_sign() -> None:
    assert "self-harm:means-and-intent" not in fired(
        "The pharmacist gave her enough tablets to last until the surgery reopens."
    )


def test_a_decision_about_medicines_is_not_a_suicide_plan() -> None:
    assert "self-harm:has-a-plan" not in fired(
        "Grandad has decided to stop his blood pressure tablets because they make him dizzy."
    )
    assert "self-harm:has-a-plan" in fired("He has decided when he will do it.")


@pytest.mark.parametrize(
    "text",
    [
        "The night carer who punched my brother is back on shift tonight and he has to stay there.",
        "My aunt is in bed with no heating in the house, it is freezing tonight and her carer has "
        "not come for two days.",
        "He texted me goodbye, sorry for everything, and he has a bag of pills with him.",
    ],
)
def test_a_concern_with_a_time_of_risk_now_is_immediate(text: str) -> None:
    result = classify(text)
    assert result.concern
    assert result.immediate
    assert any(r.category == "immediate" for r in result.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Mum is due back at the day unit tomorrow for her infusion and the nurses are lovely.",
        "Dad is still on the ward waiting for his care package and the food is good.",
        "Today was my last day after thirty years on the ward, sorry for everything I forgot.",
        "The heating was off in the waiting room this morning so we kept our coats on.",
    ],
)
def test_time_words_in_ordinary_feedback_raise_nothing(text: str) -> None:
    result = classify(text)
    assert not result.concern
    assert not result.immediate
