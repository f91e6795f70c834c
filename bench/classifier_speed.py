"""Micro-benchmark of the safeguarding classifier: ``python -m bench.classifier_speed``.

Classifies synthetic benchmark narratives (``bench.data.narrative``: about 5 % carry a concern)
and prints the mean time per narrative, best of several repeats (timeit), in this process.
"""

from __future__ import annotations

import argparse
import random
import timeit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--narratives", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from bench.data import narrative
    from hub.safeguarding.classifier import default_classifier

    rng = random.Random(11)
    texts = [narrative(rng) for _ in range(args.narratives)]
    classifier = default_classifier()
    flagged = sum(c.concern for c in classifier.classify_many(texts))
    timer = timeit.Timer(lambda: classifier.classify_many(texts))
    best = min(timer.repeat(repeat=args.repeat, number=1))
    print(
        f"classify: {best / len(texts) * 1e6:.0f} µs per narrative (best of {args.repeat}), "
        f"{len(texts) / best:,.0f} narratives/s; {flagged} of {len(texts)} flagged; "
        f"mean length {sum(map(len, texts)) / len(texts):.0f} characters"
    )


if __name__ == "__main__":
    main()
