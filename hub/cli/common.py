"""What every ``hub`` command shares: the hub's context, printing, one transaction per command,
``--json``.

Commands run without building the web application (only ``hub serve`` needs it): the context
is made from the settings once per command, so a command starts with what it needs only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import has_app_context
from sqlalchemy.orm import Session

from hub import web
from hub.actor import Actor, system
from hub.config import Settings
from hub.context import HubContext
from hub.db import transaction
from hub.errors import HubError
from hub.logs import configure_logging

_CONTEXT = "hub.context"


def hub_context() -> HubContext:
    """The hub's context: the application's inside one, else one made from the settings for
    this command (its connections are closed when the command ends)."""
    if has_app_context():
        return web.hub_context()
    root = click.get_current_context().find_root()
    ctx: HubContext | None = root.meta.get(_CONTEXT)
    if ctx is None:
        settings = Settings.from_env()
        configure_logging(settings.log_level)
        ctx = HubContext.from_settings(settings)
        root.meta[_CONTEXT] = ctx
        root.call_on_close(ctx.engine.dispose)
    return ctx


def emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    """Print one JSON object (``--json``) or a human sentence."""
    if as_json:
        click.echo(json.dumps(payload, default=str, sort_keys=True))
    else:
        click.echo(text)


def fail(exc: HubError) -> click.ClickException:
    """A domain error as the command line says it (exit code 1)."""
    detail = exc.detail
    if exc.errors:
        detail += " " + "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
    return click.ClickException(detail)


@contextmanager
def unit_of_work(name: str) -> Iterator[tuple[Session, Actor]]:
    """One transaction for a command; domain errors become a clear message and exit code 1."""
    try:
        with transaction(hub_context().session_factory) as session:
            yield session, system(f"cli:{name}")
    except HubError as exc:
        raise fail(exc) from exc


def json_option(fn: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(fn)
