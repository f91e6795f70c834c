"""Scheduled jobs as tasks: the scheduler queues ``hub.job``, a worker runs the job through the
runner (its lock, its recorded run, its audit events)."""

from __future__ import annotations

from hub.context import HubContext
from hub.jobs.runner import run_job
from hub.tasks.engine import enqueue, task

RUN_JOB = "hub.job"


@task(RUN_JOB)
def run_job_task(ctx: HubContext, name: str) -> None:
    """Run the job ``name`` (skipped, and recorded so, if it is running elsewhere)."""
    run_job(ctx, name)


def enqueue_job(ctx: HubContext, name: str) -> None:
    """Queue a run of the job ``name``."""
    enqueue(ctx, RUN_JOB, name)
