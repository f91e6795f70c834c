"""The task engine: the tasks the hub knows, a Celery app per hub context, enqueueing, retries
with back-off, and the record of a task that fails for good.

A task is a plain function ``fn(ctx, *args)`` registered under a name with :func:`task`; its
arguments are JSON values (ids as strings). Whoever enqueues names the task; a worker looks the
name up. Tasks decide what to do from the state in the database, so running one twice, or
after a worker died half-way through it, is always safe.

Delivery: acknowledged late (after the task returns), one message prefetched per worker
process, and rejected back to the queue when the process running it dies (the pool's parent
sees it go). A whole worker killed at once leaves its message unacknowledged: Redis and SQS
deliver it again after ``HUB_TASK_VISIBILITY_TIMEOUT_S``; every worker, when it starts, also
queues the sweep of unfinished uploads, which the scheduler queues on its own schedule too.

Failures: a task that raises is retried ``HUB_TASK_MAX_RETRIES`` times, waiting
``HUB_TASK_RETRY_BACKOFF_S`` seconds, then twice as long each time (with jitter). After the
last, it is recorded as a failed run in ``job_runs`` (``/api/v1/jobs/runs``, the portal's jobs
page) and audited as ``job.failed``, and its ``gave_up`` handler closes whatever waited on it.
"""

from __future__ import annotations

import contextlib
import logging
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import Celery
from kombu import Queue

from hub.config import Settings
from hub.context import HubContext
from hub.jobs.record import record_failed_task
from hub.tasks import embedded_broker

log = logging.getLogger(__name__)

_APP = "celery_app"


@dataclass(frozen=True)
class TaskSpec:
    name: str
    fn: Callable[..., Any]
    gave_up: Callable[..., None] | None = None


REGISTRY: dict[str, TaskSpec] = {}


def task(
    name: str, *, gave_up: Callable[..., None] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(ctx, *args)`` as the task ``name``; ``gave_up(ctx, error, *args)`` runs
    once its retries are spent."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY[name] = TaskSpec(name, fn, gave_up)
        return fn

    return register


def broker_url(settings: Settings) -> str:
    """The broker named in the settings, else the embedded one: an SQLite file in the instance
    folder, read through kombu's SQLAlchemy transport."""
    if settings.task_broker_url:
        return settings.task_broker_url
    path = (Path(settings.instance_path) / "broker.sqlite").absolute()
    return embedded_broker.url_for(str(path))


def is_eager(settings: Settings) -> bool:
    """Whether tasks run in the caller (tests and tools) rather than on a worker."""
    return settings.task_eager or (settings.testing and not settings.task_broker_url)


def backoff_s(settings: Settings, retries: int) -> float:
    """Seconds before retry number ``retries + 1``: doubling from the setting, with jitter."""
    base = max(0, settings.task_retry_backoff_s) * (2**retries)
    return min(base, 3600) * (0.75 + random.random() / 2)


def celery_app(ctx: HubContext) -> Celery:
    """The context's Celery app (made on first use) with every registered task."""
    app: Celery | None = ctx.extras.get(_APP)
    if app is None:
        app = _make_app(ctx)
        ctx.extras[_APP] = app
    return app


def _make_app(ctx: HubContext) -> Celery:
    settings = ctx.settings
    url = broker_url(settings)
    app = Celery("hub", set_as_current=False)
    app.conf.update(
        broker_url=url,
        broker_connection_retry_on_startup=True,
        task_default_queue=settings.task_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        enable_utc=True,
    )
    embedded = embedded_broker.file_of(url) is not None
    if embedded:
        # Options of the SQLAlchemy transport go to create_engine: wait for the file's lock
        # rather than fail while another process writes.
        app.conf.broker_transport_options = {"connect_args": {"timeout": 30}}
    elif not url.startswith(("sqla+", "sqlalchemy+", f"{embedded_broker.SCHEME}+")):
        app.conf.broker_transport_options = {
            "visibility_timeout": settings.task_visibility_timeout_s
        }
    for spec in REGISTRY.values():
        _register(app, ctx, spec)
    if embedded:
        _prepare_embedded(app, url, settings.task_queue)
    return app


def _prepare_embedded(app: Celery, url: str, queue: str) -> None:
    """Create the embedded broker's file and tables once, one process at a time (two processes
    creating them at once would trip over each other), in WAL mode so readers never block."""
    import fcntl

    path = Path(embedded_broker.file_of(url) or "")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
            with app.connection_for_write() as connection:
                Queue(queue).bind(connection.default_channel).declare()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _register(app: Celery, ctx: HubContext, spec: TaskSpec) -> None:
    def run(self: Any, *args: Any) -> None:
        try:
            spec.fn(ctx, *args)
        except Exception as exc:
            retries = int(self.request.retries or 0)
            if retries < ctx.settings.task_max_retries:
                wait = backoff_s(ctx.settings, retries)
                log.warning(
                    "task %s failed (%s); retry %d in %.1f s",
                    spec.name,
                    type(exc).__name__,
                    retries + 1,
                    wait,
                )
                raise self.retry(exc=exc, countdown=wait) from exc
            give_up(ctx, spec, args, exc, attempts=retries + 1)

    # max_retries=None: the count above is the only limit (Celery's own default of 3 would
    # otherwise end the task before it is given up, leaving its file processing for ever).
    app.task(
        name=spec.name, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None
    )(run)


def give_up(
    ctx: HubContext, spec: TaskSpec, args: tuple[Any, ...], exc: Exception, *, attempts: int
) -> None:
    """Record a task that failed for good, and let it close whatever waited on it."""
    log.error("task %s failed for good after %d attempt(s)", spec.name, attempts, exc_info=exc)
    record_failed_task(
        ctx, spec.name, error=exc, stats={"args": [str(a) for a in args], "attempts": attempts}
    )
    if spec.gave_up is not None:
        spec.gave_up(ctx, exc, *args)


def enqueue(ctx: HubContext, name: str, *args: Any) -> None:
    """Queue the task ``name`` with ``args`` (or, eager, run it now in the caller)."""
    spec = REGISTRY.get(name)
    if spec is None:
        raise LookupError(f"no task named {name!r}")
    if is_eager(ctx.settings):
        try:
            spec.fn(ctx, *args)
        except Exception as exc:
            give_up(ctx, spec, args, exc, attempts=1)
        return
    celery_app(ctx).send_task(name, args=list(args), queue=ctx.settings.task_queue)
