"""``hub serve``: the production server, and with ``--dev`` the scheduler beside it."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from hub.web import hub_context


@click.command()
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Also run the job scheduler inside this process.")
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Production server (gunicorn); ``--dev`` adds the scheduler for a one-machine setup."""
    from hub.serve import run_gunicorn

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if dev:
        from hub.jobs.scheduler import build_scheduler

        # The scheduler lives in the gunicorn master only, so jobs run once, not per worker.
        build_scheduler(hub_context()).start()
    run_gunicorn(app, host=host, port=port, workers=workers)
