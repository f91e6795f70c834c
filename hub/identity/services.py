"""Organisations, agreements, clients, tokens and portal users."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.cache import TTL_SECONDS, ProcessCache
from hub.cache_sessions import cached
from hub.clock import utcnow
from hub.errors import AgreementRequired, Conflict, NotFound, ValidationFailed
from hub.identity import sessions
from hub.identity.models import (
    ORGANISATION_KINDS,
    PORTAL_ROLES,
    SCOPES,
    SCOPES_BY_KIND,
    Agreement,
    OAuthClient,
    OAuthToken,
    Organisation,
    PortalUser,
)
from hub.identity.passwords import hash_secret, token_digest, verify_secret

ROLES_BY_KIND: dict[str, frozenset[str]] = {
    "charity": frozenset({"uploader", "admin"}),
    "healthwatch": frozenset({"uploader", "admin"}),
    "community_group": frozenset({"uploader", "admin"}),
    "regulator": frozenset({"inspector", "engagement", "admin"}),
    "auditor": frozenset({"auditor"}),
}


def create_organisation(
    session: Session,
    actor: Actor,
    *,
    name: str,
    kind: str,
    condition_areas: list[str] | None = None,
    purposes: list[str] | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    lawful_basis_note: str = "",
    now: datetime | None = None,
) -> Organisation:
    """Register an organisation and, for partners and the regulator, its data-sharing agreement."""
    now = now or utcnow()
    name = name.strip()
    if not name:
        raise ValidationFailed("An organisation needs a name.", errors={"name": ["Required."]})
    if kind not in ORGANISATION_KINDS:
        raise ValidationFailed(
            f"Unknown organisation kind {kind!r}.",
            errors={"kind": [f"Must be one of: {', '.join(ORGANISATION_KINDS)}."]},
        )
    if session.scalar(sa.select(Organisation.id).where(Organisation.name == name)):
        raise Conflict(f"An organisation called {name!r} already exists.")
    org = Organisation(id=uuid.uuid4(), name=name, kind=kind, created_at=now)
    session.add(org)
    session.flush()
    record(
        session,
        actor,
        "organisation.created",
        object_type="organisation",
        object_id=org.id,
        organisation_id=org.id,
        details={"kind": kind},
        now=now,
    )
    if kind != "auditor":
        add_agreement(
            session,
            actor,
            org,
            condition_areas=condition_areas or [],
            purposes=purposes or ["improving-care"],
            valid_from=valid_from or now.date(),
            valid_to=valid_to,
            lawful_basis_note=lawful_basis_note,
            now=now,
        )
    return org


def add_agreement(
    session: Session,
    actor: Actor,
    org: Organisation,
    *,
    condition_areas: list[str],
    purposes: list[str],
    valid_from: date,
    valid_to: date | None = None,
    reference: str | None = None,
    lawful_basis_note: str = "",
    now: datetime | None = None,
) -> Agreement:
    """Record a data-sharing agreement for an organisation."""
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed(
            "An agreement cannot end before it starts.",
            errors={"valid_to": ["Must be on or after valid_from."]},
        )
    agreement = Agreement(
        id=uuid.uuid4(),
        organisation_id=org.id,
        reference=reference or f"DSA-{valid_from:%Y}-{secrets.token_hex(3).upper()}",
        condition_areas=sorted(set(condition_areas)),
        purposes=sorted(set(purposes)),
        valid_from=valid_from,
        valid_to=valid_to,
        lawful_basis_note=lawful_basis_note.strip(),
        created_at=now or utcnow(),
    )
    session.add(agreement)
    session.flush()
    record(
        session,
        actor,
        "agreement.created",
        object_type="agreement",
        object_id=agreement.id,
        organisation_id=org.id,
        details={
            "condition_areas": agreement.condition_areas,
            "valid_from": str(valid_from),
            "valid_to": str(valid_to) if valid_to else None,
        },
        now=now,
    )
    return agreement


def agreement_in_force(session: Session, organisation_id: uuid.UUID, on: date) -> Agreement | None:
    stmt = (
        sa.select(Agreement)
        .where(
            Agreement.organisation_id == organisation_id,
            Agreement.valid_from <= on,
            sa.or_(Agreement.valid_to.is_(None), Agreement.valid_to >= on),
        )
        .order_by(Agreement.valid_from.desc())
    )
    return session.scalars(stmt).first()


@dataclass(frozen=True)
class AgreementTerms:
    """What an exchange needs of the agreement in force (kept a moment per process)."""

    id: uuid.UUID
    condition_areas: tuple[str, ...]


# Every exchange asks for the agreement in force: read once per organisation and day, kept
# TTL_SECONDS at most, and dropped when this process changes an agreement or an organisation.
_AGREEMENTS: ProcessCache[tuple[uuid.UUID, date], AgreementTerms | None] = ProcessCache(
    "agreements", tables={Agreement.__tablename__, Organisation.__tablename__}, ttl=TTL_SECONDS
)


def agreement_terms(
    session: Session, organisation_id: uuid.UUID, on: date
) -> AgreementTerms | None:
    """The terms of the agreement in force on ``on`` (``agreement_in_force``), cached."""

    def load() -> AgreementTerms | None:
        found = agreement_in_force(session, organisation_id, on)
        return AgreementTerms(found.id, tuple(found.condition_areas)) if found else None

    return cached(session, _AGREEMENTS, (organisation_id, on), load)


def require_agreement(session: Session, actor: Actor, on: date) -> AgreementTerms | None:
    """The agreement that allows ``actor`` to exchange data today; raise when there is none.

    The regulator and auditors act under statute, not under a partner agreement.
    """
    if actor.organisation_kind in ("regulator", "auditor") or actor.organisation_id is None:
        return None
    agreement = agreement_terms(session, actor.organisation_id, on)
    if agreement is None:
        raise AgreementRequired(
            "Your organisation has no data-sharing agreement in force today, so no data can be "
            "exchanged. Ask the regulator's partnerships team to renew it."
        )
    return agreement


def list_organisations(session: Session) -> list[Organisation]:
    """Every organisation, by name."""
    return list(session.scalars(sa.select(Organisation).order_by(Organisation.name)))


_NAMES: ProcessCache[uuid.UUID, str | None] = ProcessCache(
    "organisation names", tables={Organisation.__tablename__}, ttl=TTL_SECONDS
)


def organisation_name(session: Session, organisation_id: uuid.UUID) -> str | None:
    """An organisation's name (None if there is no such organisation), cached."""
    return cached(
        session,
        _NAMES,
        organisation_id,
        lambda: session.scalar(
            sa.select(Organisation.name).where(Organisation.id == organisation_id)
        ),
    )


def get_organisation(session: Session, organisation_id: uuid.UUID) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("No such organisation.")
    return org


@dataclass(frozen=True)
class NewClient:
    client: OAuthClient
    client_secret: str


def create_client(
    session: Session,
    actor: Actor,
    *,
    organisation_id: uuid.UUID,
    scopes: list[str],
    name: str = "",
    now: datetime | None = None,
) -> NewClient:
    """Create an OAuth client; its secret is returned once and only its hash is kept."""
    org = get_organisation(session, organisation_id)
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationFailed(
            f"Unknown scopes: {', '.join(unknown)}.",
            errors={"scopes": [f"Choose from: {', '.join(sorted(SCOPES))}."]},
        )
    not_allowed = sorted(set(scopes) - SCOPES_BY_KIND[org.kind])
    if not_allowed:
        raise ValidationFailed(
            f"A {org.kind} organisation cannot hold: {', '.join(not_allowed)}.",
            errors={
                "scopes": [
                    f"Allowed for {org.kind}: {', '.join(sorted(SCOPES_BY_KIND[org.kind]))}."
                ]
            },
        )
    if not scopes:
        raise ValidationFailed(
            "A client needs at least one scope.", errors={"scopes": ["Required."]}
        )
    secret = secrets.token_urlsafe(32)
    client = OAuthClient(
        id=uuid.uuid4(),
        client_id="hub_" + secrets.token_hex(12),
        client_secret_hash=hash_secret(secret),
        organisation_id=org.id,
        name=name or f"{org.name} client",
        scope=" ".join(sorted(set(scopes))),
        created_at=now or utcnow(),
    )
    session.add(client)
    session.flush()
    record(
        session,
        actor,
        "client.created",
        object_type="client",
        object_id=client.client_id,
        organisation_id=org.id,
        details={"scopes": sorted(set(scopes))},
        now=now,
    )
    return NewClient(client, secret)


def find_client(session: Session, client_id: str) -> OAuthClient | None:
    """A client that may authenticate: not disabled, its organisation not suspended."""
    if not client_id or len(client_id) > 64 or "\x00" in client_id:
        return None
    found = session.execute(
        sa.select(OAuthClient, Organisation.suspended_at)
        .join(Organisation, Organisation.id == OAuthClient.organisation_id)
        .where(OAuthClient.client_id == client_id)
    ).first()
    if found is None:
        return None
    client, suspended_at = found
    if client.disabled_at is not None or suspended_at is not None:
        return None
    return client


def find_client_any_state(session: Session, client_id: str) -> OAuthClient | None:
    """A client by its id whatever its state (for the record of a failed attempt)."""
    if not client_id or len(client_id) > 64 or "\x00" in client_id:
        return None
    return session.scalar(sa.select(OAuthClient).where(OAuthClient.client_id == client_id))


@dataclass(frozen=True)
class TokenInUse:
    """An access token that may be used now, with its client and organisation."""

    token: OAuthToken
    client: OAuthClient
    organisation: Organisation


def token_in_use(
    session: Session, access_token: str, *, now: datetime | None = None
) -> TokenInUse | None:
    """The token behind ``access_token`` while it may be used: not revoked, not expired, its
    client not disabled and its organisation not suspended. Checked on every request, so
    disabling a client or suspending an organisation stops its tokens at once.

    A lapsed agreement does not stop a token (a partner may still read and withdraw what it
    sent); every exchange asks ``require_agreement``.
    """
    if not access_token or len(access_token) > 200:
        return None
    row = session.execute(
        sa.select(OAuthToken, OAuthClient, Organisation)
        .join(OAuthClient, OAuthClient.id == OAuthToken.client_pk)
        .join(Organisation, Organisation.id == OAuthToken.organisation_id)
        .where(OAuthToken.token_hash == token_digest(access_token))
    ).first()
    if row is None:
        return None
    token, client, org = row
    if not usable(token, client, org, now or utcnow()):
        return None
    return TokenInUse(token, client, org)


def usable(token: OAuthToken, client: OAuthClient, org: Organisation, now: datetime) -> bool:
    """One rule for whether a token works: used by the API and by introspection."""
    return token.is_active(now) and client.disabled_at is None and org.suspended_at is None


def token_usable(session: Session, token: OAuthToken, now: datetime | None = None) -> bool:
    client = session.get(OAuthClient, token.client_pk)
    org = session.get(Organisation, token.organisation_id)
    if client is None or org is None:
        return False
    return usable(token, client, org, now or utcnow())


def disable_client(
    session: Session, actor: Actor, client_id: str, *, now: datetime | None = None
) -> OAuthClient:
    """Disable a client: it gets no new token and every token it holds stops working at once.
    Disabling twice changes nothing."""
    client = find_client_any_state(session, client_id)
    if client is None:
        raise NotFound("No such client.")
    if client.disabled_at is not None:
        return client
    now = now or utcnow()
    client.disabled_at = now
    record(
        session,
        actor,
        "client.disabled",
        object_type="client",
        object_id=client.client_id,
        organisation_id=client.organisation_id,
        now=now,
    )
    return client


def set_suspended(
    session: Session,
    actor: Actor,
    organisation_id: uuid.UUID,
    suspended: bool,
    *,
    now: datetime | None = None,
) -> Organisation:
    """Suspend an organisation (none of its clients' tokens work and none is issued, none of its
    users signs in to the portal and their sessions end) or lift the suspension. Asking for the
    state it is already in changes nothing."""
    org = get_organisation(session, organisation_id)
    if (org.suspended_at is not None) == suspended:
        return org
    now = now or utcnow()
    org.suspended_at = now if suspended else None
    ended = (
        sessions.end_all_of_organisation(session, org.id, reason="organisation-suspended", now=now)
        if suspended
        else 0
    )
    record(
        session,
        actor,
        "organisation.suspended" if suspended else "organisation.reinstated",
        object_type="organisation",
        object_id=org.id,
        organisation_id=org.id,
        details={"sessions_ended": ended} if suspended else None,
        now=now,
    )
    return org


def check_client_secret(client: OAuthClient | None, secret: str) -> bool:
    return verify_secret(client.client_secret_hash if client else None, secret)


def issue_token(
    session: Session,
    actor: Actor,
    client: OAuthClient,
    *,
    access_token: str,
    scope: str,
    ttl_s: int,
    now: datetime | None = None,
) -> OAuthToken:
    """Store a newly issued access token by its hash."""
    now = now or utcnow()
    token = OAuthToken(
        id=uuid.uuid4(),
        token_hash=token_digest(access_token),
        client_pk=client.id,
        organisation_id=client.organisation_id,
        scope=scope,
        issued_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor,
        "token.issued",
        object_type="token",
        object_id=token.id,
        organisation_id=client.organisation_id,
        details={"client_id": client.client_id, "scope": scope, "expires_in": ttl_s},
        now=now,
    )
    return token


def find_token(session: Session, access_token: str) -> OAuthToken | None:
    if not access_token or len(access_token) > 200:
        return None
    return session.scalar(
        sa.select(OAuthToken).where(OAuthToken.token_hash == token_digest(access_token))
    )


def revoke_token(
    session: Session, actor: Actor, token: OAuthToken, *, now: datetime | None = None
) -> None:
    """Revoke a token (RFC 7009); revoking twice changes nothing."""
    if token.revoked_at is not None:
        return
    now = now or utcnow()
    token.revoked_at = now
    record(
        session,
        actor,
        "token.revoked",
        object_type="token",
        object_id=token.id,
        organisation_id=token.organisation_id,
        now=now,
    )


def create_user(
    session: Session,
    actor: Actor,
    *,
    organisation_id: uuid.UUID,
    email: str,
    password: str,
    role: str,
    now: datetime | None = None,
) -> PortalUser:
    """Create a portal user with an argon2-hashed password."""
    org = get_organisation(session, organisation_id)
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise ValidationFailed("That is not an email address.", errors={"email": ["Invalid."]})
    if role not in PORTAL_ROLES or role not in ROLES_BY_KIND[org.kind]:
        allowed = ", ".join(sorted(ROLES_BY_KIND[org.kind]))
        raise ValidationFailed(
            f"Role {role!r} is not open to a {org.kind} organisation (allowed: {allowed}).",
            errors={"role": [f"Choose from: {allowed}."]},
        )
    if len(password) < 12:
        raise ValidationFailed(
            "Passwords need at least 12 characters.", errors={"password": ["Too short."]}
        )
    if session.scalar(sa.select(PortalUser.id).where(PortalUser.email == email)):
        raise Conflict("A user with that email address already exists.")
    user = PortalUser(
        id=uuid.uuid4(),
        organisation_id=org.id,
        email=email,
        password_hash=hash_secret(password),
        role=role,
        created_at=now or utcnow(),
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor,
        "user.created",
        object_type="user",
        object_id=user.id,
        organisation_id=org.id,
        details={"role": role},
        now=now,
    )
    return user
