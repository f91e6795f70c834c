"""The classifier's fast paths (literal prefilter, case-sensitive rules on ASCII text, one
alternation for other text) give exactly what every rule tried with re.IGNORECASE gives."""

from __future__ import annotations

import json
import random
import re
from importlib import resources

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.data import OPENINGS, PII, SAFEGUARDING, narrative
from hub.safeguarding.classifier import (
    NO_CONCERN,
    Classification,
    Classifier,
    _case_neutral,
    _normalise,
    default_classifier,
)
from tests.unit.test_safeguarding_classifier import CONCERNING, ORDINARY


def reference(clf: Classifier, text: str) -> Classification:
    """The classifier as it was: every rule, compiled with re.IGNORECASE, over the whole text."""
    norm = _normalise(text)
    if not norm:
        return NO_CONCERN
    clauses = clf._clauses(norm)
    starts = [c.start for c in clauses]
    hits = clf._hits(clf._rules, norm, clauses, starts, ascii_text=False)
    life = clf._hits(clf._risk_to_life, norm, clauses, starts, ascii_text=False)
    categories = tuple(sorted({h.category for h in hits}))
    keys = {h.key for h in hits} | {h.key for h in life}
    near_concern = False
    if categories:
        flagged = {h.sentence for h in hits}
        for cue in clf._hits(clf._with_concern, norm, clauses, starts, ascii_text=False):
            if any(abs(cue.sentence - s) <= 1 for s in flagged):
                near_concern = True
                keys.add(cue.key)
    if not categories and not life:
        return NO_CONCERN
    return Classification(True, categories, bool(life) or near_concern, tuple(sorted(keys)))


def _vocabulary() -> list[str]:
    raw = json.loads(resources.files("hub.safeguarding").joinpath("phrases.json").read_text())
    text = json.dumps(raw).replace("\\\\w", " ").replace("\\\\b", " ")
    words = set(re.findall(r"[a-z][a-z'-]*", text.lower()))
    # Plus upper case and letters that only re.IGNORECASE relates to ASCII (dotless i, long s).
    extra = {"£50", "a&e", "h\u0131t", "\u017ftaff", "KICKED", "Hit", "NHS", "i'm", "\u212aick"}
    return sorted(words | extra)


VOCABULARY = _vocabulary()
NOISE = st.text(
    alphabet=st.sampled_from("abcde\u0131\u017f\u212a\u0130£é .,;:!?-'\u2019—\n\"()"), max_size=8
)
TOKEN = st.one_of(st.sampled_from(VOCABULARY), st.sampled_from(VOCABULARY), NOISE)
SEPARATOR = st.sampled_from([" ", " ", " ", ", ", ". ", " - ", "\n", "; ", " but "])
TEXTS = st.lists(st.tuples(TOKEN, SEPARATOR), max_size=40).map(
    lambda parts: "".join(token + sep for token, sep in parts)
)


def test_every_packaged_rule_is_case_neutral_and_has_literals() -> None:
    clf = default_classifier()
    rules = (*clf._rules, *clf._risk_to_life, *clf._with_concern)
    # Not required for correctness (others fall back to re.IGNORECASE and are always tried),
    # but a rule that loses its fast path should be noticed.
    assert all(r.ascii_regex is not r.regex and r.literals for r in rules)


def test_the_existing_corpora_classify_as_before() -> None:
    clf = default_classifier()
    texts = [*ORDINARY, *(t for t, _ in CONCERNING), *OPENINGS, *PII, *SAFEGUARDING]
    rng = random.Random(3)
    texts += [narrative(rng) for _ in range(300)]
    for text in texts:
        assert clf.classify(text) == reference(clf, text), text
    assert any(clf.classify(t).concern for t in texts)


@settings(max_examples=1500)
@given(TEXTS)
def test_texts_from_the_rules_vocabulary_classify_as_before(text: str) -> None:
    clf = default_classifier()
    assert clf.classify(text) == reference(clf, text)


@settings(max_examples=300)
@given(st.lists(st.sampled_from([t for t, _ in CONCERNING] + ORDINARY), max_size=4), TEXTS)
def test_concerns_mixed_with_noise_classify_as_before(sentences: list[str], noise: str) -> None:
    clf = default_classifier()
    text = noise.join(sentences) or noise
    assert clf.classify(text) == reference(clf, text)


def test_patterns_that_case_matters_for_are_not_case_neutral() -> None:
    assert _case_neutral("hit|kick(?:ed)?|£[0-9]+|[a-z ]")[0]
    for pattern in ("Hit", "[A-Z]", "[0-_]", "h\u0131t", "\u017ftaff", "(?i:hit)", "(?-i:hit)"):
        assert not _case_neutral(pattern)[0], pattern
    assert _case_neutral(r"(\w)\1")[1]


CUSTOM = {
    "categories": {
        "physical": [
            {"id": "upper", "pattern": "Hit %OBJ%"},
            {"id": "range", "pattern": "[0-_]x"},
            {"id": "dotless", "pattern": "k\u0131ck"},
            {"id": "plain", "pattern": "shove"},
        ],
        "neglect": [{"id": "backref", "pattern": r"(\w+) \1 ignored"}],
    },
    "macros": {"OBJ": "(?:him|her)"},
}


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["hit him", "HIT HER", "ax", "1x", "kick", "k\u0131ck", "KICK"]),
            st.sampled_from(["she she ignored", "no one", "\u017fhove", "shove", "ignored", "Xx"]),
            NOISE,
        ),
        max_size=10,
    ).map(" ".join)
)
def test_rules_that_need_ignorecase_keep_it(text: str) -> None:
    clf = Classifier(CUSTOM)
    assert clf.classify(text) == reference(clf, text)
