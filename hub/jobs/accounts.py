"""The ``accounts-tidy`` job: forget ended sessions, spent links and quiet sign-in counters
(``hub.identity.tidy``), in one short transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.context import HubContext
from hub.db import transaction
from hub.identity.tidy import tidy


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Counts of sessions, links and throttle counters deleted."""
    with transaction(session_factory) as session:
        return tidy(session, now=now).to_dict()
