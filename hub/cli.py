"""The ``hub`` command: a Flask CLI group over the services (no rules live here)."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy.orm import Session

from hub.actor import Actor, system
from hub.cli_datasets import datasets
from hub.cli_jobs import jobs, scheduler
from hub.cli_vocab import vocab
from hub.db import transaction
from hub.errors import HubError
from hub.web import hub_context


def _create_app() -> Flask:
    from hub import create_app

    app = create_app()
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        # Close pooled connections when the command ends rather than at interpreter exit.
        ctx.find_root().call_on_close(hub_context(app).engine.dispose)
    return app


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
)
def main() -> None:
    """Data exchange hub for health and social care."""


main.add_command(jobs)
main.add_command(datasets)
main.add_command(vocab)
main.add_command(scheduler)


def emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    """Print one JSON object (``--json``) or a human sentence."""
    if as_json:
        click.echo(json.dumps(payload, default=str, sort_keys=True))
    else:
        click.echo(text)


@contextmanager
def unit_of_work(name: str) -> Iterator[tuple[Session, Actor]]:
    """One transaction for a command; domain errors become a clear message and exit code 1."""
    try:
        with transaction(hub_context().session_factory) as session:
            yield session, system(f"cli:{name}")
    except HubError as exc:
        detail = exc.detail
        if exc.errors:
            detail += " " + "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        raise click.ClickException(detail) from exc


def json_option(fn: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(fn)


# --- database ---------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (Alembic)."""
    from hub.migrate import upgrade

    upgrade(hub_context().engine, revision)
    click.echo(f"Database at {hub_context().engine.url.render_as_string()} is at {revision}.")


# --- organisations, clients, users ------------------------------------------------------------


@main.group()
def orgs() -> None:
    """Organisations and their data-sharing agreements."""


@orgs.command("add")
@click.option("--name", required=True)
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["charity", "healthwatch", "community_group", "regulator", "auditor"]),
)
@click.option("--conditions", default="", help="Condition areas, comma-separated.")
@click.option("--purposes", default="improving-care", show_default=True)
@click.option("--valid-from", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--valid-to", type=click.DateTime(["%Y-%m-%d"]), default=None)
@json_option
def orgs_add(
    name: str,
    kind: str,
    conditions: str,
    purposes: str,
    valid_from: Any,
    valid_to: Any,
    as_json: bool,
) -> None:
    """Add an organisation with its agreement; prints its id."""
    from hub.identity.services import create_organisation

    with unit_of_work("orgs-add") as (session, actor):
        org = create_organisation(
            session,
            actor,
            name=name,
            kind=kind,
            condition_areas=[c.strip() for c in conditions.split(",") if c.strip()],
            purposes=[p.strip() for p in purposes.split(",") if p.strip()],
            valid_from=valid_from.date() if valid_from else None,
            valid_to=valid_to.date() if valid_to else None,
        )
        payload = {"id": str(org.id), "name": org.name, "kind": org.kind}
    emit(as_json, payload, str(org.id))


@main.group()
def clients() -> None:
    """OAuth clients."""


@clients.command("add")
@click.option("--org", "org_id", required=True, type=click.UUID)
@click.option("--scopes", required=True, help='Space-separated, e.g. "experiences:write".')
@click.option("--name", default="")
@json_option
def clients_add(org_id: uuid.UUID, scopes: str, name: str, as_json: bool) -> None:
    """Add an OAuth client; prints client_id and client_secret once."""
    from hub.identity.services import create_client

    with unit_of_work("clients-add") as (session, actor):
        new = create_client(
            session,
            actor,
            organisation_id=org_id,
            scopes=scopes.replace(",", " ").split(),
            name=name,
        )
        payload = {
            "client_id": new.client.client_id,
            "client_secret": new.client_secret,
            "scopes": new.client.scope.split(),
        }
    emit(
        as_json,
        payload,
        f"client_id:     {payload['client_id']}\nclient_secret: {payload['client_secret']}\n"
        "The secret is shown only now; store it safely.",
    )


@main.group()
def users() -> None:
    """Portal users."""


@users.command("add")
@click.option("--org", "org_id", required=True, type=click.UUID)
@click.option("--email", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["uploader", "admin", "inspector", "engagement", "auditor"]),
)
@json_option
def users_add(org_id: uuid.UUID, email: str, role: str, as_json: bool) -> None:
    """Add a portal user; the password is read from standard input."""
    from hub.identity.services import create_user

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with unit_of_work("users-add") as (session, actor):
        user = create_user(
            session, actor, organisation_id=org_id, email=email, password=password, role=role
        )
        payload = {"id": str(user.id), "email": user.email, "role": user.role}
    emit(as_json, payload, f"User {user.email} ({user.role}) created: {user.id}")


# --- registry ---------------------------------------------------------------------------------


@main.group()
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


# --- audit ------------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@json_option
def audit_verify(as_json: bool) -> None:
    """Verify the audit chain and check it against every signed seal; exit 1 on any problem."""
    from hub.jobs.seal import verify_all

    result, seals = verify_all(hub_context())
    payload = {**result.to_dict(), "ok": result.ok and seals.ok, "seals": seals.to_dict()}
    if not result.ok:
        emit(
            as_json,
            payload,
            f"BROKEN at seq {result.first_bad_seq}: {result.reason} "
            f"({result.events} events verified before it)",
        )
        sys.exit(1)
    if not seals.ok:
        emit(
            as_json,
            payload,
            "SEALS DISAGREE with the chain:"
            + "".join(f"\n  upto_seq {p.upto_seq}: {p.reason}" for p in seals.problems),
        )
        sys.exit(1)
    emit(
        as_json,
        payload,
        f"OK: {result.events} events, head seq {result.head_seq} hash {result.head_hash}; "
        f"{seals.checked} seals agree",
    )


# --- demo and serving -------------------------------------------------------------------------


@main.command()
@json_option
def demo(as_json: bool) -> None:
    """Load a small synthetic registry, organisations, clients and users; print credentials."""
    from hub.demo import load_demo

    credentials = load_demo(hub_context())
    if as_json:
        click.echo(json.dumps(credentials, sort_keys=True))
    else:
        from hub.demo import describe

        click.echo(describe(credentials))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Also run the job scheduler inside this process.")
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Production server (gunicorn); ``--dev`` adds the scheduler for a one-machine setup."""
    from hub.serve import run_gunicorn

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if dev:
        from hub.jobs.runner import build_scheduler

        # The scheduler lives in the gunicorn master only, so jobs run once, not per worker.
        build_scheduler(hub_context()).start()
    run_gunicorn(app, host=host, port=port, workers=workers)


if __name__ == "__main__":  # pragma: no cover
    main()
