"""``hub privacy``: measuring de-identification on labelled texts (CONTRACT §6)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

import click

from hub.cli.common import hub_context, json_option

if TYPE_CHECKING:
    from hub.privacy.keep import KeepList


@click.group()
def privacy() -> None:
    """De-identification of narratives."""


@privacy.command("evaluate")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@json_option
def privacy_evaluate(file: TextIO, as_json: bool) -> None:
    """Share of planted identifiers removed, per kind, and of keep words lost, on FILE (JSON
    Lines of {"narrative", "identifiers": [{"kind", "value"}], "keep"}; "-" reads standard
    input), with every leak and loss. Runs exactly what intake runs, with the same keep-list
    (the registry's location names when the database can be read)."""
    # Deliberate lazy import: the redaction stack loads only for this command.
    from hub.privacy.evaluation import CorpusError, evaluate, parse_cases, report
    from hub.privacy.redaction import redact_many

    try:
        cases = parse_cases(file)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException("the file is not UTF-8 text") from exc
    if not cases:
        raise click.ClickException("the file holds no labelled narratives")
    keep, registry_names = _intake_keep_list()
    result = evaluate(cases, redact_many, keep)
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "registry_names": registry_names}))
    else:
        source = (
            f"keep-list: built-in and {registry_names} registry names"
            if registry_names is not None
            else "keep-list: built-in only (the registry could not be read)"
        )
        click.echo(f"{report(result)}\n\n{source}")


def _intake_keep_list() -> tuple[KeepList, int | None]:
    """The keep-list intake uses, and how many registry names it holds (None: unreadable)."""
    import sqlalchemy as sa

    from hub.db import transaction
    from hub.privacy.keep import default_keep_list
    from hub.registry.keep_list import location_names, registry_keep_list

    try:
        with transaction(hub_context().session_factory) as session:
            return registry_keep_list(session), len(location_names(session))
    except sa.exc.SQLAlchemyError:
        click.echo(
            "note: the registry could not be read; evaluating with the built-in keep-list",
            err=True,
        )
        return default_keep_list(), None
