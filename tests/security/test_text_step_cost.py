"""Sentiment and CSV cells cost linear work whatever the text (issue 19, item 1), measured by
the Python function calls made (a profiler's count), never a clock: doubling a crafted text at
most doubles the calls, plus a constant. Redaction and the classifier have their own cost tests
(test_redaction_cost.py, tests/unit/test_safeguarding_cost.py) on the same shapes."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.hostile import SAFEGUARDING_CASES, WORST_CASES
from hub.exchange.csv.template import COLUMNS, row_to_record, safe_cell, unsafe_cell
from hub.exchange.records import sentiment
from tests.security.test_redaction_cost import calls

CASES = {**WORST_CASES, **SAFEGUARDING_CASES}


def _linear(run, make, small: int = 2_500) -> tuple[int, int]:
    base = calls(lambda: run(""))
    return calls(lambda: run(make(small))) - base, calls(lambda: run(make(2 * small))) - base


@pytest.mark.parametrize("case", sorted(CASES))
def test_sentiment_work_grows_linearly(case: str) -> None:
    sentiment.score("warm up the lexicon")
    work_small, work_large = _linear(sentiment.score, CASES[case])
    assert work_large <= 2.2 * work_small + 200, (work_small, work_large)


def _read_cells(text: str) -> None:
    """What a CSV upload does with a row: read it, then turn every cell into a record field (the
    crafted text in every column: dates, lists, yes/no, codes and the narrative)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow([safe_cell(text)] * len(COLUMNS))
    reader = csv.reader(io.StringIO(out.getvalue(), newline=""))
    header = next(reader)
    for row in reader:
        cells = {name: unsafe_cell(value) for name, value in zip(header, row, strict=False)}
        row_to_record(cells)


CSV_CASES = {
    **CASES,
    "quotes to escape": lambda n: '"' * n,
    "separators": lambda n: "," * n,
    "line breaks": lambda n: "\r\n" * (n // 2),
    "formula starts": lambda n: "=+-@" * (n // 4),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_reading_a_csv_cell_grows_linearly(case: str) -> None:
    work_small, work_large = _linear(_read_cells, CSV_CASES[case])
    assert work_large <= 2.2 * work_small + 200, (work_small, work_large)


hostile_text = st.lists(
    st.sampled_from(["!", "?", ".", "(", ")", "'", '"', "-", " ", "a", "not", "but", "x" * 40])
    | st.text(alphabet=".!?()'\"- abn", min_size=1, max_size=30),
    min_size=1,
    max_size=40,
).map("".join)


@settings(max_examples=40, deadline=None)
@given(unit=hostile_text)
def test_any_repeated_unit_costs_sentiment_linear_work(unit: str) -> None:
    work_small, work_large = _linear(sentiment.score, lambda n: unit * max(1, n // len(unit)), 800)
    assert work_large <= 2.3 * work_small + 300, (unit, work_small, work_large)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_sentiment_engine_only_sees_bounded_windows(case: str, monkeypatch) -> None:
    analyser = sentiment._get_analyser()
    seen: list[int] = []
    real = analyser.polarity_scores

    def recording(text: str) -> dict[str, float]:
        seen.append(len(text))
        return real(text)

    monkeypatch.setattr(analyser, "polarity_scores", recording)
    text = CASES[case](10_000)
    sentiment.score(text)
    assert max(seen, default=0) <= sentiment.WINDOW
    assert sum(seen) <= len(text)


def test_a_narrative_within_one_window_scores_as_vader_does() -> None:
    text = "The nurses were wonderful but the food was awful and nobody listened."
    expected = round(sentiment._get_analyser().polarity_scores(text)["compound"], 4)
    assert sentiment.score(text) == expected
