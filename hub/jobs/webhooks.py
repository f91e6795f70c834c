"""The ``webhooks`` job: send the webhook deliveries that are due, retrying with backoff.

Each delivery is claimed and recorded in its own transaction (``hub.exchange.notify.delivery``),
so a killed run leaves the rest for the next, and a delivered one is never sent again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.context import HubContext
from hub.exchange.notify.webhooks import deliver_pending


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Deliver every pending webhook due at ``now``; counts delivered, retrying and failed."""
    report = deliver_pending(
        session_factory,
        hub_secret=ctx.secret_key,
        now=now,
        allow_private=ctx.settings.webhook_allow_private,
    )
    return dict(report.to_dict())
