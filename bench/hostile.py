"""Crafted narratives that once made text steps cost more than linear time (issue 19, item 1).

Each maker returns a text of about ``n`` characters. The redaction cost tests
(``tests/security/test_redaction_cost.py``) and ``bench/run``'s worst-case figure use the same
shapes, so what is measured is what is guarded. ``SAFEGUARDING_CASES`` adds the shapes aimed at
the safeguarding engine's own steps (signs, scope checks, the model's features); its cost test
(``tests/unit/test_safeguarding_cost.py``) and the classifier's worst-case figure use both lists.
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


def _letters(n: int) -> str:
    rng = random.Random(19)
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))


def _nested_quoting(n: int) -> str:
    k = n // 31
    return "she said 'he said \"they said (" * k + ")\"'" * k


SAFEGUARDING_CASES: dict[str, Callable[[int], str]] = {
    "'a a a' repeated": lambda n: "a a a" * (n // 5),
    "one long random word": _letters,
    "deep brackets": lambda n: "(" * (n // 2) + ")" * (n // 2),
    "deep quotes": lambda n: '"' * (n // 2) + "'" * (n // 2),
    "nested quoting": _nested_quoting,
    "negations": lambda n: "not " * (n // 4),
    "conditionals": lambda n: "if she hit her " * (n // 15),
    "worries": lambda n: "I was worried they would not feed her but they did " * (n // 52),
    "signs everywhere": lambda n: (
        "the carer hit her and nobody came, bruises nobody could explain " * (n // 63)
    ),
    "masked words": lambda n: "n*** " * (n // 5),
    "pound signs": lambda n: "£" * n,
    "numbers": lambda n: "5.30.12.99/" * (n // 11),
    "apostrophes": lambda n: "didn't'n't's" * (n // 12),
}
