"""CSV upload end to end: ``POST /api/v1/submissions/csv`` until the submission is completed,
with one ``hub worker`` process and then with two (a new file each time), the rows per second
of each and their ratio, and the peak memory of a worker's task process."""

from __future__ import annotations

import contextlib
import threading
import time

import requests

from bench.context import Run
from bench.data import csv_text
from bench.report import Figure, Goal
from bench.server import BenchError, children, hub_workers, memory_kb
from hub.exchange.csv.split import chunk_size

FULL_ROWS = 100_000
FULL_SECONDS = 30.0
MEMORY = Goal("<=", 300)
SCALING = Goal(">=", 1.7)
POLL_S = 0.5
TIMEOUT_S = 3600.0


def _upload(run: Run, rows: int) -> tuple[float, int]:
    body = csv_text(rows, run.locations).encode()
    headers = {"Authorization": f"Bearer {run.partner.tokens[0]}"}
    start = time.perf_counter()
    answer = requests.post(
        f"{run.hub.url}/api/v1/submissions/csv",
        files={"file": ("bench.csv", body, "text/csv")},
        headers=headers,
        timeout=600,
    )
    if answer.status_code != 202:
        raise BenchError(f"upload answered {answer.status_code}: {answer.text[:300]}")
    sid = answer.json()["submission_id"]
    status: dict = {}
    while time.perf_counter() - start < TIMEOUT_S:
        status = requests.get(
            f"{run.hub.url}/api/v1/submissions/{sid}", headers=headers, timeout=60
        ).json()
        if status.get("status") != "processing":
            break
        time.sleep(POLL_S)
    wall = time.perf_counter() - start
    if status.get("status") != "completed" or status.get("accepted") != rows:
        raise BenchError(
            f"submission ended {status.get('status')} with {status.get('accepted')} of {rows} "
            f"accepted: {str(status.get('errors'))[:300]}"
        )
    return wall, len(body)


def measure(run: Run) -> list[Figure]:
    rows = run.sizes.csv_rows
    # The hub sizes a file's chunks to the file (enough for every worker to share).
    chunk_rows = chunk_size(rows)
    target_s = FULL_SECONDS * rows / FULL_ROWS
    scaled = "" if rows == FULL_ROWS else f" (target scaled from 30 s per {FULL_ROWS:,})"
    figures: list[Figure] = []
    walls: dict[int, float] = {}
    peak_kb = 0
    for count in (1, 2):
        with hub_workers(run.env, run.folder, count) as workers:
            pool = [pid for w in workers for pid in children(w.pid)]
            peaks = {pid: memory_kb(pid, "VmRSS") for pid in pool}
            done = threading.Event()

            def sample(
                pool: list[int] = pool,
                peaks: dict[int, int] = peaks,
                done: threading.Event = done,
            ) -> None:
                while not done.is_set():
                    for pid in pool:
                        with contextlib.suppress(OSError):
                            peaks[pid] = max(peaks[pid], memory_kb(pid, "VmRSS"))
                    done.wait(0.2)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            try:
                wall, size = _upload(run, rows)
            finally:
                done.set()
                sampler.join()
            peak_kb = max(peak_kb, *peaks.values(), 0)
        walls[count] = wall
        figures.append(
            Figure(
                f"CSV upload, {rows:,} rows, end to end, {count} worker process"
                + ("es" if count > 1 else "")
                + scaled,
                wall,
                "s",
                target=Goal("<=", target_s),
                note=f"{rows / wall:.0f} rows/s; {size / 1e6:.1f} MB file; "
                f"chunks of {chunk_rows} rows",
            )
        )
    one, two = rows / walls[1], rows / walls[2]
    figures.append(
        Figure(
            f"CSV upload, {rows:,} rows: rows/s with two worker processes over one",
            two / one,
            "x",
            target=SCALING,
            note=f"{one:.0f} rows/s with one, {two:.0f} rows/s with two (same run)",
        )
    )
    figures.append(
        Figure(
            f"CSV upload, {rows:,} rows: peak RSS of a worker's task process",
            peak_kb / 1024,
            "MB",
            target=MEMORY,
            note="sampled VmRSS of the pool processes of `hub worker` (models loaded)",
        )
    )
    return figures
