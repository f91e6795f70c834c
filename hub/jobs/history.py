"""Reading the record of job runs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.jobs.models import JobRun
from hub.paging import keyset_page


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
