"""Crafted narratives that once made text steps cost more than linear time (issue 19, item 1).

Each maker returns a text of about ``n`` characters. The redaction cost tests
(``tests/security/test_redaction_cost.py``) and ``bench/run``'s worst-case figure use the same
shapes, so what is measured is what is guarded.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def _punctuation(n: int) -> str:
    rng = random.Random(19)
    return "".join(rng.choice(".!?") for _ in range(n))


WORST_CASES: dict[str, Callable[[int], str]] = {
    "punctuation run": _punctuation,
    "repeated token": lambda n: "a " * (n // 2),
    "long word": lambda n: "x" * n,
    "deep quoting": lambda n: "(" * (n // 2) + "Sandra" + ")" * (n // 2),
    "quote marks": lambda n: "'\"" * (n // 2),
    "titles": lambda n: "Dr " * (n // 3),
    "one name, many mentions": lambda n: "Gintaras " * (n // 9),
    "hyphen chain": lambda n: "-".join("ab" for _ in range(n // 3)),
    "digits": lambda n: "9434765919" * (n // 10),
    "at signs": lambda n: "a@" * (n // 2),
    "dates": lambda n: "17/4/59 " * (n // 8),
    "capitals": lambda n: "Okafor " * (n // 7),
    "lower-case unknowns": lambda n: "zorbu said " * (n // 11),
    "signature": lambda n: "ok. " * (n // 4) + "thanks kev",
}
