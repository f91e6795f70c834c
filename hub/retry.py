"""How what leaves the hub is tried again: waits that double from a base up to a cap, and a
number of attempts after which it is given up. Webhook deliveries and e-mail each have their
own numbers; the rule is this one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta
    cap: timedelta
    max_attempts: int

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: the base, then twice as long each
        time, never longer than the cap."""
        exponent = min(max(attempts - 1, 0), 64)
        seconds = min(self.base.total_seconds() * 2.0**exponent, self.cap.total_seconds())
        return timedelta(seconds=seconds)

    def retry_at(self, attempts: int, now: datetime, *, give_up: bool = False) -> datetime | None:
        """When to try again after ``attempts`` failed attempts, or None: it is given up."""
        if give_up or attempts >= self.max_attempts:
            return None
        return now + self.backoff(attempts)
