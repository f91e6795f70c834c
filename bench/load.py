"""Closed-loop load from a thread pool: each client sends its next request when the last ends."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

# (session, request number) → HTTP status
Send = Callable[[requests.Session, int], int]


@dataclass
class LoadResult:
    latencies_s: list[float]
    errors: int
    wall_s: float
    first_error: str = ""

    def percentile_ms(self, q: float) -> float:
        return percentile(self.latencies_s, q) * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies_s) / self.wall_s if self.wall_s else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0 to 100) of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def run_load(send: Send, *, total: int, concurrency: int, ok: Sequence[int] = (200,)) -> LoadResult:
    """Send ``total`` requests from ``concurrency`` clients; latency of each successful one."""
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def client() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                start = time.perf_counter()
                try:
                    status = send(session, n)
                except requests.RequestException as exc:
                    status, detail = -1, repr(exc)
                else:
                    detail = f"HTTP {status}"
                elapsed = time.perf_counter() - start
                with lock:
                    if status in ok:
                        latencies.append(elapsed)
                    else:
                        errors.append(detail)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(client) for _ in range(concurrency)]:
            future.result()
    wall = time.perf_counter() - start
    return LoadResult(latencies, len(errors), wall, errors[0] if errors else "")
