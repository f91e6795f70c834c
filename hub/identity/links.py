"""E-mailed single-use links: invitations (set a first password) and password resets.

A link carries a random token; only its sha256 is stored, with the user, what it is for, when it
expires and when it was used. A link works once, before it expires, and only the newest link of
its kind for a user works (asking again replaces the one before). A reset request for an address
that has no account is answered exactly as one that has (the caller shows the same page) and
sends nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import Conflict, NotFound, ValidationFailed
from hub.identity import accounts
from hub.identity.models import PORTAL_ROLES, AccountLink, Organisation, PortalUser
from hub.identity.passwords import hash_secret
from hub.identity.services import ROLES_BY_KIND, get_organisation
from hub.mail import outbox

Purpose = Literal["invitation", "password-reset"]

INVITATION_TTL = timedelta(days=7)
RESET_TTL = timedelta(hours=1)
# A second reset e-mail for the same user within this time is not sent (no mail bombing).
RESET_RESEND_AFTER = timedelta(minutes=2)
MAX_TOKEN_LENGTH = 200
PATHS: dict[str, str] = {
    "invitation": "/portal/invitation",
    "password-reset": "/portal/password-reset/new",
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(public_url: str, purpose: Purpose, token: str) -> str:
    # The token rides in the query string: request logs never keep query strings.
    return f"{public_url.rstrip('/')}{PATHS[purpose]}?token={token}"


def _issue(
    session: Session, user: PortalUser, purpose: Purpose, ttl: timedelta, now: datetime
) -> str:
    """A new link for ``user``; earlier unused links of the same kind stop working."""
    session.execute(
        sa.update(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
        )
        .values(used_at=now, outcome="replaced")
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountLink(
            id=uuid.uuid4(),
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return token


def may_invite(actor: Actor, organisation: Organisation) -> bool:
    """The hub's commands, an ``admin`` of the organisation, and the regulator's ``admin``."""
    if actor.kind == "system":
        return True
    return (
        actor.kind == "user"
        and actor.role == "admin"
        and (actor.organisation_id == organisation.id or actor.organisation_kind == "regulator")
    )


def invite(
    session: Session,
    actor: Actor,
    *,
    organisation_id: uuid.UUID,
    email: str,
    role: str,
    public_url: str,
    now: datetime | None = None,
) -> PortalUser:
    """Add a user who sets their own password by an e-mailed link (valid 7 days).

    Inviting again someone who has not yet accepted sends a new link (the old one stops
    working). An address that already has an account in use is refused.
    """
    now = now or utcnow()
    org = get_organisation(session, organisation_id)
    if not may_invite(actor, org):
        raise NotFound("No such organisation.")
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise ValidationFailed(
            "That is not an email address.",
            errors={"email": ["Enter an email address in the correct format"]},
        )
    allowed = ROLES_BY_KIND.get(org.kind, frozenset())
    if role not in PORTAL_ROLES or role not in allowed:
        raise ValidationFailed(
            f"Role {role!r} is not open to a {org.kind} organisation.",
            errors={"role": [f"Choose from: {', '.join(sorted(allowed))}"]},
        )
    user = session.scalar(sa.select(PortalUser).where(PortalUser.email == email))
    if user is not None and (
        user.organisation_id != org.id or user.last_signed_in_at is not None or not user.is_active
    ):
        raise Conflict(
            "That address already has an account.",
            errors={"email": ["That address already has an account"]},
        )
    if user is None:
        user = PortalUser(
            id=uuid.uuid4(),
            organisation_id=org.id,
            email=email,
            # Nobody knows this password: the link sets the first real one.
            password_hash=hash_secret(secrets.token_urlsafe(32)),
            role=role,
            created_at=now,
        )
        session.add(user)
        session.flush()
    else:
        user.role = role
    token = _issue(session, user, "invitation", INVITATION_TTL, now)
    outbox.queue(
        session,
        to=email,
        subject="You have been invited to the exchange hub",
        body=(
            f"You have been invited to use the exchange hub for {org.name}.\n\n"
            "To accept, choose your password at this address:\n\n"
            f"{link_url(public_url, 'invitation', token)}\n\n"
            "The link works once and expires in 7 days. If you were not expecting this "
            "invitation, you can ignore this email.\n"
        ),
        kind="invitation",
        organisation_id=org.id,
        now=now,
    )
    record(
        session,
        actor,
        "user.invited",
        object_type="user",
        object_id=user.id,
        organisation_id=org.id,
        details={"role": role, "expires_at": (now + INVITATION_TTL).isoformat()},
        now=now,
    )
    return user


def request_reset(
    session: Session,
    actor: Actor,
    *,
    email: str,
    public_url: str,
    now: datetime | None = None,
) -> None:
    """E-mail a password-reset link (valid 1 hour) if the address belongs to an active user.

    Returns nothing either way: the caller says "if the address is registered, we have sent a
    link" to everyone.
    """
    now = now or utcnow()
    email = email.strip().lower()
    user = (
        session.scalar(sa.select(PortalUser).where(PortalUser.email == email))
        if len(email) <= 320
        else None
    )
    if user is None or not user.is_active:
        record(
            session,
            actor,
            "user.password_reset_requested",
            object_type="user",
            outcome="failure",
            organisation_id=None,
            details={"reason": "unknown-account"},
            now=now,
        )
        return
    recent = session.scalar(
        sa.select(sa.func.count())
        .select_from(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == "password-reset",
            AccountLink.created_at > now - RESET_RESEND_AFTER,
        )
    )
    if recent:
        record(
            session,
            actor,
            "user.password_reset_requested",
            object_type="user",
            object_id=user.id,
            outcome="failure",
            organisation_id=user.organisation_id,
            details={"reason": "asked-again-too-soon"},
            now=now,
        )
        return
    token = _issue(session, user, "password-reset", RESET_TTL, now)
    outbox.queue(
        session,
        to=user.email,
        subject="Reset your exchange hub password",
        body=(
            "Someone asked to reset the password of your exchange hub account.\n\n"
            "To choose a new password, go to:\n\n"
            f"{link_url(public_url, 'password-reset', token)}\n\n"
            "The link works once and expires in 1 hour. Choosing a new password signs you "
            "out everywhere. If you did not ask for this, you can ignore this email: your "
            "password has not changed.\n"
        ),
        kind="password-reset",
        organisation_id=user.organisation_id,
        now=now,
    )
    record(
        session,
        actor,
        "user.password_reset_requested",
        object_type="user",
        object_id=user.id,
        organisation_id=user.organisation_id,
        details={"expires_at": (now + RESET_TTL).isoformat()},
        now=now,
    )


@dataclass(frozen=True)
class OpenLink:
    """A link that still works, and whose account it opens."""

    id: uuid.UUID
    purpose: str
    user_email: str
    organisation_name: str


def find(
    session: Session, token: str, purpose: Purpose, *, now: datetime | None = None
) -> OpenLink | None:
    """The link ``token`` names if it is of ``purpose``, unused and unexpired; else None."""
    found = _live(session, token, purpose, now or utcnow(), lock=False)
    if found is None:
        return None
    link, user = found
    return OpenLink(link.id, link.purpose, user.email, user.organisation.name)


def _live(
    session: Session, token: str, purpose: Purpose, now: datetime, *, lock: bool
) -> tuple[AccountLink, PortalUser] | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    stmt = sa.select(AccountLink).where(
        AccountLink.token_hash == _digest(token), AccountLink.purpose == purpose
    )
    if lock:
        stmt = stmt.with_for_update()
    link = session.scalar(stmt.execution_options(populate_existing=True))
    if link is None or link.used_at is not None or now >= link.expires_at:
        return None
    user = session.get(PortalUser, link.user_id)
    if user is None or not user.is_active:
        return None
    return link, user


def complete(
    session: Session,
    actor: Actor,
    *,
    token: str,
    purpose: Purpose,
    new_password: str,
    now: datetime | None = None,
) -> PortalUser:
    """Use a link to set the user's password; the link stops working and every session ends.

    Raises NotFound when the link is unknown, used, replaced or expired.
    """
    now = now or utcnow()
    problem = accounts.password_problem(new_password)
    if problem:
        raise ValidationFailed(problem, errors={"password": [problem]})
    found = _live(session, token, purpose, now, lock=True)
    if found is None:
        raise NotFound("This link has expired or has already been used.")
    link, user = found
    link.used_at, link.outcome = now, "used"
    accounts.set_password(
        session,
        Actor(
            kind="user",
            id=str(user.id),
            organisation_id=user.organisation_id,
            request_id=actor.request_id,
            ip=actor.ip,
        ),
        user,
        new_password,
        action="user.invitation_accepted" if purpose == "invitation" else "user.password_reset",
        now=now,
    )
    return user
