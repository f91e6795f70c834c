"""``hub worker``: a Celery worker with every task the hub knows.

A worker is a parent process taking messages from the broker and a pool of child processes
running the tasks (``--concurrency``, one per core by default). Connections opened before the
fork are dropped in each child, and the models are loaded once before it. When the worker is
ready it queues the sweep of unfinished uploads, so a worker started after another was killed
finishes the other's files.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from typing import Any

from celery.signals import worker_process_init, worker_ready

from hub.context import HubContext
from hub.logs import level_number
from hub.privacy.redaction import redact_many
from hub.safeguarding.classifier import classify
from hub.tasks import jobs as _jobs  # noqa: F401  (registers the job task)
from hub.tasks import uploads as _uploads  # noqa: F401  (registers the CSV tasks)
from hub.tasks.engine import celery_app, enqueue
from hub.tasks.uploads import SWEEP

log = logging.getLogger(__name__)


def warm_up() -> None:
    """Load the redaction stack and the classifier before the pool forks: the children share
    them, and no task holds a transaction open while a model loads."""
    redact_many(["Warm-up."])
    classify("Warm-up.")


def run_worker(
    ctx: HubContext,
    *,
    concurrency: int | None = None,
    loglevel: str = "INFO",
    quiet: bool = False,
) -> int:
    """Run a worker in this process until it is stopped; its exit code. ``quiet``: no banner."""
    app = celery_app(ctx)
    warm_up()

    def child_started(**_: Any) -> None:
        # Pooled connections belong to the parent: a child opens its own.
        ctx.engine.dispose(close=False)

    def ready(**_: Any) -> None:
        try:
            enqueue(ctx, SWEEP, 0)
        except Exception:
            log.exception("could not queue the sweep of unfinished uploads")

    worker_process_init.connect(child_started, weak=False)
    worker_ready.connect(ready, weak=False)
    worker = app.Worker(
        hostname=f"hub-{os.getpid()}@{socket.gethostname()}",
        concurrency=concurrency or os.cpu_count() or 1,
        pool="prefork",
        loglevel=loglevel,
        quiet=quiet,
        without_gossip=True,
        without_mingle=True,
        optimization="fair",
        queues=[ctx.settings.task_queue],
    )
    worker.start()
    return int(worker.exitcode or 0)


def spawn_worker(*, concurrency: int = 1, log_level: str = "INFO") -> subprocess.Popen[bytes]:
    """``hub worker`` in a child process of this one (``hub serve --dev``).

    It shares the terminal of ``make run``, so it says only warnings and errors (or less, if
    ``log_level`` asks for less) and prints no banner: the server's address and the demo's
    credentials printed before it stay in view.
    """
    level = logging.getLevelName(max(level_number(log_level), logging.WARNING))
    command = [sys.executable, "-m", "hub.cli", "worker", "--concurrency", str(concurrency)]
    return subprocess.Popen([*command, "--quiet"], env={**os.environ, "HUB_LOG_LEVEL": level})
