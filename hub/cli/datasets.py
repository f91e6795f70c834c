"""``hub datasets``: publishing releases from the command line (attached to the ``hub`` group)."""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli.common import emit, hub_context, unit_of_work


@click.group("datasets")
def datasets() -> None:
    """Condition-specific datasets and their releases."""


@datasets.command("publish")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", default=None, help="Required for a new dataset.")
@click.option("--condition-area", default=None, help="Required for a new dataset, e.g. cancer.")
@click.option("--description", default=None)
@click.option("--format", "fmt", default=None, help="Default: the file's extension.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def publish(
    slug: str,
    file: Path,
    title: str | None,
    condition_area: str | None,
    description: str | None,
    fmt: str | None,
    as_json: bool,
) -> None:
    """Publish FILE as the next release of dataset SLUG."""
    from hub.exchange.datasets.publish import publish_release

    with unit_of_work("datasets-publish") as (session, actor), file.open("rb") as stream:
        release = publish_release(
            session,
            actor,
            hub_context().storage,
            slug=slug,
            stream=stream,
            filename=file.name,
            title=title,
            condition_area=condition_area,
            description=description,
            format=fmt,
        )
        payload = {
            "slug": slug,
            "version": release.version,
            "published_at": release.published_at.isoformat(),
            "sha256": release.sha256,
            "bytes": release.bytes,
            "rows": release.rows,
            "format": release.format,
        }
    rows = f", {release.rows} rows" if release.rows is not None else ""
    emit(
        as_json,
        payload,
        f"Published {slug} v{release.version} ({release.bytes} bytes{rows}, "
        f"sha256 {release.sha256}).",
    )
