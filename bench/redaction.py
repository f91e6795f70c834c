"""Redaction throughput through the hub's Redactor in this process, and its worst case."""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

from bench.context import Run
from bench.data import narrative
from bench.hostile import WORST_CASES
from bench.report import Figure, Goal

if TYPE_CHECKING:
    from hub.privacy.redaction import Redactor

TARGET = Goal(">=", 1000)
WORST_TARGET = Goal("<=", 100)
WORST_LENGTH = 10_000


def measure(run: Run) -> list[Figure]:
    from hub.privacy.redaction import get_redactor

    rng = random.Random(5)
    texts = [narrative(rng) for _ in range(run.sizes.redaction_narratives)]
    redactor = get_redactor()
    redactor.redact_many(texts[:50])  # warm caches
    start = time.perf_counter()
    results = redactor.redact_many(texts)
    batch_wall = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts[: max(50, len(texts) // 4)]:
        redactor.redact(text)
    single_rate = max(50, len(texts) // 4) / (time.perf_counter() - start)
    changed = sum(r.changed for r in results)
    worst, worst_ms = _worst_case(redactor)
    return [
        Figure(
            f"redaction, {len(texts):,} narratives (redact_many)",
            len(texts) / batch_wall,
            "narratives/s",
            target=TARGET,
            note=f"{changed} of {len(texts)} had an identifier replaced; one at a time "
            f"(redact): {single_rate:.0f}/s; mean length "
            f"{sum(map(len, texts)) / len(texts):.0f} characters",
        ),
        Figure(
            f"redaction worst case, {WORST_LENGTH:,} characters",
            worst_ms,
            "ms",
            target=WORST_TARGET,
            note=f"slowest of {len(WORST_CASES)} crafted shapes (bench/hostile.py): {worst}",
        ),
    ]


def _worst_case(redactor: Redactor) -> tuple[str, float]:
    """The slowest crafted narrative and its time in milliseconds (best of three runs)."""
    times = {}
    for name, make in WORST_CASES.items():
        text = make(WORST_LENGTH)
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            redactor.redact(text)
            runs.append(time.perf_counter() - start)
        times[name] = min(runs) * 1000
    worst = max(times, key=times.__getitem__)
    return worst, times[worst]
