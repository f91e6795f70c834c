"""An organisation's own management of its people and API clients, as its ``admin`` does it in
the portal (and the regulator's ``admin`` for any organisation): who may, the listings, and
rotating a client's secret. Creating and disabling clients are ``services``' own."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import Forbidden, NotFound, ValidationFailed
from hub.identity.models import (
    PARTNER_KINDS,
    Agreement,
    OAuthClient,
    OAuthToken,
    Organisation,
    PortalUser,
)
from hub.identity.passwords import hash_secret
from hub.identity.services import (
    NewClient,
    add_agreement,
    create_client,
    create_organisation,
    disable_client,
    find_client_any_state,
    get_organisation,
    set_suspended,
)
from hub.vocab.models import VocabularyTerm


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


# --- the regulator's admin runs the partners ---------------------------------------------------


def may_run_partners(actor: Actor) -> bool:
    """The hub's commands and the regulator's ``admin`` run the partners."""
    return actor.kind == "system" or (
        actor.kind == "user" and actor.role == "admin" and actor.organisation_kind == "regulator"
    )


def require_partner_admin(actor: Actor) -> None:
    if not may_run_partners(actor):
        raise Forbidden("Only the regulator's administrators run the partners.")


def partner(session: Session, actor: Actor, organisation_id: uuid.UUID) -> Organisation:
    """A partner organisation, for the regulator's admin; NotFound for any other kind."""
    require_partner_admin(actor)
    org = session.get(Organisation, organisation_id)
    if org is None or org.kind not in PARTNER_KINDS:
        raise NotFound("No such partner organisation.")
    return org


def disable_partner_client(
    session: Session,
    actor: Actor,
    organisation_id: uuid.UUID,
    client_id: str,
    *,
    now: datetime | None = None,
) -> OAuthClient:
    """Disable a client of the partner (``hub clients disable`` from the regulator's admin
    page); NotFound for a client of any other organisation."""
    org = partner(session, actor, organisation_id)
    client = find_client_any_state(session, client_id)
    if client is None or client.organisation_id != org.id:
        raise NotFound("No such client.")
    return disable_client(session, actor, client_id, now=now)


def partner_user(
    session: Session, actor: Actor, organisation_id: uuid.UUID, user_id: uuid.UUID
) -> PortalUser:
    """A user of the partner; NotFound for a user of any other organisation."""
    org = partner(session, actor, organisation_id)
    user = session.get(PortalUser, user_id)
    if user is None or user.organisation_id != org.id:
        raise NotFound("No such user.")
    return user


def create_partner(
    session: Session,
    actor: Actor,
    *,
    name: str,
    kind: str,
    condition_areas: list[str],
    valid_from: date,
    valid_to: date | None,
    lawful_basis_note: str,
    now: datetime | None = None,
) -> Organisation:
    """A new partner organisation with its first data-sharing agreement."""
    require_partner_admin(actor)
    if kind not in PARTNER_KINDS:
        raise ValidationFailed(
            "A partner is a charity, a local Healthwatch or a community group.",
            errors={"kind": [f"Choose from: {', '.join(PARTNER_KINDS)}."]},
        )
    _check_agreement(session, condition_areas, valid_from, valid_to)
    return create_organisation(
        session,
        actor,
        name=name,
        kind=kind,
        condition_areas=condition_areas,
        purposes=["improving-care", "regulation"],
        valid_from=valid_from,
        valid_to=valid_to,
        lawful_basis_note=lawful_basis_note,
        now=now,
    )


def new_agreement(
    session: Session,
    actor: Actor,
    organisation_id: uuid.UUID,
    *,
    condition_areas: list[str],
    valid_from: date,
    valid_to: date | None,
    lawful_basis_note: str,
    now: datetime | None = None,
) -> Agreement:
    """Another data-sharing agreement for a partner (the newest in force is the one that counts)."""
    org = partner(session, actor, organisation_id)
    _check_agreement(session, condition_areas, valid_from, valid_to)
    return add_agreement(
        session,
        actor,
        org,
        condition_areas=condition_areas,
        purposes=["improving-care", "regulation"],
        valid_from=valid_from,
        valid_to=valid_to,
        lawful_basis_note=lawful_basis_note,
        now=now,
    )


def suspend_partner(
    session: Session, actor: Actor, organisation_id: uuid.UUID, suspended: bool
) -> Organisation:
    """Suspend a partner (none of its tokens work) or lift the suspension."""
    partner(session, actor, organisation_id)
    return set_suspended(session, actor, organisation_id, suspended)


def _check_agreement(
    session: Session, condition_areas: list[str], valid_from: date, valid_to: date | None
) -> None:
    errors: dict[str, list[str]] = {}
    if not condition_areas:
        errors["condition_areas"] = ["Choose at least one condition area."]
    else:
        known = set(
            session.scalars(
                sa.select(VocabularyTerm.value).where(VocabularyTerm.kind == "condition_area")
            )
        )
        if unknown := sorted(set(condition_areas) - known):
            errors["condition_areas"] = [f"Not condition areas: {', '.join(unknown)}."]
    if valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = ["The agreement cannot end before it starts."]
    if errors:
        raise ValidationFailed("The agreement is not valid.", errors=errors)
