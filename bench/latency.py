"""Single ``POST /api/v1/experiences`` at 16 concurrent clients against a bare Flask "hello"
under the same load and gunicorn settings."""

from __future__ import annotations

import json
import random
import uuid

import requests

from bench.context import Run
from bench.data import api_record
from bench.load import LoadResult, run_load
from bench.report import Figure, Goal

CONCURRENCY = 16
P99_TARGET = Goal("<=", 25)
RATIO = Goal("<=", 3)


def _load(
    url: str, bodies: list[bytes], headers: dict[str, str], ok: tuple[int, ...]
) -> LoadResult:
    def send(session: requests.Session, n: int) -> int:
        return session.post(url, data=bodies[n], headers=headers, timeout=120).status_code

    return run_load(send, total=len(bodies), concurrency=CONCURRENCY, ok=ok)


def measure(run: Run) -> list[Figure]:
    total = run.sizes.latency_requests
    rng = random.Random(23)
    prefix = f"single-{uuid.uuid4().hex[:6]}"
    bodies = [
        json.dumps(api_record(rng, prefix, n, run.locations)).encode()
        for n in range(total + CONCURRENCY * 2)
    ]
    warm, timed = bodies[: CONCURRENCY * 2], bodies[CONCURRENCY * 2 :]
    headers = {
        "Authorization": f"Bearer {run.partner.tokens[0]}",
        "Content-Type": "application/json",
    }
    hub_url = f"{run.hub.url}/api/v1/experiences"
    _load(hub_url, warm, headers, (201,))
    hub = _load(hub_url, timed, headers, (201,))
    hello_url = f"{run.hello.url}/hello"
    _load(hello_url, warm, headers, (200,))
    hello = _load(hello_url, timed, headers, (200,))
    note = (
        f"{len(hub.latencies_s)} requests ({hub.errors} errors"
        f"{': ' + hub.first_error if hub.errors else ''}), "
        f"{hub.throughput:.0f} req/s; hello {hello.throughput:.0f} req/s"
    )
    name = f"POST /api/v1/experiences, {CONCURRENCY} clients"
    return [
        Figure(
            f"{name}: p50", hub.percentile_ms(50), "ms", baseline=hello.percentile_ms(50), note=note
        ),
        Figure(
            f"{name}: p99",
            hub.percentile_ms(99),
            "ms",
            target=P99_TARGET,
            baseline=hello.percentile_ms(99),
            ratio_target=RATIO,
        ),
    ]
