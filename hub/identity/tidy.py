"""Forgetting what sign-in no longer needs: ended or expired sessions, spent links and quiet
throttle counters (which exist for unknown addresses too, so guessing must not grow them for
ever). Audit events keep the history; these rows only serve live checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.identity import throttle
from hub.identity.models import AccountLink, PortalSession, SignInThrottle

KEEP = timedelta(days=30)


@dataclass(frozen=True)
class Tidied:
    sessions: int
    links: int
    throttles: int

    def to_dict(self) -> dict[str, int]:
        return {"sessions": self.sessions, "links": self.links, "throttles": self.throttles}


def tidy(session: Session, *, now: datetime) -> Tidied:
    """Delete sessions ended or expired, and links used or expired, more than 30 days ago, and
    throttle counters with no failure for longer than failures are remembered."""
    cutoff = now - KEEP
    sessions = session.execute(
        sa.delete(PortalSession).where(
            sa.or_(PortalSession.ended_at < cutoff, PortalSession.expires_at < cutoff)
        )
    )
    links = session.execute(
        sa.delete(AccountLink).where(
            sa.or_(AccountLink.used_at < cutoff, AccountLink.expires_at < cutoff)
        )
    )
    quiet = now - throttle.FORGET_AFTER
    throttles = session.execute(
        sa.delete(SignInThrottle).where(
            SignInThrottle.updated_at < quiet,
            sa.or_(SignInThrottle.blocked_until.is_(None), SignInThrottle.blocked_until < now),
        )
    )
    return Tidied(
        int(sessions.rowcount),  # type: ignore[attr-defined]
        int(links.rowcount),  # type: ignore[attr-defined]
        int(throttles.rowcount),  # type: ignore[attr-defined]
    )
