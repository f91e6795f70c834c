"""``hub db``: the database schema."""

from __future__ import annotations

import click

from hub.cli.common import hub_context


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (Alembic)."""
    from hub.migrate import upgrade

    upgrade(hub_context().engine, revision)
    click.echo(f"Database at {hub_context().engine.url.render_as_string()} is at {revision}.")
