"""Portal sign-in: password checks, throttling of repeated failures, and their audit trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.identity import sessions, throttle, two_factor
from hub.identity.models import SCOPES_BY_KIND, Organisation, PortalUser
from hub.identity.passwords import verify_secret

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

Outcome = Literal["signed-in", "second-factor", "invalid", "suspended"]


@dataclass(frozen=True)
class SignInResult:
    outcome: Outcome
    user: PortalUser | None = None

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


def _find(session: Session, email: str) -> PortalUser | None:
    if len(email) > 320:
        return None
    return session.scalar(
        sa.select(PortalUser)
        .where(PortalUser.email == email)
        .execution_options(populate_existing=True)
    )


def _failed(
    session: Session,
    actor: Actor,
    user: PortalUser | None,
    reason: str,
    now: datetime,
    details: dict[str, object] | None = None,
) -> SignInResult:
    record(
        session,
        actor,
        "user.sign_in_failed",
        object_type="user",
        object_id=user.id if user is not None else None,
        outcome="failure",
        # An unknown address is audited without the address itself.
        organisation_id=user.organisation_id if user is not None else None,
        details={"reason": reason, **(details or {})},
        now=now,
    )
    return SignInResult("invalid")


def sign_in(
    session: Session,
    actor: Actor,
    *,
    email: str,
    password: str,
    now: datetime | None = None,
) -> SignInResult:
    """Check a portal user's e-mail address and password, throttling repeated failures.

    Every failure gets the same answer (``invalid``): an unknown address, a wrong password, a
    deactivated user, and an attempt made while its e-mail or client address must still wait
    (``hub.identity.throttle``). ``actor`` is the visitor (see :func:`visitor`); every attempt
    is audited. The caller commits, whatever the outcome: failures count.
    """
    now = now or utcnow()
    email = email.strip().lower()
    keys = throttle.Keys.of(email, actor.ip)
    found = throttle.check(session, keys, now)
    user = _find(session, email)
    # Verify whatever happens next, so the time taken tells nothing.
    matches = verify_secret(user.password_hash if user else None, password)
    if not found.allowed:
        return _failed(session, actor, user, "throttled", now)
    if user is None or not user.is_active or not matches:
        reason = (
            "unknown-account"
            if user is None
            else "deactivated"
            if not user.is_active
            else "wrong-password"
        )
        for key, failures, until in throttle.fail(found, now):
            record(
                session,
                actor,
                "user.sign_in_throttled",
                object_type="user" if key == keys.account and user is not None else None,
                object_id=user.id if key == keys.account and user is not None else None,
                outcome="failure",
                organisation_id=user.organisation_id if user is not None else None,
                details={
                    "by": "account" if key == keys.account else "address",
                    "failures": failures,
                    "wait_s": int((until - now).total_seconds()),
                },
                now=now,
            )
        failures = found.rows[keys.account].failures
        return _failed(session, actor, user, reason, now, {"attempt": failures})
    if _suspended(session, user):
        # Only after the right password: the answer tells nothing about whether an address exists.
        _failed(session, actor, user, "organisation-suspended", now)
        return SignInResult("suspended")
    if user.has_two_factor:
        # The password was right; the session starts once the second factor is too.
        return SignInResult("second-factor", user)
    throttle.clear(session, keys.account, now)
    return _signed_in(session, actor, user, now)


def _suspended(session: Session, user: PortalUser) -> bool:
    """Whether the user's organisation is suspended (``hub orgs suspend``): none of its users
    signs in to the portal meanwhile."""
    suspended_at = session.scalar(
        sa.select(Organisation.suspended_at).where(Organisation.id == user.organisation_id)
    )
    return suspended_at is not None


def _signed_in(
    session: Session,
    actor: Actor,
    user: PortalUser,
    now: datetime,
    details: dict[str, object] | None = None,
) -> SignInResult:
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
        details=details,
        now=now,
    )
    return SignInResult("signed-in", user)


def second_factor(
    session: Session,
    actor: Actor,
    user_id: uuid.UUID,
    code: str,
    *,
    hub_secret: str,
    now: datetime | None = None,
) -> SignInResult:
    """Finish a sign-in whose password was right with a code from the app or a recovery code.

    Wrong codes count against the account's and the client address's throttle like wrong
    passwords do, so six digits cannot be guessed at speed.
    """
    now = now or utcnow()
    user = session.get(PortalUser, user_id)
    if user is None or not user.is_active or not user.has_two_factor:
        return _failed(session, actor, user, "second-factor-unavailable", now)
    keys = throttle.Keys.of(user.email, actor.ip)
    found = throttle.check(session, keys, now)
    if not found.allowed:
        return _failed(session, actor, user, "throttled", now)
    kind = two_factor.verify(session, user, code, hub_secret=hub_secret, now=now)
    if kind is not None and _suspended(session, user):
        _failed(session, actor, user, "organisation-suspended", now)
        return SignInResult("suspended")
    if kind is None:
        throttle.fail(found, now)
        return _failed(session, actor, user, "wrong-code", now)
    throttle.clear(session, keys.account, now)
    return _signed_in(session, actor, user, now, {"second_factor": kind})


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
