"""``hub registry``: the provider and location registry."""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli.common import emit, json_option, unit_of_work


@click.group()
def registry() -> None:
    """The provider and location registry."""


@registry.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def registry_import(file: Path, as_json: bool) -> None:
    """Load locations (insert or update by id) from CQC-shaped JSON, JSON Lines or CSV."""
    from hub.registry.importer import import_file

    with unit_of_work("registry-import") as (session, actor):
        result = import_file(session, actor, file)
    payload = {
        "inserted": result.inserted,
        "updated": result.updated,
        "skipped": result.skipped,
        "errors": result.errors,
    }
    text = (
        f"{result.inserted} inserted, {result.updated} updated, {result.skipped} skipped"
        + "".join(f"\n  {e}" for e in result.errors[:50])
    )
    emit(as_json, payload, text)
