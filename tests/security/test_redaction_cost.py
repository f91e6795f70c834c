"""A crafted narrative cannot make redaction cost more than linear time (issue 19, item 1).

spaCy's tokenizer once took 40 s on 10,000 characters of punctuation. Now no tokenizer sees raw
text and the work is bounded by construction; these tests check the two guarantees with
deterministic measures, never a clock:

* pattern recognisers (Presidio's, and the date patterns) only ever see windows of at most
  ``CHUNK`` characters, and all the windows of a text add up to little more than the text;
* the name engine's Python work (function calls counted by a profiler) grows in proportion to
  the text: doubling a worst case at most doubles its calls, plus a constant.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.hostile import WORST_CASES
from hub.privacy.names import ContextNameDetector
from hub.privacy.redaction import CHUNK, OVERLAP, Redactor


class Recording:
    """Wraps a recogniser, noting the length of every text it is handed."""

    def __init__(self, inner: Any, seen: list[int]) -> None:
        self.inner = inner
        self.seen = seen
        self.supported_entities = inner.supported_entities

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> Any:
        self.seen.append(len(text))
        return self.inner.analyze(text, entities, nlp_artifacts)


def recording_redactor() -> tuple[Redactor, list[int]]:
    redactor = Redactor()
    seen: list[int] = []
    redactor.recognizers = [Recording(r, seen) for r in redactor.recognizers]  # type: ignore[misc]
    return redactor, seen


def windows_seen(text: str) -> list[int]:
    redactor, seen = recording_redactor()
    redactor.redact(text)
    per_recogniser = len(redactor.recognizers)
    return seen[::per_recogniser]


@pytest.mark.parametrize("case", sorted(WORST_CASES))
def test_recognisers_only_see_bounded_windows(case: str) -> None:
    text = WORST_CASES[case](10_000)
    windows = windows_seen(text)
    assert max(windows, default=0) <= CHUNK
    # Each window after the first repeats at most OVERLAP characters of the one before.
    assert sum(windows) <= len(text) + OVERLAP * (len(windows) - 1)
    assert len(windows) <= len(text) // (CHUNK - OVERLAP - 32) + 1


def calls(fn: Callable[[], object]) -> int:
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("case", sorted(WORST_CASES))
def test_name_engine_work_grows_linearly(case: str) -> None:
    detector = ContextNameDetector()
    detector.find("warm up Sandra")  # load the word lists outside the count
    make = WORST_CASES[case]
    small, large = make(2_500), make(5_000)
    base = calls(lambda: detector.find(""))
    work_small = calls(lambda: detector.find(small)) - base
    work_large = calls(lambda: detector.find(large)) - base
    assert work_large <= 2.2 * work_small + 50, (work_small, work_large)


def test_hostile_text_still_loses_its_identifiers() -> None:
    text = "?!." * 1500 + " NHS 943 476 5919, my carer sandra " + "((((" * 500
    result = Redactor().redact(text)
    assert "943 476 5919" not in result.text
    assert "sandra" not in result.text
    assert result.entities == {"NAME": 1, "NHS_NUMBER": 1}


hostile = st.lists(
    st.sampled_from(
        ["!", "?", ".", "(", ")", "'", '"', "-", "@", " ", "a", "Dr", "Sandra", "x" * 50]
    )
    | st.text(alphabet=".!?()'\"-@ a", min_size=1, max_size=40),
    max_size=60,
).map("".join)


@settings(max_examples=60, deadline=None)
@given(before=hostile, after=hostile, repeat=st.integers(1, 40))
def test_an_identifier_inside_hostile_text_is_found_in_bounded_windows(
    before: str, after: str, repeat: int
) -> None:
    text = before * repeat + " 943 476 5919 " + after * repeat
    redactor, seen = recording_redactor()
    result = redactor.redact(text)
    assert "943 476 5919" not in result.text
    assert max(seen, default=0) <= CHUNK
