"""``hub jobs``, ``hub scheduler`` and ``hub worker``: running the scheduled jobs by hand, queueing
them on their schedules, and running the task engine's workers."""

from __future__ import annotations

import json
import logging
import signal
import sys
from types import FrameType

import click

from hub.cli.common import emit, hub_context
from hub.db import transaction

log = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_SKIPPED = 3


class JobName(click.Choice[str]):
    """One of the known jobs, looked up when a command reads it: importing every job (and the
    features it calls) is left to the commands that run one."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from hub.jobs.catalogue import JOBS

        return tuple(JOBS)

    @choices.setter
    def choices(self, _value: object) -> None:
        pass


jobs = click.Group("jobs", help="The scheduled jobs: list them, or run one now.")


@jobs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def jobs_list(as_json: bool) -> None:
    """The jobs, their schedules (crontab, UTC) and their latest runs."""
    from hub.jobs.catalogue import JOBS, schedule_of
    from hub.jobs.history import last_runs

    ctx = hub_context()
    with transaction(ctx.session_factory) as session:
        latest = last_runs(session)
    items = []
    lines = []
    for name in JOBS:
        run = latest.get(name)
        schedule = schedule_of(ctx.settings, name)
        items.append(
            {
                "name": name,
                "schedule": schedule or None,
                "last_run": run.to_dict() if run else None,
            }
        )
        last = f"{run.status} at {run.started_at:%Y-%m-%d %H:%M:%S}Z" if run else "never run"
        lines.append(f"{name:<12} {schedule or '(on demand)':<16} {last}")
    emit(as_json, {"jobs": items}, "\n".join(lines) or "No jobs.")


@jobs.command("run")
@click.argument("name", type=JobName())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def jobs_run(name: str, as_json: bool) -> None:
    """Run one job now. Exit 1 if it fails, 3 if it is running elsewhere (skipped)."""
    from hub.jobs.runner import run_job

    run = run_job(hub_context(), name)
    payload = run.to_dict()
    if run.status == "succeeded":
        emit(as_json, payload, f"{name}: succeeded {json.dumps(run.stats, sort_keys=True)}")
        return
    if run.status == "skipped":
        emit(as_json, payload, f"{name}: skipped, it is running elsewhere")
        sys.exit(EXIT_SKIPPED)
    emit(as_json, payload, f"{name}: failed: {run.error}")
    sys.exit(EXIT_FAILED)


@click.command("scheduler")
def scheduler() -> None:
    """Run the job scheduler in this process until stopped (one per deployment)."""
    from hub.tasks.scheduler import build_scheduler

    try:
        sched = build_scheduler(hub_context(), blocking=True)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping the scheduler after any running job", signum)
        sched.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    for job in sched.get_jobs():
        click.echo(f"scheduled {job.id}: {job.trigger}")
    if not sched.get_jobs():
        click.echo("No job has a schedule; waiting anyway (Ctrl-C to stop).")
    click.echo("Scheduler running; Ctrl-C or SIGTERM stops it.")
    try:
        sched.start()
    except KeyboardInterrupt:
        sched.shutdown(wait=True)


@click.command("worker")
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(min=1),
    default=None,
    help="Task processes in this worker (default: one per core).",
)
@click.option("--quiet", is_flag=True, help="No start-up banner (how `hub serve --dev` runs it).")
def worker(concurrency: int | None, quiet: bool) -> None:
    """Run a worker of the task engine (CSV files, jobs, deliveries) until stopped."""
    from hub.tasks.engine import broker_url, is_eager
    from hub.tasks.worker import run_worker

    ctx = hub_context()
    if is_eager(ctx.settings):
        raise click.ClickException("tasks run eagerly here (HUB_TASK_EAGER): no worker is needed")
    if not quiet:
        click.echo(f"Worker taking tasks from {_safe_url(broker_url(ctx.settings))}")
    level = ctx.settings.log_level
    sys.exit(run_worker(ctx, concurrency=concurrency, loglevel=level, quiet=quiet))


def _safe_url(url: str) -> str:
    # A broker URL may hold a password: show the scheme and host only.
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"
