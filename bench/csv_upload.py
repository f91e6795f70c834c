"""CSV upload end to end: ``POST /api/v1/submissions/csv`` until the submission is completed,
and the peak memory of the process that processed it (a gunicorn worker's upload threads)."""

from __future__ import annotations

import contextlib
import threading
import time

import requests

from bench.context import Run
from bench.data import csv_text
from bench.report import Figure, Goal
from bench.server import BenchError, memory_kb, reset_peak_memory

FULL_ROWS = 100_000
FULL_SECONDS = 30.0
MEMORY = Goal("<=", 300)
POLL_S = 0.5
TIMEOUT_S = 3600.0


def measure(run: Run) -> list[Figure]:
    rows = run.sizes.csv_rows
    body = csv_text(rows, run.locations).encode()
    headers = {"Authorization": f"Bearer {run.partner.tokens[0]}"}
    workers = run.hub.workers()
    # Earlier groups ran on these workers: their peak so far is not the upload's.
    reset = all([reset_peak_memory(pid) for pid in workers])
    idle = {pid: memory_kb(pid, "VmRSS") for pid in workers}
    peaks = dict(idle)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in workers:
                with contextlib.suppress(OSError):
                    peaks[pid] = max(peaks[pid], memory_kb(pid, "VmRSS"))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    answer = requests.post(
        f"{run.hub.url}/api/v1/submissions/csv",
        files={"file": ("bench.csv", body, "text/csv")},
        headers=headers,
        timeout=600,
    )
    if answer.status_code != 202:
        done.set()
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
    done.set()
    sampler.join()
    if status.get("status") != "completed" or status.get("accepted") != rows:
        raise BenchError(
            f"submission ended {status.get('status')} with {status.get('accepted')} of {rows} "
            f"accepted: {str(status.get('errors'))[:300]}"
        )
    hwm = {pid: memory_kb(pid, "VmHWM") for pid in workers}
    busiest = max(workers, key=lambda pid: peaks[pid] - idle[pid])
    target_s = FULL_SECONDS * rows / FULL_ROWS
    scaled = "" if rows == FULL_ROWS else f" (target scaled from 30 s per {FULL_ROWS:,})"
    return [
        Figure(
            f"CSV upload, {rows:,} rows, end to end{scaled}",
            wall,
            "s",
            target=Goal("<=", target_s),
            note=f"{rows / wall:.0f} rows/s; {len(body) / 1e6:.1f} MB file",
        ),
        Figure(
            f"CSV upload, {rows:,} rows: peak RSS of the processing worker",
            hwm[busiest] / 1024,
            "MB",
            target=MEMORY,
            baseline=idle[busiest] / 1024,
            note=f"VmHWM of gunicorn worker {busiest}"
            + (" (reset before the upload)" if reset else " (since start: reset refused)")
            + f"; baseline is its RSS before the upload (models loaded); sampled peak "
            f"{peaks[busiest] / 1024:.0f} MB",
        ),
    ]
