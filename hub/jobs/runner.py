"""Running jobs: one at a time per job, every run recorded and audited.

``run_job`` takes the job's lock (``hub.jobs.locks``) without waiting. If another process holds
it, the run is recorded as ``skipped`` and nothing else happens: a job never runs twice at once.
Otherwise the run is recorded as ``running`` (committed, so it shows while it runs), the job's
function is called, and the run is closed as ``succeeded`` with its stats (audited as
``job.completed``) or ``failed`` with the error (audited as ``job.failed``).

Kills and restarts: a process killed mid-run leaves its run ``running``. Whoever next takes the
lock knows no one else is running that job, so it closes such runs as ``failed``
("interrupted"); and because every job is idempotent and resumable (see ``hub.jobs.catalogue``),
the new run simply finishes the work. Run a job again at any time: that is always safe.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from hub.actor import Actor, system
from hub.audit.services import record
from hub.clock import utcnow
from hub.context import HubContext
from hub.db import transaction
from hub.jobs.catalogue import JOBS
from hub.jobs.locks import job_lock
from hub.jobs.models import JobRun

log = logging.getLogger(__name__)

ERROR_MAX_CHARS = 2000


class UnknownJob(LookupError):
    """No job of that name exists."""

    def __init__(self, name: str) -> None:
        known = ", ".join(JOBS) or "none"
        super().__init__(f"no job named {name!r} (known: {known})")
        self.name = name


def run_job(ctx: HubContext, name: str, *, now: datetime | None = None) -> JobRun:
    """Run the job ``name`` now unless it is running elsewhere; return its recorded run."""
    fn = JOBS.get(name)
    if fn is None:
        raise UnknownJob(name)
    now = now or utcnow()
    with job_lock(ctx.engine, name) as taken:
        if not taken:
            log.info("job %s is running elsewhere; skipped", name)
            return _record_skipped(ctx, name)
        run_id = _start(ctx, name)
        log.info("job %s started (run %s)", name, run_id)
        try:
            stats = fn(ctx, ctx.session_factory, now=now)
        except Exception as exc:
            log.exception("job %s failed (run %s)", name, run_id)
            return _finish(ctx, run_id, name, status="failed", error=_describe(exc))
        log.info("job %s succeeded (run %s): %s", name, run_id, stats)
        return _finish(ctx, run_id, name, status="succeeded", stats=stats)


def _actor(name: str) -> Actor:
    return system(f"job:{name}")


def _host() -> tuple[str, int]:
    return socket.gethostname()[:255], os.getpid()


def _record_skipped(ctx: HubContext, name: str) -> JobRun:
    host, pid = _host()
    at = utcnow()
    run = JobRun(
        job=name,
        started_at=at,
        finished_at=at,
        status="skipped",
        stats={"reason": "already running elsewhere"},
        host=host,
        pid=pid,
    )
    with transaction(ctx.session_factory) as session:
        session.add(run)
    return run


def _start(ctx: HubContext, name: str) -> uuid.UUID:
    host, pid = _host()
    with transaction(ctx.session_factory) as session:
        # We hold the lock, so any run of this job still "running" was killed mid-way.
        session.execute(
            sa.update(JobRun)
            .where(JobRun.job == name, JobRun.status == "running")
            .values(status="failed", finished_at=utcnow(), error="interrupted: the process ended")
            .execution_options(synchronize_session=False)
        )
        run = JobRun(job=name, started_at=utcnow(), status="running", stats={}, host=host, pid=pid)
        session.add(run)
        session.flush()
        return run.id


def _finish(
    ctx: HubContext,
    run_id: uuid.UUID,
    name: str,
    *,
    status: str,
    stats: dict[str, Any] | None = None,
    error: str | None = None,
) -> JobRun:
    with transaction(ctx.session_factory) as session:
        run = session.get_one(JobRun, run_id)
        run.status = status
        run.finished_at = utcnow()
        run.stats = stats or {}
        run.error = error
        details: dict[str, Any] = {"job": name, "run_id": str(run_id)}
        if status == "succeeded":
            details["stats"] = run.stats
            record(
                session,
                _actor(name),
                "job.completed",
                object_type="job_run",
                object_id=run_id,
                details=details,
                organisation_id=None,
            )
        else:
            # The message may quote data; the audit keeps only the kind of error.
            details["error_type"] = (error or "").partition(":")[0]
            record(
                session,
                _actor(name),
                "job.failed",
                object_type="job_run",
                object_id=run_id,
                outcome="failure",
                details=details,
                organisation_id=None,
            )
    return run


def _describe(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"
