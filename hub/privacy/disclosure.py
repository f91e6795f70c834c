"""Statistical disclosure control for anything that leaves the hub.

Counts and statistics follow the NHS Digital rule used for HES below national level: counts of
1-7 are shown as ``*``, every other count is rounded to the nearest 5, and means or medians over
1-7 people are withheld. Record-level extracts are made k-anonymous by suppression: a row is
released only when at least ``k`` rows share its combination of quasi-identifiers (its
equivalence class), so nobody can be singled out by those attributes alone.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

SMALL_COUNT_MAX = 7
ROUND_TO = 5
DEFAULT_K = 10
SUPPRESSED = "*"

Row = TypeVar("Row", bound=Mapping[str, Any])


def is_small(n: int) -> bool:
    """Tell whether a count of people falls in the suppressed range 1-7."""
    return 1 <= n <= SMALL_COUNT_MAX


def round_count(n: int) -> int:
    """Round a non-negative count to the nearest multiple of 5, halves upward."""
    if n < 0:
        raise ValueError("a count cannot be negative")
    return (n + ROUND_TO // 2) // ROUND_TO * ROUND_TO


def suppress_count(n: int) -> str:
    """Return a count as published: ``0``, ``*`` for 1-7, else rounded to the nearest 5."""
    if n < 0:
        raise ValueError("a count cannot be negative")
    if n == 0:
        return "0"
    if is_small(n):
        return SUPPRESSED
    return str(round_count(n))


def _statistic(
    values_or_value: Sequence[float] | float, n: int | None, how: str
) -> tuple[float | None, int]:
    if isinstance(values_or_value, int | float):
        if n is None:
            raise ValueError("n is required when a precomputed statistic is given")
        return float(values_or_value), n
    values = [float(v) for v in values_or_value]
    if n is not None and n != len(values):
        raise ValueError("n does not match the number of values")
    if not values:
        return None, 0
    value = statistics.fmean(values) if how == "mean" else float(statistics.median(values))
    return value, len(values)


def suppress_mean(values_or_mean: Sequence[float] | float, n: int | None = None) -> float | None:
    """Return the mean of the values (or the given mean over n people), None over 0-7 people."""
    value, people = _statistic(values_or_mean, n, "mean")
    if people < 0:
        raise ValueError("a count cannot be negative")
    return None if people == 0 or is_small(people) else value


def suppress_median(
    values_or_median: Sequence[float] | float, n: int | None = None
) -> float | None:
    """Return the median of the values (or the given median over n people), None over 0-7."""
    value, people = _statistic(values_or_median, n, "median")
    if people < 0:
        raise ValueError("a count cannot be negative")
    return None if people == 0 or is_small(people) else value


def class_key(row: Mapping[str, Any], quasi_identifiers: Sequence[str]) -> tuple[Hashable, ...]:
    """Return the tuple of a row's quasi-identifier values; a missing key counts as None."""
    return tuple(row.get(q) for q in quasi_identifiers)


def equivalence_classes(
    rows: Iterable[Row], quasi_identifiers: Sequence[str]
) -> dict[tuple[Hashable, ...], list[Row]]:
    """Group rows by their combination of quasi-identifier values, keeping input order."""
    classes: dict[tuple[Hashable, ...], list[Row]] = defaultdict(list)
    for row in rows:
        classes[class_key(row, quasi_identifiers)].append(row)
    return dict(classes)


def k_anonymous(
    rows: Iterable[Row], quasi_identifiers: Sequence[str], k: int = DEFAULT_K
) -> list[Row]:
    """Return, in input order, only the rows whose equivalence class holds at least k rows."""
    if k < 1:
        raise ValueError("k must be at least 1")
    materialised = list(rows)
    classes = equivalence_classes(materialised, quasi_identifiers)
    keep = {key for key, members in classes.items() if len(members) >= k}
    return [row for row in materialised if class_key(row, quasi_identifiers) in keep]


def is_k_anonymous(
    rows: Iterable[Row], quasi_identifiers: Sequence[str], k: int = DEFAULT_K
) -> bool:
    """Tell whether every equivalence class of the rows holds at least k rows."""
    classes = equivalence_classes(rows, quasi_identifiers)
    return all(len(members) >= k for members in classes.values())
