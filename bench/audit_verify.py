"""``hub audit verify`` over the whole chain: events per second, the command end to end and the
chain walk alone (without the command's start-up).

The chain is the one the run left (one event per seeded record, after the scale group); run
alone (``--only audit``), the group first lengthens it to the scale group's size with valid
events, so that the figure measures the check rather than the command's start-up."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from typing import Any

from bench.context import Run
from bench.data import seed_audit
from bench.report import Figure, Goal
from bench.server import HUB, REPO, BenchError

TARGET = Goal(">=", 200_000)


def _lengthen_chain(run: Run, events: int) -> None:
    """Append valid events until the chain holds at least ``events``."""
    with run.connect() as conn:
        head = conn.execute("SELECT seq FROM audit_head WHERE id = 1").fetchone()
        missing = events - (head[0] if head else 0)
        if missing <= 0:
            return
        orgs = [str(r[0]) for r in conn.execute("SELECT id FROM organisations LIMIT 20")]
        owners: list[Any] = orgs or [None]
        seed_audit(conn, [(owners[i % len(owners)], uuid.uuid4()) for i in range(missing)])
        run.notes.append(f"audit: {missing:,} valid events appended to reach {events:,}")


def measure(run: Run) -> list[Figure]:
    _lengthen_chain(run, run.sizes.scale_large)
    start = time.perf_counter()
    done = subprocess.run(
        [str(HUB), "audit", "verify", "--json"],
        cwd=REPO,
        env={**os.environ, **run.env},
        capture_output=True,
        text=True,
        timeout=3600,
    )
    command_wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"hub audit verify failed: {done.stdout[-300:]} {done.stderr[-300:]}")
    answer = json.loads(lines[-1])
    events = int(answer["events"])
    command = Figure(
        f"hub audit verify, {events:,} events (command, end to end)",
        events / command_wall,
        "events/s",
        target=TARGET,
        note=f"{command_wall:.1f} s including the command's start-up",
    )
    if run.sizes.quick:
        return [command]

    from sqlalchemy.orm import sessionmaker

    from hub.audit.services import verify
    from hub.db import make_engine

    engine = make_engine(run.database_url)
    try:
        with sessionmaker(engine)() as session:
            start = time.perf_counter()
            walk = verify(session)
            walk_wall = time.perf_counter() - start
    finally:
        engine.dispose()
    if not walk.ok:
        raise BenchError(f"the chain does not verify at seq {walk.first_bad_seq}")
    return [
        command,
        Figure(
            f"audit chain walk, {walk.events:,} events (verify() in process)",
            walk.events / walk_wall,
            "events/s",
            target=TARGET,
            note=f"{walk_wall:.1f} s",
        ),
    ]
