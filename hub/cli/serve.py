"""``hub serve``: the production server, and with ``--dev`` the scheduler and a worker beside it."""

from __future__ import annotations

import atexit
import subprocess

import click
from flask import current_app
from flask.cli import with_appcontext

from hub.web import hub_context


@click.command()
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option(
    "--dev", is_flag=True, help="Also run the job scheduler and one task worker (one machine)."
)
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Production server (gunicorn); ``--dev`` adds the scheduler and a task worker, so one
    machine needs nothing else. The web processes never run background work themselves."""
    from hub.serve import run_gunicorn

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if dev:
        from hub.tasks.engine import is_eager
        from hub.tasks.scheduler import build_scheduler
        from hub.tasks.worker import spawn_worker

        ctx = hub_context()
        if not is_eager(ctx.settings):
            # The same `hub worker` as production, on the same broker (embedded by default),
            # saying only warnings and errors in the terminal it shares.
            child = spawn_worker(concurrency=1, log_level=ctx.settings.log_level)
            atexit.register(_stop, child)
        # The scheduler lives in the gunicorn master only, so jobs are queued once.
        build_scheduler(ctx).start()
    run_gunicorn(app, host=host, port=port, workers=workers)


def _stop(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=30)
    except Exception:
        child.kill()
