"""An organisation's own management of its people and API clients, as its ``admin`` does it in
the portal (and the regulator's ``admin`` for any organisation): who may, the listings, and
rotating a client's secret. Creating and disabling clients are ``services``' own."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import NotFound
from hub.identity.models import OAuthClient, OAuthToken, Organisation, PortalUser
from hub.identity.passwords import hash_secret
from hub.identity.services import (
    NewClient,
    create_client,
    disable_client,
    find_client_any_state,
    get_organisation,
)


def may_administer(actor: Actor, organisation_id: uuid.UUID) -> bool:
    """The hub's commands, an ``admin`` of the organisation, and the regulator's ``admin``."""
    if actor.kind == "system":
        return True
    return (
        actor.kind == "user"
        and actor.role == "admin"
        and (actor.organisation_id == organisation_id or actor.organisation_kind == "regulator")
    )


def administered(session: Session, actor: Actor, organisation_id: uuid.UUID) -> Organisation:
    """The organisation, if ``actor`` administers it; NotFound otherwise (ids tell nothing)."""
    if not may_administer(actor, organisation_id):
        raise NotFound("No such organisation.")
    return get_organisation(session, organisation_id)


def list_users(session: Session, actor: Actor, organisation_id: uuid.UUID) -> list[PortalUser]:
    """The organisation's portal users, active ones first, by email."""
    administered(session, actor, organisation_id)
    return list(
        session.scalars(
            sa.select(PortalUser)
            .where(PortalUser.organisation_id == organisation_id)
            .order_by(PortalUser.deactivated_at.is_not(None), PortalUser.email)
        )
    )


@dataclass(frozen=True)
class ClientRow:
    """A client as its organisation sees it; ``last_used`` is when it last got a token."""

    client: OAuthClient
    last_used: datetime | None


def list_clients(session: Session, actor: Actor, organisation_id: uuid.UUID) -> list[ClientRow]:
    """The organisation's API clients, newest first, each with when it last got a token."""
    administered(session, actor, organisation_id)
    last_token = (
        sa.select(sa.func.max(OAuthToken.issued_at))
        .where(OAuthToken.client_pk == OAuthClient.id)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(OAuthClient, last_token)
        .where(OAuthClient.organisation_id == organisation_id)
        .order_by(OAuthClient.created_at.desc(), OAuthClient.id)
    )
    return [ClientRow(client, last_used) for client, last_used in rows]


def add_client(
    session: Session,
    actor: Actor,
    organisation_id: uuid.UUID,
    *,
    scopes: list[str],
    name: str = "",
    now: datetime | None = None,
) -> NewClient:
    """A new client of an organisation the actor administers; its secret is shown once."""
    administered(session, actor, organisation_id)
    return create_client(
        session, actor, organisation_id=organisation_id, scopes=scopes, name=name, now=now
    )


def _own_client(session: Session, actor: Actor, client_id: str) -> OAuthClient:
    client = find_client_any_state(session, client_id)
    if client is None or not may_administer(actor, client.organisation_id):
        raise NotFound("No such client.")
    return client


def revoke_client(
    session: Session, actor: Actor, client_id: str, *, now: datetime | None = None
) -> OAuthClient:
    """Disable a client of an organisation the actor administers (its tokens stop at once)."""
    _own_client(session, actor, client_id)
    return disable_client(session, actor, client_id, now=now)


def rotate_secret(
    session: Session, actor: Actor, client_id: str, *, now: datetime | None = None
) -> NewClient:
    """Give a client a new secret (shown once); the old one and every token issued with it
    stop working now, so a leaked secret is dead the moment it is rotated."""
    client = _own_client(session, actor, client_id)
    if client.disabled_at is not None:
        raise NotFound("This client has been revoked: create a new one instead.")
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    client.client_secret_hash = hash_secret(secret)
    revoked = session.execute(
        sa.update(OAuthToken)
        .where(OAuthToken.client_pk == client.id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        actor,
        "client.secret_rotated",
        object_type="client",
        object_id=client.client_id,
        organisation_id=client.organisation_id,
        details={"tokens_revoked": int(getattr(revoked, "rowcount", 0) or 0)},
        now=now,
    )
    return NewClient(client, secret)
