"""Who a bearer token stands for, as every API request asks it: kept a moment per process.

The answer for a token (its client, organisation and scopes) is kept ``TTL_SECONDS`` at most and
only while the token is usable (``token_in_use``: not revoked or expired, its client not
disabled, its organisation not suspended). Revoking a token, disabling a client or suspending an
organisation in this process takes effect for its next request; done by another process, within
``TTL_SECONDS`` (docs/security.md). A token's expiry is checked on every request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hub.cache import TTL_SECONDS, ProcessCache
from hub.cache_sessions import cached
from hub.identity.models import OAuthClient, OAuthToken, Organisation
from hub.identity.passwords import token_digest
from hub.identity.services import token_in_use

MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class Bearer:
    """A usable token's holder: what an API request's actor is made of."""

    client_id: str
    organisation_id: uuid.UUID
    organisation_kind: str
    scopes: frozenset[str]
    expires_at: datetime


_BEARERS: ProcessCache[str, Bearer | None] = ProcessCache(
    "bearer tokens",
    tables={OAuthToken.__tablename__, OAuthClient.__tablename__, Organisation.__tablename__},
    ttl=TTL_SECONDS,
)


def bearer(session: Session, access_token: str, *, now: datetime) -> Bearer | None:
    """The holder of ``access_token`` while it may be used; None otherwise."""
    if not access_token or len(access_token) > MAX_TOKEN_LENGTH:
        return None

    def load() -> Bearer | None:
        found = token_in_use(session, access_token, now=now)
        if found is None:
            return None
        token = found.token
        return Bearer(
            client_id=found.client.client_id,
            organisation_id=token.organisation_id,
            organisation_kind=found.organisation.kind,
            scopes=token.scopes,
            expires_at=token.expires_at,
        )

    held = cached(session, _BEARERS, token_digest(access_token), load)
    return held if held is not None and now < held.expires_at else None
