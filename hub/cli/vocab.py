"""``hub vocab``: the controlled vocabularies of the experience record."""

from __future__ import annotations

import json

import click

from hub.actor import system
from hub.cli.common import fail, hub_context
from hub.db import transaction
from hub.errors import HubError
from hub.vocab.kinds import KINDS

vocab = click.Group("vocab", help="The vocabularies records are checked against.")


@vocab.command("add")
@click.argument("kind")
@click.argument("value")
@click.option("--label", default=None, help="How the value is shown (default: from VALUE).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def vocab_add(kind: str, value: str, label: str | None, as_json: bool) -> None:
    """Extend vocabulary KIND (e.g. condition-areas, themes, service-types) with VALUE."""
    from hub.vocab.services import add_term

    try:
        with transaction(hub_context().session_factory) as session:
            term = add_term(session, system("cli:vocab-add"), kind, value, label)
            payload = {"kind": term.kind, "value": term.value, "label": term.label}
    except HubError as exc:
        raise fail(exc) from exc
    if as_json:
        click.echo(json.dumps(payload, sort_keys=True))
    else:
        click.echo(f"Added {payload['value']!r} ({payload['label']}) to {payload['kind']}.")


@vocab.command("list")
@click.argument("kind", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def vocab_list(kind: str | None, as_json: bool) -> None:
    """Show the values of one vocabulary, or of all."""
    from hub.vocab.services import list_terms

    try:
        with transaction(hub_context().session_factory) as session:
            terms = [(t.kind, t.value, t.label) for t in list_terms(session, kind)]
    except HubError as exc:
        raise fail(exc) from exc
    if as_json:
        grouped: dict[str, list[dict[str, str]]] = {}
        for k, v, lab in terms:
            grouped.setdefault(k, []).append({"value": v, "label": lab})
        click.echo(json.dumps(grouped, sort_keys=True))
        return
    current = None
    for k, v, lab in terms:
        if k != current:
            click.echo(f"{k}: {KINDS[k]}" if k in KINDS else k)
            current = k
        click.echo(f"  {v:<28} {lab}")
