"""The ``hub`` command: a Flask CLI group over the services (no rules live here).

Each group is a module of its own (``hub.cli.identity``, ``hub.cli.jobs``...) sharing only
``hub.cli.common``; this module gathers them. Commands import what they need when they run, so
that ``hub --help`` and commands that never redact start without the redaction stack.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from hub.cli.audit import audit
from hub.cli.database import db
from hub.cli.datasets import datasets
from hub.cli.demo import demo
from hub.cli.identity import clients, orgs, users
from hub.cli.jobs import jobs, scheduler, worker
from hub.cli.privacy import privacy
from hub.cli.registry import registry
from hub.cli.safeguarding import safeguarding
from hub.cli.serve import serve
from hub.cli.vocab import vocab
from hub.web import hub_context


def _create_app() -> Flask:
    # Deliberate lazy import: the app (API, portal) is built only for a command that runs.
    from hub import create_app

    app = create_app()
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        # Close pooled connections when the command ends rather than at interpreter exit.
        ctx.find_root().call_on_close(hub_context(app).engine.dispose)
    return app


class HubGroup(FlaskGroup):
    """Flask's command group, listing the hub's own commands before those of extensions."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        own = sorted(self.commands)
        return own + [name for name in super().list_commands(ctx) if name not in own]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        # The hub's own commands are found without loading every installed extension's
        # commands first (their imports cost more than some commands take to run).
        own = self.commands.get(name)
        return own if own is not None else super().get_command(ctx, name)


@click.group(
    cls=HubGroup,
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
)
def main() -> None:
    """Data exchange hub for health and social care."""


for command in (
    audit,
    clients,
    datasets,
    db,
    demo,
    jobs,
    orgs,
    privacy,
    registry,
    safeguarding,
    scheduler,
    serve,
):
    main.add_command(command)
main.add_command(users)
main.add_command(vocab)
main.add_command(worker)


if __name__ == "__main__":  # pragma: no cover
    main()
