"""Redaction throughput: narratives per second through the hub's Redactor, in this process."""

from __future__ import annotations

import random
import time

from bench.context import Run
from bench.data import narrative
from bench.report import Figure, Goal

TARGET = Goal(">=", 1000)


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
    return [
        Figure(
            f"redaction, {len(texts):,} narratives (redact_many)",
            len(texts) / batch_wall,
            "narratives/s",
            target=TARGET,
            note=f"{changed} of {len(texts)} had an identifier replaced; one at a time "
            f"(redact): {single_rate:.0f}/s; mean length "
            f"{sum(map(len, texts)) / len(texts):.0f} characters",
        )
    ]
