"""Batch ingest over HTTP (500-record batches, every check on) against ``COPY`` of the same rows."""

from __future__ import annotations

import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.context import Run
from bench.data import api_record
from bench.report import Figure, Goal
from bench.server import BenchError

TARGET = Goal(">=", 5000)
RATIO = Goal(">=", 0.15)
CLIENTS = 2  # one batch in flight per gunicorn worker


def _post_batches(url: str, token: str, batches: list[list[dict]]) -> tuple[int, float, list[str]]:
    headers = {"Authorization": f"Bearer {token}"}

    def send(batch: list[dict]) -> dict:
        answer = requests.post(
            f"{url}/api/v1/experiences/batch", json={"records": batch}, headers=headers, timeout=600
        )
        if answer.status_code != 200:
            raise BenchError(f"batch answered {answer.status_code}: {answer.text[:300]}")
        body: dict = answer.json()
        return body

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(send, batches))
    wall = time.perf_counter() - start
    return sum(a["created"] for a in answers), wall, [a["submission_id"] for a in answers]


def _copy_same_rows(run: Run, submission_ids: list[str]) -> tuple[int, float]:
    """COPY the rows the batches created (new keys) into the same tables; records/s of it."""
    with run.connect() as conn:
        conn.execute(
            "CREATE TEMP TABLE idmap AS SELECT id AS old, gen_random_uuid() AS new"
            " FROM experience_records WHERE submission_id = ANY(%s::uuid[])",
            (submission_ids,),
        )
        cols = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'experience_records' ORDER BY ordinal_position"
            )
        ]
        exp_select = ", ".join(
            "m.new"
            if c == "id"
            else "'copy-' || e.partner_record_id"
            if c == "partner_record_id"
            else f"e.{c}"
            for c in cols
        )
        ccols = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'consent_records' ORDER BY ordinal_position"
            )
        ]
        con_select = ", ".join(
            "gen_random_uuid()"
            if c in ("id", "receipt_id")
            else "m.new"
            if c == "experience_id"
            else f"c.{c}"
            for c in ccols
        )
        exported: dict[str, bytes] = {}
        with conn.cursor() as cur:
            for table, sql in (
                (
                    "experience_records",
                    f"SELECT {exp_select} FROM experience_records e JOIN idmap m ON m.old = e.id",
                ),
                (
                    "consent_records",
                    f"SELECT {con_select} FROM consent_records c"
                    " JOIN idmap m ON m.old = c.experience_id",
                ),
            ):
                buf = bytearray()
                with cur.copy(f"COPY ({sql}) TO STDOUT") as cp:
                    for chunk in cp:
                        buf += chunk
                exported[table] = bytes(buf)
        conn.commit()
        count = int(conn.execute("SELECT count(*) FROM idmap").fetchone()[0])  # type: ignore[index]
        column_lists = {"experience_records": cols, "consent_records": ccols}
        start = time.perf_counter()
        with conn.cursor() as cur:
            for table, data in exported.items():
                with cur.copy(f"COPY {table} ({', '.join(column_lists[table])}) FROM STDIN") as cp:
                    cp.write(data)
        conn.commit()
        wall = time.perf_counter() - start
    return count, wall


def measure(run: Run) -> list[Figure]:
    sizes = run.sizes
    token = run.partner.tokens[0]
    rng = random.Random(11)
    locations = run.locations
    prefix = f"batch-{uuid.uuid4().hex[:6]}"
    # Warm both workers (the redaction and sentiment models load on first use).
    warm = [
        [api_record(rng, f"{prefix}-warm{w}", n, locations) for n in range(20)] for w in range(4)
    ]
    _post_batches(run.hub.url, token, warm)
    batches = [
        [
            api_record(rng, prefix, b * sizes.batch_size + n, locations)
            for n in range(sizes.batch_size)
        ]
        for b in range(sizes.ingest_batches)
    ]
    created, wall, submission_ids = _post_batches(run.hub.url, token, batches)
    expected = sizes.ingest_batches * sizes.batch_size
    if created != expected:
        raise BenchError(f"only {created} of {expected} records were created")
    rate = created / wall
    copied, copy_wall = _copy_same_rows(run, submission_ids)
    copy_rate = copied / copy_wall
    return [
        Figure(
            f"batch ingest, {sizes.batch_size}-record batches x{sizes.ingest_batches}",
            rate,
            "records/s",
            target=TARGET,
            baseline=copy_rate,
            ratio_target=RATIO,
            note=f"{created} records in {wall:.1f} s from {CLIENTS} clients; baseline: psycopg "
            f"COPY of the same {copied} experience and consent rows in {copy_wall:.2f} s",
        )
    ]
