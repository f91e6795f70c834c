"""Writing messages to the outbox, in the caller's transaction: a message exists if and only if
the event that caused it was committed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.clock import utcnow
from hub.errors import BAD_TEXT
from hub.mail.models import MailMessage

MAX_SUBJECT = 300
# Written into a body where the hub's address goes: the mail job puts ``HUB_PUBLIC_URL`` there
# when it sends, so services need not know the settings.
HUB_URL = "{hub_url}"
# Addresses the mail job looks up in the settings when it sends.
INBOXES = {"inbox:safeguarding": "HUB_SAFEGUARDING_EMAIL"}
SAFEGUARDING_INBOX = "inbox:safeguarding"


def queue(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    kind: str,
    organisation_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> MailMessage:
    """Owe ``to`` a plain-text message; the ``mail`` job sends it.

    Header values are kept to one line: a subject or address with a line break or control
    character is refused (no header injection).
    """
    for name, value in (("to", to), ("subject", subject)):
        if any(ord(c) < 32 or ord(c) == 127 for c in value) or BAD_TEXT.search(value):
            raise ValueError(f"the {name} of a message must be one line of text")
    if to not in INBOXES and ("@" not in to or len(to) > 320):
        raise ValueError("not an e-mail address")
    now = now or utcnow()
    message = MailMessage(
        id=uuid.uuid4(),
        kind=kind,
        to_address=to,
        subject=subject[:MAX_SUBJECT],
        body=BAD_TEXT.sub("", body),
        organisation_id=organisation_id,
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    return message


def queue_many(
    session: Session,
    recipients: Sequence[str],
    *,
    subject: str,
    body: str,
    kind: str,
    organisation_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> list[MailMessage]:
    """The same message to each of ``recipients`` (one row each, so each is retried alone)."""
    return [
        queue(
            session,
            to=to,
            subject=subject,
            body=body,
            kind=kind,
            organisation_id=organisation_id,
            now=now,
        )
        for to in dict.fromkeys(recipients)
    ]


def messages_to(session: Session, address: str) -> list[MailMessage]:
    """Messages owed or sent to one address, oldest first (for tests and support)."""
    return list(
        session.scalars(
            sa.select(MailMessage)
            .where(MailMessage.to_address == address)
            .order_by(MailMessage.created_at, MailMessage.id)
        )
    )
