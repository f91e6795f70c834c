"""``hub demo``: load the demo and print its credentials."""

from __future__ import annotations

import json

import click

from hub.cli.common import hub_context, json_option


@click.command()
@json_option
def demo(as_json: bool) -> None:
    """Load a small synthetic registry, organisations, clients and users; print credentials."""
    from hub.demo import load_demo

    ctx = hub_context()
    credentials = load_demo(ctx)
    if as_json:
        click.echo(json.dumps(credentials, sort_keys=True))
    else:
        from hub.demo import describe

        click.echo(describe(credentials, ctx.settings.two_factor_required_kinds))
