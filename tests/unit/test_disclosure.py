"""Small-number suppression and k-anonymity for anything that leaves the hub."""

from __future__ import annotations

from typing import Any

import pytest

from hub.privacy.disclosure import (
    equivalence_classes,
    is_k_anonymous,
    k_anonymous,
    round_count,
    suppress_count,
    suppress_mean,
    suppress_median,
)


@pytest.mark.parametrize(
    ("n", "shown"),
    [(0, "0"), (1, "*"), (7, "*"), (8, "10"), (12, "10"), (13, "15"), (17, "15"), (18, "20"),
     (100, "100"), (102, "100"), (103, "105")],
)  # fmt: skip
def test_suppress_count_follows_the_nhs_digital_rule(n: int, shown: str) -> None:
    assert suppress_count(n) == shown


def test_rounding_goes_half_up() -> None:
    assert [round_count(n) for n in (10, 11, 12, 13, 14, 15)] == [10, 10, 10, 15, 15, 15]


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        suppress_count(-1)


@pytest.mark.parametrize(("n", "expected"), [(0, None), (1, None), (7, None), (8, 3.5)])
def test_a_precomputed_mean_is_withheld_over_one_to_seven_people(
    n: int, expected: float | None
) -> None:
    assert suppress_mean(3.5, n) == expected


def test_mean_and_median_of_values() -> None:
    eight = [1, 2, 3, 4, 5, 6, 7, 100]
    assert suppress_mean(eight) == pytest.approx(16.0)
    assert suppress_median(eight) == 4.5
    assert suppress_mean(eight[:7]) is None
    assert suppress_median(eight[:7]) is None
    assert suppress_mean([]) is None


def test_a_precomputed_mean_needs_its_count() -> None:
    with pytest.raises(ValueError):
        suppress_mean(3.5)
    with pytest.raises(ValueError):
        suppress_mean([1.0, 2.0], 3)


def rows(location: str, month: str, count: int) -> list[dict[str, Any]]:
    return [{"location": location, "month": month, "id": i} for i in range(count)]


QI = ["location", "month"]


def test_k_anonymous_keeps_classes_of_at_least_k_and_drops_smaller_ones() -> None:
    data = rows("1-100", "2025-01", 10) + rows("1-100", "2025-02", 9) + rows("1-200", "2025-01", 12)
    kept = k_anonymous(data, QI, k=10)
    assert len(kept) == 22
    assert {(r["location"], r["month"]) for r in kept} == {
        ("1-100", "2025-01"),
        ("1-200", "2025-01"),
    }
    assert is_k_anonymous(kept, QI, k=10)
    assert not is_k_anonymous(data, QI, k=10)


def test_k_anonymous_keeps_input_order_and_uses_k_10_by_default() -> None:
    data = rows("a", "m", 10) + rows("b", "m", 3)
    data = data[::-1]
    kept = k_anonymous(data, QI)
    assert kept == [r for r in data if r["location"] == "a"]


def test_a_missing_quasi_identifier_is_its_own_value() -> None:
    data = [{"location": "a"}] * 2 + [{"location": "a", "month": None}] * 2
    classes = equivalence_classes(data, QI)
    assert list(classes) == [("a", None)]
    assert len(k_anonymous(data, QI, k=4)) == 4


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError):
        k_anonymous([], QI, k=0)
