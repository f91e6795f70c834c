"""Time and identifiers come from here, so tests and jobs can fix them."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def token_urlsafe(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
