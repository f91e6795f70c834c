"""Running jobs: one at a time per job, every run recorded and audited; and the scheduler.

``run_job`` takes the job's lock (``hub.jobs.locks``) without waiting. If another process holds
it, the run is recorded as ``skipped`` and nothing else happens: a job never runs twice at once.
Otherwise the run is recorded as ``running`` (committed, so it shows while it runs), the job's
function is called, and the run is closed as ``succeeded`` with its stats (audited as
``job.completed``) or ``failed`` with the error (audited as ``job.failed``).

Kills and restarts: a process killed mid-run leaves its run ``running``. Whoever next takes the
lock knows no one else is running that job, so it closes such runs as ``failed``
("interrupted"); and because every job is idempotent and resumable (see ``hub.jobs.registry``),
the new run simply finishes the work. Run a job again at any time: that is always safe.

The scheduler (``hub scheduler``, its own process) fires each job on its crontab from settings,
in UTC (five fields, or six with seconds first). Missed firings collapse into one
(``coalesce``), a job never overlaps itself in one scheduler (``max_instances=1``), and the lock
keeps a second scheduler from overlapping it.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from hub.actor import Actor, system
from hub.audit.services import record
from hub.clock import utcnow
from hub.context import HubContext
from hub.db import transaction
from hub.jobs.locks import job_lock
from hub.jobs.models import JobRun
from hub.jobs.registry import JOBS, schedule_of, schedule_setting

log = logging.getLogger(__name__)

MISFIRE_GRACE_S = 15 * 60
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


def _scheduled(ctx: HubContext, name: str) -> None:
    try:
        run_job(ctx, name)
    except Exception:
        # Recording the run itself failed (the database is down, say): log, and try next time.
        log.exception("job %s could not be run", name)


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field with cron's numbering (0 or 7 = Sunday) spelled as names.

    APScheduler 3 numbers weekdays from 0 = Monday, so ``0 2 * * 0`` would fire on Mondays;
    names mean the same to both. Numbers, ranges and steps are expanded to a list of names.
    """
    if not any(ch.isdigit() for ch in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            start, end = span.split("-", 1)
            first, last = int(start), int(end)
        else:
            first = last = int(span)
            if step_text:
                last = 6
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last and step >= 1):
            raise ValueError(f"day of week {part!r} is not within 0-7")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def cron_trigger(crontab: str) -> CronTrigger:
    """A trigger in UTC from five crontab fields, or six with seconds first (``*/10 * * * * *``).

    Day-of-week numbers follow cron (0 or 7 = Sunday).
    """
    fields = crontab.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ValueError(f"expected 5 or 6 fields, got {len(fields)}")
    second, minute, hour, day, month, day_of_week = fields
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(day_of_week),
        timezone=UTC,
    )


def build_scheduler(ctx: HubContext, *, blocking: bool = False) -> BaseScheduler:
    """A scheduler with every known job on its crontab from settings (not started)."""
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        timezone=UTC,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_S,
        },
    )
    for name in JOBS:
        crontab = schedule_of(ctx.settings, name)
        if not crontab:
            log.info("job %s has no schedule; it runs only with `hub jobs run %s`", name, name)
            continue
        try:
            trigger = cron_trigger(crontab)
        except ValueError as exc:
            variable = "HUB_" + schedule_setting(name).upper()
            raise ValueError(f"{variable}: not a crontab ({exc})") from exc
        scheduler.add_job(_scheduled, trigger, args=[ctx, name], id=name, name=name)
    return scheduler
