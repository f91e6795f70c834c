"""Portal sessions kept on the server: started at sign-in, checked on every request, ended.

The browser holds a random token (inside the signed session cookie); the hub keeps its sha256
with the user, when it started, when it was last used and whether it has ended. A session is
valid while it has not ended, was used within the idle limit and is younger than the absolute
limit. Signing out ends that session; "sign out everywhere" and every change to what a user may
do (password, role, two-factor settings, deactivation) end all of them.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.identity.models import PortalSession, PortalUser

# A use refreshes ``last_seen_at`` only when the stored value is older than this: pages read by
# the minute do not each write a row.
TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: ``idle`` without a request, ``absolute`` from sign-in."""

    idle: timedelta = timedelta(hours=2)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class Started:
    token: str
    session_id: uuid.UUID


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(
    session: Session, user: PortalUser, *, policy: SessionPolicy, now: datetime | None = None
) -> Started:
    """A new session for ``user``; the token goes in the cookie and is never stored."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = PortalSession(
        id=uuid.uuid4(),
        token_hash=_digest(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.absolute,
    )
    session.add(row)
    session.flush()
    return Started(token, row.id)


def resolve(
    session: Session, token: str, *, policy: SessionPolicy, now: datetime | None = None
) -> tuple[PortalSession, PortalUser] | None:
    """The live session a cookie's token names and its user, or None.

    A session past its idle or absolute limit, or whose user is deactivated or whose
    organisation is suspended, is ended here.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    now = now or utcnow()
    row = session.scalar(sa.select(PortalSession).where(PortalSession.token_hash == _digest(token)))
    if row is None or row.ended_at is not None:
        return None
    user = session.get(PortalUser, row.user_id)
    reason = None
    if user is None or not user.is_active:
        reason = "deactivated"
    elif user.organisation.suspended_at is not None:
        reason = "organisation-suspended"
    elif now >= row.expires_at:
        reason = "expired"
    elif now >= row.last_seen_at + policy.idle:
        reason = "idle"
    if reason is not None or user is None:
        row.ended_at, row.ended_reason = now, reason
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row, user


def end(
    session: Session, session_id: uuid.UUID, *, reason: str, now: datetime | None = None
) -> bool:
    """End one session; whether it was live."""
    result = session.execute(
        sa.update(PortalSession)
        .where(PortalSession.id == session_id, PortalSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), ended_reason=reason)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def end_all(
    session: Session, user_id: uuid.UUID, *, reason: str, now: datetime | None = None
) -> int:
    """End every live session of a user; how many there were."""
    result = session.execute(
        sa.update(PortalSession)
        .where(PortalSession.user_id == user_id, PortalSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), ended_reason=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def end_all_of_organisation(
    session: Session, organisation_id: uuid.UUID, *, reason: str, now: datetime | None = None
) -> int:
    """End every live session of every user of an organisation; how many there were."""
    users = sa.select(PortalUser.id).where(PortalUser.organisation_id == organisation_id)
    result = session.execute(
        sa.update(PortalSession)
        .where(PortalSession.user_id.in_(users), PortalSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), ended_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def live_count(session: Session, user_id: uuid.UUID, *, now: datetime | None = None) -> int:
    """How many sessions of a user have not ended (some may be past their limits)."""
    now = now or utcnow()
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(PortalSession)
            .where(
                PortalSession.user_id == user_id,
                PortalSession.ended_at.is_(None),
                PortalSession.expires_at > now,
            )
        )
        or 0
    )


def sign_out_everywhere(
    session: Session, actor: Actor, user: PortalUser, *, now: datetime | None = None
) -> int:
    """End all of a user's sessions, this one included, and audit it; how many ended."""
    now = now or utcnow()
    ended = end_all(session, user.id, reason="signed-out-everywhere", now=now)
    record(
        session,
        actor,
        "user.signed_out_everywhere",
        object_type="user",
        object_id=user.id,
        organisation_id=user.organisation_id,
        details={"sessions_ended": ended},
        now=now,
    )
    return ended
