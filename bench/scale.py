"""List endpoints and the inspector view at a small and a large number of records: p99 at the
large size against p99 at the small one (the baseline), target ratio ≤ 2.

Records are seeded with ``COPY`` (see bench/data.py). The registry grows with the records, one
location per 100 records, so every location has about 100 records at both sizes: what changes
is the size of the tables, which is what indexes are for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
import requests

from bench.context import Run
from bench.data import bulk_submission, seed_locations, seed_records
from bench.load import run_load
from bench.report import Figure, Goal
from bench.server import libpq_url, portal_session

RATIO = Goal("<=", 2)
CONCURRENCY = 2  # one request in flight per gunicorn worker: service time, little queueing
RECORDS_PER_LOCATION = 100
WARM_CLIENTS = 8  # hub serve: 2 workers x 4 threads
WARM_REQUESTS = 24
LOCATION_BASE = 100_000  # seeded locations are numbered from here (ingest uses 0..)
QUERY = "maple"


@dataclass
class Endpoint:
    name: str
    template: str  # "{id}" stands for the location measured
    session: str  # "partner", "regulator" or "portal"

    def path(self, location: str) -> str:
        return self.template.replace("{id}", location)


INSIGHT = "/api/v1/insight/locations/{id}"
ENDPOINTS = (
    Endpoint("GET /api/v1/experiences (regulator)", "/api/v1/experiences", "regulator"),
    Endpoint("GET /api/v1/experiences (partner)", "/api/v1/experiences", "partner"),
    Endpoint(f"GET /api/v1/locations?q={QUERY}", f"/api/v1/locations?q={QUERY}", "regulator"),
    Endpoint("GET /api/v1/audit/events", "/api/v1/audit/events", "regulator"),
    Endpoint(f"GET {INSIGHT}", INSIGHT, "regulator"),
    Endpoint("portal inspector view /portal/locations/{id}", "/portal/locations/{id}", "portal"),
    Endpoint(f"portal /portal/locations?q={QUERY}", f"/portal/locations?q={QUERY}", "portal"),
)


class Seeder:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.records = 0
        self.locations: list[str] = []
        self.owners: list[tuple[str, str]] = []

    def grow_to(self, records: int) -> tuple[list[str], float]:
        """Add records (and locations) up to ``records`` seeded; the new locations, seconds."""
        start = time.perf_counter()
        add = records - self.records
        new_locations = max(1, add // RECORDS_PER_LOCATION)
        with self.run.connect() as conn:
            if not self.owners:
                parties = [self.run.partner, *self.run.others]
                self.owners = [
                    (p.organisation_id, bulk_submission(conn, p.organisation_id)) for p in parties
                ]
            fresh = seed_locations(conn, LOCATION_BASE + len(self.locations), new_locations)
            seed_records(conn, self.owners, fresh, start=self.records, count=add)
            conn.commit()
        self.locations += fresh
        self.records = records
        with psycopg.connect(libpq_url(self.run.database_url), autocommit=True) as conn:
            for table in ("experience_records", "consent_records", "audit_events", "locations"):
                conn.execute(f"VACUUM ANALYZE {table}")
        return fresh, time.perf_counter() - start


def _p99s(run: Run, location: str, portal: requests.Session) -> dict[str, tuple[float, float, int]]:
    headers = {
        "partner": {"Authorization": f"Bearer {run.partner.tokens[0]}"},
        "regulator": {"Authorization": f"Bearer {run.regulator.tokens[0]}"},
        "portal": {},
    }
    out: dict[str, tuple[float, float, int]] = {}
    for endpoint in ENDPOINTS:
        url = run.hub.url + endpoint.path(location)
        head = headers[endpoint.session]

        def send(
            session: requests.Session,
            _n: int,
            url: str = url,
            head: dict = head,
            kind: str = endpoint.session,
        ) -> int:
            if kind == "portal":
                return portal.get(url, timeout=120).status_code
            return session.get(url, headers=head, timeout=120).status_code

        # Warm every worker thread (its pooled connection, templates, caches) first.
        run_load(send, total=WARM_REQUESTS, concurrency=WARM_CLIENTS)
        result = run_load(send, total=run.sizes.scale_requests, concurrency=CONCURRENCY)
        if result.errors:
            raise RuntimeError(
                f"{endpoint.name}: {result.errors} errors, first {result.first_error}"
            )
        out[endpoint.name] = (
            result.percentile_ms(99),
            result.percentile_ms(50),
            len(result.latencies_s),
        )
    return out


def _count(run: Run, table: str) -> int:
    with run.connect() as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]


def measure(run: Run) -> list[Figure]:
    sizes = run.sizes
    seeder = Seeder(run)
    portal = portal_session(run.hub.url, *run.inspector)
    small_locs, small_seed_s = seeder.grow_to(sizes.scale_small)
    small_records = _count(run, "experience_records")
    small = _p99s(run, small_locs[len(small_locs) // 2], portal)
    large_locs, large_seed_s = seeder.grow_to(sizes.scale_large)
    large_records = _count(run, "experience_records")
    large_events = _count(run, "audit_events")
    large = _p99s(run, large_locs[len(large_locs) // 2], portal)
    run.notes.append(
        f"scale: {small_records:,} vs {large_records:,} experience records "
        f"({len(small_locs):,} vs {len(seeder.locations):,} seeded locations, "
        f"{large_events:,} audit events at the large size); COPY seeding took "
        f"{small_seed_s:.0f} s + {large_seed_s:.0f} s"
    )
    figures = []
    counts: list[int] = []
    for endpoint in ENDPOINTS:
        p99_large, p50_large, n = large[endpoint.name]
        counts.append(n)
        p99_small, p50_small, _ = small[endpoint.name]
        figures.append(
            Figure(
                f"{endpoint.name}: p99 at {large_records:,} vs {small_records:,} records",
                p99_large,
                "ms",
                baseline=p99_small,
                ratio_target=RATIO,
                note=f"p50 {p50_small:.1f} -> {p50_large:.1f} ms",
            )
        )
    run.notes.append(
        f"scale: p99 of {min(counts)} requests per endpoint and size from {CONCURRENCY} clients"
    )
    return figures
