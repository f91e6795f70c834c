"""``hub safeguarding``: measuring the safeguarding engine on labelled texts (CONTRACT §4)."""

from __future__ import annotations

import json
from typing import TextIO

import click

from hub.cli.common import json_option


@click.group()
def safeguarding() -> None:
    """Safeguarding detection."""


@safeguarding.command("evaluate")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@json_option
def safeguarding_evaluate(file: TextIO, as_json: bool) -> None:
    """Recall and precision of safeguarding alerts, overall and per category, immediate recall
    and every miss and false alarm, on FILE (JSON Lines of {"narrative", "concern", "category"},
    "immediate" optional; "-" reads standard input). Runs exactly what intake runs."""
    # Deliberate lazy import: the engine (rules and model) loads only for this command.
    from hub.safeguarding.evaluation import EvaluationError, evaluate, parse, render

    try:
        items = parse(file)
    except EvaluationError as exc:
        raise click.ClickException(str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException("the file is not UTF-8 text") from exc
    if not items:
        raise click.ClickException("the file holds no labelled narratives")
    report = evaluate(items)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
    else:
        click.echo(render(report), nl=False)
