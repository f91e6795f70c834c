"""Sexual, discriminatory and financial abuse described without naming it: the engine raises
each with its own category (beside any neighbouring one), and ordinary accounts that share the
words stay quiet or do not take the category."""

from __future__ import annotations

import pytest

from hub.safeguarding.classifier import classify

SEXUAL = [
    # Pressing or rubbing a body against someone.
    "The physio kept pressing his body against my 15-year-old during the exercises.",
    # Explicit images sent to someone who cannot protect themselves.
    "A volunteer at the centre sent explicit pictures to my cousin, who has Down's syndrome.",
    # Made to undress and filmed.
    "Her support worker made her strip and recorded it on his phone.",
    # An injury to intimate parts with no account of it.
    "When we collected Gran from respite there was blood in her underwear and nobody said why.",
]

DISCRIMINATORY = [
    # Kept apart because of who they are.
    "At the day centre the Sikh gentlemen are always seated at a separate table from the others.",
    # Refused a service because of who they are.
    "The receptionist said they won't register people like her because she is a Traveller.",
    # A religious head covering pulled off.
    "A carer snatched the turban off his head in the corridor.",
    # "You lot" said to someone of another nationality.
    "The nurse told my Somali neighbour that you lot never learn.",
    # Served last, after everyone else, because of a disability.
    "The deaf residents get their meals last, after everyone else, every day.",
]

FINANCIAL = [
    # Charged for the staff's own costs.
    "The home has been billing Mum's account for the staff's lunches on their days out with her.",
    # Billed for care not given.
    "The care firm charged the council for evening calls that never took place.",
    # An appointee keeping the money.
    "Her appointee keeps her benefits for his own use and she has nothing left for clothes.",
    # A scam happening now.
    "A man from the bank is on the phone telling Dad to transfer his savings to a safe account.",
    # A pension taken.
    "His son took over his pension months ago and he never sees a penny of it.",
    # Talked into paying.
    "Two workmen talked my aunt into paying £2,000 upfront for guttering.",
]


@pytest.mark.parametrize("text", SEXUAL)
def test_sexual_abuse_described_indirectly_is_raised_as_sexual(text: str) -> None:
    result = classify(text)
    assert result.concern
    assert "sexual" in result.categories


@pytest.mark.parametrize("text", DISCRIMINATORY)
def test_discrimination_described_indirectly_is_raised_as_discriminatory(text: str) -> None:
    result = classify(text)
    assert result.concern
    assert "discriminatory" in result.categories


@pytest.mark.parametrize("text", FINANCIAL)
def test_financial_abuse_described_indirectly_is_raised_as_financial(text: str) -> None:
    result = classify(text)
    assert result.concern
    assert "financial" in result.categories


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("The dentist was patient with my 16 year old and explained each step.", "sexual"),
        ("The nurse helped Mum put her hijab back on after the scan.", "discriminatory"),
        ("The deaf residents sit at the front so they can see the signer.", "discriminatory"),
        ("Dad's pension goes into his account and I help him with his shopping.", "financial"),
        ("The lunch club had a talk warning about gift card scams.", "financial"),
        ("We went through the care home bill together and agreed a payment plan.", "financial"),
    ],
)
def test_ordinary_accounts_sharing_the_words_do_not_take_the_category(
    text: str, category: str
) -> None:
    assert category not in classify(text).categories


def test_a_strong_sign_adds_its_category_beside_a_neighbouring_one() -> None:
    # Violence by a husband (domestic abuse) and his taking her pension (financial): both named.
    result = classify(
        "Her husband hits her when he has been drinking. He took over her pension and she "
        "never sees any of it."
    )
    assert {"domestic-abuse", "financial"} <= set(result.categories)


def test_a_category_threshold_is_not_raised_because_the_signs_cover_the_training_corpus() -> None:
    """Where strong signs catch every training narrative of a category, the model's threshold
    for it stays where the model alone best finds the category, so narratives the signs miss
    (as new ones will be) still take it."""
    pytest.importorskip("sklearn")
    from hub.safeguarding.combine import Evidence
    from hub.safeguarding.findings import CATEGORIES, IMMEDIATE
    from hub.safeguarding.training import Example, choose_thresholds

    examples: list[Example] = []
    evidence: list[Evidence] = []

    def add(category: str, financial: float) -> None:
        p = {c: 0.02 for c in CATEGORIES}
        concern = category != "none"
        p.update({"concern": 0.9 if concern else 0.05, IMMEDIATE: 0.05, "financial": financial})
        if category in CATEGORIES and category != "financial":
            p[category] = 0.4
        examples.append(Example("", concern, category, False))
        # The signs catch every concern of the corpus, each under its own category.
        strong = frozenset({category}) if concern else frozenset()
        evidence.append(Evidence(strong, frozenset(), False, False, p))

    for _ in range(20):
        add("financial", 0.4)
        add("none", 0.02)
    for _ in range(5):
        add("physical", 0.7)  # the model leans to financial here, and wrongly

    thresholds, _ = choose_thresholds(evidence, examples)
    assert thresholds["financial"] <= 0.4
