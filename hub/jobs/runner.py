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
from datetime import datetime

from hub.clock import utcnow
from hub.context import HubContext
from hub.jobs.catalogue import JOBS
from hub.jobs.locks import job_lock
from hub.jobs.models import JobRun
from hub.jobs.record import describe_error, finish_run, record_skipped, start_run

log = logging.getLogger(__name__)


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
            return record_skipped(ctx, name)
        run_id = start_run(ctx, name)
        log.info("job %s started (run %s)", name, run_id)
        try:
            stats = fn(ctx, ctx.session_factory, now=now)
        except Exception as exc:
            log.exception("job %s failed (run %s)", name, run_id)
            return finish_run(ctx, run_id, name, status="failed", error=describe_error(exc))
        log.info("job %s succeeded (run %s): %s", name, run_id, stats)
        return finish_run(ctx, run_id, name, status="succeeded", stats=stats)
