"""The signs-based rules: terms, scope (negation, hypotheticals, dispelled worries), and checks."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from hub.safeguarding.classifier import packaged_rulebook_text
from hub.safeguarding.signs import SCOPE_LISTS, Rulebook
from hub.safeguarding.text import normalise, tokens

SCOPE: dict[str, Any] = {
    "negation": ["not", "n't", "never", "no", "nobody", "no one"],
    "pseudo_negation": ["not only", "n't believe"],
    "terminators": ["but", "because"],
    "conditional": ["if", "in case"],
    "consequent": ["will", "'ll", "would", "'d", "then"],
    "worry": ["worried", "afraid"],
    "reassurance": ["but they did", "turned out"],
}


def book(signs: dict[str, Any], lexicon: dict[str, Any] | None = None) -> Rulebook:
    return Rulebook({"scope": SCOPE, "lexicon": lexicon or {}, "signs": signs})


def fired(rulebook: Rulebook, text: str) -> list[str]:
    return [h.sign.key for h in rulebook.read(text).hits]


HIT = book(
    {
        "physical": [{"id": "hit", "seq": [["hit", "slapped", "hits"], "@WHO"], "gap": 1}],
        "neglect": [
            {"id": "bell", "near": [["buzzer", "call bell"], ["nobody will come", "ignored"]]},
            {"id": "fed", "seq": [["not", "n't"], ["fed", "feed"]], "gap": 2},
        ],
    },
    {"WHO": ["him", "her", "@KIN"], "KIN": ["mum", "dad"]},
)


@pytest.mark.parametrize(
    "text",
    [
        "The carer hit her.",
        "he SLAPPED my Mum in the lounge",
        "i saw one of them hit dad",
        "if you tell anyone he'll hit her",  # a threat: the hit is the consequence
    ],
)
def test_a_sign_fires_on_its_words_in_any_case(text: str) -> None:
    assert fired(HIT, text) == ["physical:hit"]


@pytest.mark.parametrize(
    "text",
    [
        "Nobody has ever hit him.",
        "No one hit her, the staff were kind.",
        "They would never hit mum.",
        "If anyone hit her I would complain.",  # the condition, not the consequence
        "in case someone hits her, we asked for a sensor",
    ],
)
def test_negated_and_supposed_signs_are_set_aside(text: str) -> None:
    assert fired(HIT, text) == []


def test_a_negation_is_scoped_to_its_clause_and_ended_by_but() -> None:
    assert fired(HIT, "I have not complained before but he hit her again") == ["physical:hit"]
    assert fired(HIT, "She did not eat, so they hit her.") == ["physical:hit"]
    assert fired(HIT, "I couldn't believe he hit her") == ["physical:hit"]  # pseudo-negation


def test_the_consequence_of_a_condition_is_a_threat() -> None:
    assert fired(HIT, "If she presses the buzzer nobody will come.") == ["neglect:bell"]
    assert fired(HIT, "The buzzer is ignored.") == ["neglect:bell"]


def test_a_worry_the_writer_dispels_is_set_aside_and_one_they_keep_is_not() -> None:
    assert fired(HIT, "I was worried they would not feed her but they did.") == []
    assert fired(HIT, "I was worried they would not feed her. It turned out fine.") == []
    assert fired(HIT, "I am worried they do not feed her.") == ["neglect:fed"]


def test_signs_stay_within_a_sentence() -> None:
    assert fired(HIT, "The buzzer works well. Nobody will come to the party") == []
    assert fired(HIT, "He hit\nher") == []


def test_unless_next_and_unless_before_make_words_about_something_else() -> None:
    rules = book(
        {
            "neglect": [{"id": "neglected", "seq": [["neglected"]], "unless_next": ["to"]}],
            "modern-slavery": [
                {"id": "slavery", "seq": [["modern slavery"]], "unless_before": ["poster", "about"]}
            ],
        }
    )
    assert fired(rules, "they neglected to mention the parking charge") == []
    assert fired(rules, "mum is neglected there") == ["neglect:neglected"]
    assert fired(rules, "there was a poster about modern slavery in reception") == []
    assert fired(rules, "I think what is happening to him is modern slavery") == [
        "modern-slavery:slavery"
    ]


def test_prefixes_masked_words_and_contractions() -> None:
    rules = book(
        {
            "physical": [{"id": "bruise", "seq": [["bruis*"]]}],
            "discriminatory": [{"id": "slur", "seq": [["~p*", "~n*r"]]}],
            "neglect": [{"id": "changed", "seq": [["has n't been changed"]]}],
        }
    )
    assert fired(rules, "Bruising on both arms") == ["physical:bruise"]
    assert fired(rules, "she called him a p*** in front of everyone") == ["discriminatory:slur"]
    assert fired(rules, "called him a n*gger") == ["discriminatory:slur"]
    assert fired(rules, "f***ing useless the lot of them") == []
    for typed in ("hasn't been changed", "hasnt been changed", "HASN\u2019T been changed"):
        assert fired(rules, typed) == ["neglect:changed"], typed


def test_a_hit_quotes_the_words_of_the_original_text() -> None:
    text = "Mum\u2019s   carer  HIT her yesterday."
    (hit,) = HIT.read(text).hits
    assert text[hit.start : hit.end] == "HIT her"


def test_tokens_keep_offsets_into_the_text_as_written() -> None:
    text = "İlkay said Mum\u2019s carer didn\u2019t come — £300 gone at 5.30am"
    norm = normalise(text)
    assert len(norm) == len(text)
    found = [(tok.text, norm[tok.start : tok.end]) for tok in tokens(text)]
    assert all(token == written for token, written in found), found
    assert [t for t, _ in found][-7:] == ["did", "n't", "come", "£300", "gone", "at", "5.30am"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("signs"), "'signs'"),
        (lambda s: s["scope"].pop("negation"), "scope needs"),
        (lambda s: s["signs"].update({"Bad Name": []}), "bad category"),
        (lambda s: s["signs"]["physical"].append({"id": "x", "seq": ["@NOPE"]}), "unknown lexicon"),
        (lambda s: s["signs"]["physical"].append({"id": "x"}), "exactly one of"),
        (lambda s: s["signs"]["physical"].append({"id": "x", "near": [["a"]]}), "exactly two"),
        (lambda s: s["signs"]["physical"].append({"id": "x", "seq": [["a"]], "gap": 99}), "gap"),
        (
            lambda s: s["signs"]["physical"].append({"id": "x", "seq": [["a"]], "colour": 1}),
            "unknown fields",
        ),
        (lambda s: s["signs"]["physical"].append({"id": "hit", "seq": [["a"]]}), "duplicate"),
        (lambda s: s["signs"]["physical"].append({"id": "x", "seq": [["*"]]}), "prefix"),
        (
            lambda s: (
                s["lexicon"].update({"LOOP": ["@LOOP"]})
                or s["signs"]["physical"].append({"id": "x", "seq": ["@LOOP"]})
            ),
            "refers to itself",
        ),
    ],
)
def test_a_broken_rulebook_is_refused_with_a_reason(change: Any, message: str) -> None:
    spec: dict[str, Any] = {
        "scope": copy.deepcopy(SCOPE),
        "lexicon": {},
        "signs": {"physical": [{"id": "hit", "seq": [["hit"]]}]},
    }
    change(spec)
    with pytest.raises(ValueError, match=message):
        Rulebook(spec)


def test_the_packaged_rulebook_has_signs_for_every_category_and_every_scope_list() -> None:
    spec = json.loads(packaged_rulebook_text())
    rulebook = Rulebook(spec)
    assert set(SCOPE_LISTS) <= set(spec["scope"])
    assert set(rulebook.categories) == {
        "physical", "domestic-abuse", "sexual", "psychological", "financial", "modern-slavery",
        "discriminatory", "organisational", "neglect", "self-neglect", "self-harm", "concern",
    }  # fmt: skip
    strong = {s.category for s in rulebook.signs if not s.weak}
    assert strong >= set(rulebook.categories) - {"concern"}
