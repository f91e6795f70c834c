"""Portal sign-in: password checks, lock-out after repeated failures, and their audit trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.identity import sessions
from hub.identity.models import SCOPES_BY_KIND, Organisation, PortalUser
from hub.identity.passwords import verify_secret

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)

# What each portal role may do, in the API's scope vocabulary, so portal views can call the same
# services as API clients. A user gets the part its organisation's kind may hold at all.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "uploader": frozenset({"experiences:write", "experiences:read", "datasets:read"}),
    "admin": frozenset({"experiences:write", "experiences:read", "datasets:read"}),
    "inspector": frozenset({"regulator:read", "datasets:read"}),
    "engagement": frozenset(
        {"regulator:read", "outcomes:write", "datasets:publish", "datasets:read"}
    ),
    "auditor": frozenset({"audit:read"}),
}

Outcome = Literal["signed-in", "invalid", "locked"]


@dataclass(frozen=True)
class SignInResult:
    outcome: Outcome
    user: PortalUser | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "signed-in"


def visitor(request_id: str | None = None, ip: str | None = None) -> Actor:
    """The not-yet-identified person at the sign-in form."""
    return Actor(kind="user", id="anonymous", request_id=request_id, ip=ip)


def scopes_for(role: str, organisation_kind: str | None) -> frozenset[str]:
    """The API scopes a portal user of ``role`` acts with."""
    allowed = SCOPES_BY_KIND.get(organisation_kind or "", frozenset())
    return ROLE_SCOPES.get(role, frozenset()) & allowed


def user_actor(
    user: PortalUser,
    organisation_kind: str | None,
    *,
    request_id: str | None = None,
    ip: str | None = None,
) -> Actor:
    """The actor a signed-in portal user acts as."""
    return Actor(
        kind="user",
        id=str(user.id),
        organisation_id=user.organisation_id,
        organisation_kind=organisation_kind,
        scopes=scopes_for(user.role, organisation_kind),
        role=user.role,
        request_id=request_id,
        ip=ip,
    )


def is_locked(user: PortalUser, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def register_failure(attempts: int, now: datetime) -> tuple[int, datetime | None]:
    """Failed attempts so far and the lock's end after one more failure."""
    attempts += 1
    if attempts >= MAX_FAILED_ATTEMPTS:
        # Counting starts again once the lock ends.
        return 0, now + LOCKOUT
    return attempts, None


def _find_for_update(session: Session, email: str) -> PortalUser | None:
    # The row lock keeps parallel guesses from each reading the same failure count.
    return session.scalar(
        sa.select(PortalUser)
        .where(PortalUser.email == email.strip().lower())
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def sign_in(
    session: Session,
    actor: Actor,
    *,
    email: str,
    password: str,
    now: datetime | None = None,
) -> SignInResult:
    """Check a portal user's email and password; count failures and lock the account after five.

    ``actor`` is the visitor (see :func:`visitor`). Every attempt is audited; an unknown email
    is audited without the email itself. The caller commits, whatever the outcome.
    """
    now = now or utcnow()
    user = _find_for_update(session, email) if len(email) <= 320 else None
    # Verify even when there is no user or it is locked, so timing tells nothing.
    matches = verify_secret(user.password_hash if user else None, password)
    if user is not None and not user.is_active:
        record(
            session,
            actor,
            "user.sign_in_failed",
            object_type="user",
            object_id=user.id,
            outcome="failure",
            organisation_id=user.organisation_id,
            details={"reason": "deactivated"},
            now=now,
        )
        return SignInResult("invalid")
    if user is None:
        record(
            session,
            actor,
            "user.sign_in_failed",
            object_type="user",
            outcome="failure",
            organisation_id=None,
            details={"reason": "unknown-account"},
            now=now,
        )
        return SignInResult("invalid")
    if is_locked(user, now):
        record(
            session,
            actor,
            "user.sign_in_failed",
            object_type="user",
            object_id=user.id,
            outcome="failure",
            organisation_id=user.organisation_id,
            details={"reason": "locked"},
            now=now,
        )
        return SignInResult("locked", user, user.locked_until)
    if not matches:
        return _failed(session, actor, user, now)
    user.failed_attempts = 0
    user.locked_until = None
    user.last_signed_in_at = now
    kind = session.scalar(
        sa.select(Organisation.kind).where(Organisation.id == user.organisation_id)
    )
    record(
        session,
        replace(user_actor(user, kind), request_id=actor.request_id, ip=actor.ip),
        "user.signed_in",
        object_type="user",
        object_id=user.id,
        organisation_id=user.organisation_id,
        now=now,
    )
    return SignInResult("signed-in", user)


def _failed(session: Session, actor: Actor, user: PortalUser, now: datetime) -> SignInResult:
    attempt = user.failed_attempts + 1
    user.failed_attempts, user.locked_until = register_failure(user.failed_attempts, now)
    record(
        session,
        actor,
        "user.sign_in_failed",
        object_type="user",
        object_id=user.id,
        outcome="failure",
        organisation_id=user.organisation_id,
        details={"reason": "wrong-password", "attempt": attempt},
        now=now,
    )
    if user.locked_until is None:
        return SignInResult("invalid", user)
    record(
        session,
        actor,
        "user.locked_out",
        object_type="user",
        object_id=user.id,
        outcome="failure",
        organisation_id=user.organisation_id,
        details={
            "failed_attempts": MAX_FAILED_ATTEMPTS,
            "locked_until": user.locked_until.isoformat(),
        },
        now=now,
    )
    return SignInResult("locked", user, user.locked_until)


def sign_out(
    session: Session,
    actor: Actor,
    session_id: uuid.UUID | None,
    *,
    now: datetime | None = None,
) -> None:
    """End a signed-in user's session (a copy of its cookie stops working too) and record it."""
    now = now or utcnow()
    if session_id is not None:
        sessions.end(session, session_id, reason="signed-out", now=now)
    record(
        session,
        actor,
        "user.signed_out",
        object_type="user",
        object_id=actor.id,
        now=now,
    )
