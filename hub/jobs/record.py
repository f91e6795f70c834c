"""The record of runs: opening and closing a job's run, a skipped run, a task failed for good.

Each step is its own committed transaction, so a run shows as ``running`` while it runs; a
closed run is audited (``job.completed`` or ``job.failed``, with the kind of error only).
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

import sqlalchemy as sa

from hub.actor import Actor, system
from hub.audit.services import record
from hub.clock import utcnow
from hub.context import HubContext
from hub.db import transaction
from hub.jobs.models import JobRun

ERROR_MAX_CHARS = 2000


def record_failed_task(
    ctx: HubContext, name: str, *, error: Exception, stats: dict[str, Any]
) -> JobRun:
    """Record a background task that failed for good (its retries spent) as a failed run of
    ``name``, audited as ``job.failed`` like a failed job."""
    run_id = start_run(ctx, name, close_interrupted=False)
    return finish_run(ctx, run_id, name, status="failed", stats=stats, error=describe_error(error))


def _actor(name: str) -> Actor:
    return system(f"job:{name}")


def _host() -> tuple[str, int]:
    return socket.gethostname()[:255], os.getpid()


def record_skipped(ctx: HubContext, name: str) -> JobRun:
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


def start_run(ctx: HubContext, name: str, *, close_interrupted: bool = True) -> uuid.UUID:
    host, pid = _host()
    with transaction(ctx.session_factory) as session:
        if close_interrupted:
            # We hold the lock, so any run of this job still "running" was killed mid-way.
            session.execute(
                sa.update(JobRun)
                .where(JobRun.job == name, JobRun.status == "running")
                .values(
                    status="failed", finished_at=utcnow(), error="interrupted: the process ended"
                )
                .execution_options(synchronize_session=False)
            )
        run = JobRun(job=name, started_at=utcnow(), status="running", stats={}, host=host, pid=pid)
        session.add(run)
        session.flush()
        return run.id


def finish_run(
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


def describe_error(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"
