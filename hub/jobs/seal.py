"""The ``audit-seal`` job: check the chain and every seal, then seal the head
(``hub.audit.sealing`` says how, and why it is safe to repeat)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.audit.sealing import seal_chain
from hub.context import HubContext


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Check the chain and every seal, adopt stored seals the index lacks, seal the head."""
    return seal_chain(ctx, session_factory, now=now)
