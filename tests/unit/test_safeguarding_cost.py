"""Bounded cost: every step of the safeguarding engine is linear in its input.

The engine counts its own work (look-ups in the rules' trie, candidate signs checked, scope
checks, the model's feature look-ups), so these tests hold the work per character of text to a
constant on the worst inputs we know — punctuation runs, one short word repeated, very long words,
deep brackets and quotes, negations and conditionals by the thousand — and on random mixtures of
them, with no clock involved. (Tokenizing is one regular expression whose alternatives never nest
an ambiguous quantifier, so it is linear by construction.)
"""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from bench.hostile import SAFEGUARDING_CASES, WORST_CASES
from hub.safeguarding.classifier import default_classifier
from hub.safeguarding.features import char_features, word_features
from hub.safeguarding.text import token_texts, tokens

# Work units per character the engine may spend; ordinary narratives spend about 3 to 8.
PER_CHARACTER = 20
OVERHEAD = 500

# The crafted shapes every text step is measured and guarded on (bench/hostile.py): the
# classifier's worst-case figure in bench/run times the same ones.
WORST = {
    "punctuation run": "".join(random.Random(19).choice(".!?") for _ in range(10_000)),
    "one letter repeated": "a" * 10_000,
    **{name: make(10_000) for name, make in SAFEGUARDING_CASES.items()},
    **{f"shared: {name}": make(10_000) for name, make in WORST_CASES.items()},
}


def _work(text: str) -> int:
    return default_classifier().analyse(text)[1]


def test_the_worst_inputs_cost_a_constant_per_character() -> None:
    for name, text in WORST.items():
        assert len(text) >= 8_000, name
        assert _work(text) <= PER_CHARACTER * len(text) + OVERHEAD, name


def test_twice_the_text_costs_about_twice_the_work() -> None:
    for name, text in WORST.items():
        one, two = _work(text[:5_000]), _work(text[:10_000])
        assert two <= 2.2 * one + OVERHEAD, name


def test_tokens_and_features_grow_linearly() -> None:
    for name, text in WORST.items():
        items = token_texts(text)
        assert len(tokens(text)) <= len(text), name
        assert len(word_features(items)) <= 2 * len(items), name
        assert len(char_features(items)) <= 3 * len(text) + 3, name


PIECES = st.sampled_from(
    ["the ", "carer ", "hit ", "her ", "not ", "n't ", "if ", "worried ", "but they did ", ", ",
     ". ", "!!", "((", '"', "'", "bruis", "£", "5.30", "n***", "nobody could explain ",
     "lend him money ", "she has a plan ", "a", "\n", "-", "é", "İ"]
)  # fmt: skip


@given(st.lists(PIECES, min_size=1, max_size=600))
def test_any_mixture_of_awkward_pieces_costs_a_constant_per_character(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _work(text) <= PER_CHARACTER * len(text) + OVERHEAD
