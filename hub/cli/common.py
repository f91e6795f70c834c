"""What every ``hub`` command shares: printing, one transaction per command, ``--json``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy.orm import Session

from hub.actor import Actor, system
from hub.db import transaction
from hub.errors import HubError
from hub.web import hub_context


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
