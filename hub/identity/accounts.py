"""Changes to a portal user's account: password, role, deactivation.

Each change ends every session of the user in the same transaction and writes its audit event:
whatever the user could do before the change, no browser keeps doing after it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import Forbidden, NotFound, ValidationFailed
from hub.identity import sessions, throttle
from hub.identity.models import PORTAL_ROLES, PortalUser
from hub.identity.passwords import hash_secret, verify_secret
from hub.identity.services import ROLES_BY_KIND

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be a portal password, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    return None


def get_user(session: Session, user_id: uuid.UUID, *, for_update: bool = False) -> PortalUser:
    stmt = sa.select(PortalUser).where(PortalUser.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    user = session.scalar(stmt.execution_options(populate_existing=True))
    if user is None:
        raise NotFound("No such user.")
    return user


def may_manage(actor: Actor, user: PortalUser) -> bool:
    """Whether ``actor`` may change another user's role or deactivate them.

    The hub's own commands may; so may an ``admin`` of the user's organisation, and the
    regulator's ``admin`` (who runs the partners).
    """
    if actor.kind == "system":
        return True
    if actor.kind != "user" or actor.role != "admin":
        return False
    return actor.organisation_id == user.organisation_id or actor.organisation_kind == "regulator"


def _require_manager(actor: Actor, user: PortalUser) -> None:
    if not may_manage(actor, user):
        # The same answer as for a user that does not exist: ids of others' users tell nothing.
        raise NotFound("No such user.")


def set_password(
    session: Session,
    actor: Actor,
    user: PortalUser,
    new_password: str,
    *,
    action: str = "user.password_changed",
    now: datetime | None = None,
) -> int:
    """Give ``user`` a new password and end all their sessions; how many ended.

    The caller has already proved the right to do so (the current password, or a reset link).
    """
    problem = password_problem(new_password)
    if problem:
        raise ValidationFailed(problem, errors={"password": [problem]})
    now = now or utcnow()
    user.password_hash = hash_secret(new_password)
    throttle.clear(session, throttle.account_key(user.email), now)
    ended = sessions.end_all(session, user.id, reason="password-changed", now=now)
    record(
        session,
        actor,
        action,
        object_type="user",
        object_id=user.id,
        organisation_id=user.organisation_id,
        details={"sessions_ended": ended},
        now=now,
    )
    return ended


def change_password(
    session: Session,
    actor: Actor,
    user_id: uuid.UUID,
    *,
    current_password: str,
    new_password: str,
    now: datetime | None = None,
) -> int:
    """A signed-in user changes their own password; every session of theirs ends."""
    if actor.kind != "user" or actor.id != str(user_id):
        raise Forbidden("Only the user can change their own password.")
    user = get_user(session, user_id, for_update=True)
    if not verify_secret(user.password_hash, current_password):
        raise ValidationFailed(
            "The current password is not right.",
            errors={"current_password": ["Your current password is not right"]},
        )
    if current_password == new_password:
        raise ValidationFailed(
            "The new password is the same as the current one.",
            errors={"password": ["Enter a password different from your current one"]},
        )
    return set_password(session, actor, user, new_password, now=now)


def change_role(
    session: Session,
    actor: Actor,
    user_id: uuid.UUID,
    role: str,
    *,
    now: datetime | None = None,
) -> PortalUser:
    """Give a user another role open to their organisation; every session of theirs ends."""
    user = get_user(session, user_id, for_update=True)
    _require_manager(actor, user)
    allowed = ROLES_BY_KIND.get(user.organisation.kind, frozenset())
    if role not in PORTAL_ROLES or role not in allowed:
        choices = ", ".join(sorted(allowed))
        raise ValidationFailed(
            f"Role {role!r} is not open to this organisation.",
            errors={"role": [f"Choose from: {choices}."]},
        )
    if role == user.role:
        return user
    now = now or utcnow()
    before, user.role = user.role, role
    ended = sessions.end_all(session, user.id, reason="role-changed", now=now)
    record(
        session,
        actor,
        "user.role_changed",
        object_type="user",
        object_id=user.id,
        organisation_id=user.organisation_id,
        details={"from": before, "to": role, "sessions_ended": ended},
        now=now,
    )
    return user


def deactivate(
    session: Session, actor: Actor, user_id: uuid.UUID, *, now: datetime | None = None
) -> PortalUser:
    """Stop a user signing in and end all their sessions; deactivating twice changes nothing."""
    user = get_user(session, user_id, for_update=True)
    _require_manager(actor, user)
    if actor.kind == "user" and actor.id == str(user.id):
        raise ValidationFailed(
            "You cannot deactivate yourself.",
            errors={"user": ["Ask another administrator to deactivate your account"]},
        )
    if user.deactivated_at is not None:
        return user
    now = now or utcnow()
    user.deactivated_at = now
    ended = sessions.end_all(session, user.id, reason="deactivated", now=now)
    record(
        session,
        actor,
        "user.deactivated",
        object_type="user",
        object_id=user.id,
        organisation_id=user.organisation_id,
        details={"sessions_ended": ended},
        now=now,
    )
    return user
