"""Safeguarding classifier throughput through what intake runs, in this process, and its worst
case on crafted narratives."""

from __future__ import annotations

import random
import time

from bench.context import Run
from bench.data import narrative
from bench.hostile import SAFEGUARDING_CASES, WORST_CASES
from bench.report import Figure, Goal

TARGET = Goal(">=", 1000)
WORST_TARGET = Goal("<=", 100)
WORST_LENGTH = 10_000


def measure(run: Run) -> list[Figure]:
    from hub.safeguarding.classifier import screen

    rng = random.Random(11)
    texts = [narrative(rng) for _ in range(run.sizes.redaction_narratives)]
    for text in texts[:50]:  # load the rules and the model
        screen(text)
    start, cpu = time.perf_counter(), time.process_time()
    raised = sum(screen(text) is not None for text in texts)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    worst, worst_ms = _worst_case()
    return [
        Figure(
            f"safeguarding classifier, {len(texts):,} narratives (screen)",
            len(texts) / wall,
            "narratives/s",
            target=TARGET,
            note=f"{raised} of {len(texts)} raised an alert; by CPU time "
            f"{len(texts) / cpu:,.0f}/s (a loaded machine lowers the wall-clock figure only); "
            f"mean length {sum(map(len, texts)) / len(texts):.0f} characters",
        ),
        Figure(
            f"safeguarding classifier worst case, {WORST_LENGTH:,} characters",
            worst_ms,
            "ms",
            target=WORST_TARGET,
            note=f"slowest of {len(SAFEGUARDING_CASES) + len(WORST_CASES)} crafted shapes "
            f"(bench/hostile.py): {worst}",
        ),
    ]


def _worst_case() -> tuple[str, float]:
    """The slowest crafted narrative and its time in milliseconds (best of three runs)."""
    from hub.safeguarding.classifier import screen

    times = {}
    for name, make in {**SAFEGUARDING_CASES, **WORST_CASES}.items():
        text = make(WORST_LENGTH)
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            screen(text)
            runs.append(time.perf_counter() - start)
        times[name] = min(runs) * 1000
    worst = max(times, key=times.__getitem__)
    return worst, times[worst]
