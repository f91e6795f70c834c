"""``hub orgs``, ``hub clients``, ``hub users``: organisations, OAuth clients and portal users."""

from __future__ import annotations

import sys
import uuid
from typing import Any

import click

from hub.cli.common import emit, hub_context, json_option, unit_of_work


@click.group()
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


@orgs.command("suspend")
@click.argument("org_id", type=click.UUID)
@json_option
def orgs_suspend(org_id: uuid.UUID, as_json: bool) -> None:
    """Suspend an organisation: none of its tokens works and none is issued until reinstated."""
    _set_suspended(org_id, True, as_json)


@orgs.command("reinstate")
@click.argument("org_id", type=click.UUID)
@json_option
def orgs_reinstate(org_id: uuid.UUID, as_json: bool) -> None:
    """Lift an organisation's suspension."""
    _set_suspended(org_id, False, as_json)


def _set_suspended(org_id: uuid.UUID, suspended: bool, as_json: bool) -> None:
    from hub.identity.services import set_suspended

    with unit_of_work("orgs-suspend" if suspended else "orgs-reinstate") as (session, actor):
        org = set_suspended(session, actor, org_id, suspended)
        payload = {
            "id": str(org.id),
            "name": org.name,
            "suspended_at": org.suspended_at.isoformat() if org.suspended_at else None,
        }
    emit(as_json, payload, f"{org.name}: {'suspended' if suspended else 'reinstated'}")


@click.group()
def clients() -> None:
    """OAuth clients."""


@clients.command("disable")
@click.argument("client_id")
@json_option
def clients_disable(client_id: str, as_json: bool) -> None:
    """Disable a client: its tokens stop working at once and it gets no new one."""
    from hub.identity.services import disable_client

    with unit_of_work("clients-disable") as (session, actor):
        client = disable_client(session, actor, client_id)
        disabled_at = client.disabled_at.isoformat() if client.disabled_at else None
        payload = {"client_id": client.client_id, "disabled_at": disabled_at}
    emit(as_json, payload, f"Client {client_id} disabled at {disabled_at}")


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


@click.group()
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


@users.command("invite")
@click.option("--org", "org_id", required=True, type=click.UUID)
@click.option("--email", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["uploader", "admin", "inspector", "engagement", "auditor"]),
)
@json_option
def users_invite(org_id: uuid.UUID, email: str, role: str, as_json: bool) -> None:
    """Invite a portal user: they are e-mailed a link (valid 7 days) to choose a password."""
    from hub.identity.links import INVITATION_TTL, invite

    public_url = hub_context().settings.public_url
    with unit_of_work("users-invite") as (session, actor):
        user = invite(
            session, actor, organisation_id=org_id, email=email, role=role, public_url=public_url
        )
        payload = {"id": str(user.id), "email": user.email, "role": user.role}
    days = INVITATION_TTL.days
    emit(
        as_json,
        payload,
        f"Invitation for {user.email} ({user.role}) queued; the link works for {days} days. "
        "The mail job sends it (`hub jobs run mail`).",
    )


@users.command("deactivate")
@click.option("--email", required=True)
@json_option
def users_deactivate(email: str, as_json: bool) -> None:
    """Deactivate a portal user: they cannot sign in, and every session of theirs ends."""
    import sqlalchemy as sa

    from hub.identity.accounts import deactivate
    from hub.identity.models import PortalUser

    with unit_of_work("users-deactivate") as (session, actor):
        user_id = session.scalar(
            sa.select(PortalUser.id).where(PortalUser.email == email.strip().lower())
        )
        if user_id is None:
            raise click.ClickException(f"No portal user has the address {email}.")
        user = deactivate(session, actor, user_id)
        payload = {"id": str(user.id), "email": user.email, "deactivated": True}
    emit(as_json, payload, f"User {user.email} deactivated; their sessions have ended.")
