"""Reading the record of job runs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.jobs.models import JobRun
from hub.keyset import keyset_page


def list_runs(
    session: Session, *, job: str | None = None, limit: int, after: list[Any] | None = None
) -> tuple[list[JobRun], list[Any] | None]:
    """One page of runs, newest first, optionally of one job."""
    stmt: Any = sa.select(JobRun)
    if job:
        stmt = stmt.where(JobRun.job == job)
    keys: list[Any] = [JobRun.started_at, JobRun.id]
    rows: list[JobRun]
    rows, next_key = keyset_page(session, stmt, keys, limit=limit, after=after, descending=True)
    return rows, next_key


def last_runs(session: Session) -> dict[str, JobRun]:
    """The latest run of each job that has run."""
    latest = (
        sa.select(JobRun.job, sa.func.max(JobRun.started_at).label("at"))
        .group_by(JobRun.job)
        .subquery()
    )
    rows = session.scalars(
        sa.select(JobRun).join(
            latest, sa.and_(JobRun.job == latest.c.job, JobRun.started_at == latest.c.at)
        )
    )
    return {run.job: run for run in rows}


def job_names(session: Session) -> list[str]:
    """The jobs that have run, by name."""
    return list(session.scalars(sa.select(JobRun.job).distinct().order_by(JobRun.job)))


def last_check(session: Session) -> JobRun | None:
    """The audit-seal job's latest finished run: when the whole chain and its seals were last
    checked, and what was found (a failed run names the first problem in ``error``)."""
    return session.scalars(
        sa.select(JobRun)
        .where(JobRun.job == "audit-seal", JobRun.status.in_(("succeeded", "failed")))
        .order_by(JobRun.started_at.desc())
        .limit(1)
    ).first()


def checked_upto(run: JobRun | None) -> int:
    """The highest seq a successful check of ``run`` covered (its seal, else the events it saw)."""
    if run is None or run.status != "succeeded":
        return 0
    stats = run.stats or {}
    return int(stats.get("sealed_upto_seq") or stats.get("events") or 0)
