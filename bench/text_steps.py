"""Worst cases of the text steps without a group of their own: the sentiment score and reading
a CSV row into a record, each on every crafted shape of bench/hostile.py (redaction and the
classifier report theirs in their groups). The cost tests
(tests/security/test_text_step_cost.py) guard the same shapes by counting calls."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable

from bench.context import Run
from bench.hostile import SAFEGUARDING_CASES, WORST_CASES
from bench.report import Figure, Goal

WORST_TARGET = Goal("<=", 100)
WORST_LENGTH = 10_000
CASES = {**WORST_CASES, **SAFEGUARDING_CASES}


def _csv_row(text: str) -> None:
    from hub.exchange.csv.template import COLUMNS, row_to_record, safe_cell, unsafe_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow([safe_cell(text)] * len(COLUMNS))
    reader = csv.reader(io.StringIO(out.getvalue(), newline=""))
    header = next(reader)
    for row in reader:
        row_to_record({n: unsafe_cell(v) for n, v in zip(header, row, strict=False)})


def _worst(step: Callable[[str], object]) -> tuple[str, float]:
    """The slowest crafted text for ``step`` and its time in milliseconds (best of three)."""
    times = {}
    for name, make in CASES.items():
        text = make(WORST_LENGTH)
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            step(text)
            runs.append(time.perf_counter() - start)
        times[name] = min(runs) * 1000
    worst = max(times, key=times.__getitem__)
    return worst, times[worst]


def measure(run: Run) -> list[Figure]:
    from hub.exchange.records import sentiment

    sentiment.score("warm up the lexicon")
    figures = []
    for label, step in (("sentiment", sentiment.score), ("CSV row of cells", _csv_row)):
        worst, ms = _worst(step)
        figures.append(
            Figure(
                f"{label} worst case, {WORST_LENGTH:,} characters",
                ms,
                "ms",
                target=WORST_TARGET,
                note=f"slowest of {len(CASES)} crafted shapes (bench/hostile.py): {worst}",
            )
        )
    return figures
