"""The ``mail`` job: send the mail outbox's messages that are due, retrying with backoff.

Each message is claimed and settled in its own transaction (``hub.mail.delivery``), so a killed
run leaves the rest for the next, and a sent message is never sent again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.context import HubContext
from hub.mail.delivery import deliver_pending
from hub.mail.outbox import SAFEGUARDING_INBOX
from hub.mail.transport import transport_from_settings


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Send every message due at ``now``; counts sent, retrying and failed."""
    report = deliver_pending(
        session_factory,
        transport_from_settings(ctx.settings),
        mail_from=ctx.settings.mail_from,
        now=now,
        public_url=ctx.settings.public_url,
        inboxes={SAFEGUARDING_INBOX: ctx.settings.safeguarding_email},
    )
    return report.to_dict()
