"""The one retry rule: waits double from a base up to a cap; after so many attempts, give up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.retry import RetryPolicy

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(base=timedelta(seconds=30), cap=timedelta(minutes=5), max_attempts=4)


def test_waits_double_from_the_base_and_stop_at_the_cap():
    waits = [POLICY.backoff(n) for n in (1, 2, 3, 4, 5, 10_000)]
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240, 300, 300)]
    assert POLICY.backoff(0) == timedelta(seconds=30)


def test_the_next_attempt_is_after_the_wait_until_the_attempts_run_out():
    assert POLICY.retry_at(1, NOW) == NOW + timedelta(seconds=30)
    assert POLICY.retry_at(3, NOW) == NOW + timedelta(seconds=120)
    assert POLICY.retry_at(4, NOW) is None


def test_what_cannot_succeed_is_given_up_at_once():
    assert POLICY.retry_at(1, NOW, give_up=True) is None
