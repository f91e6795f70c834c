"""Sending the outbox: each message claimed, sent with no transaction open, and settled.

A message that cannot be sent (the server is down, refuses, times out) waits 1, 2, 4, ...
minutes (at most an hour) and is tried again, up to 30 times (about a day, :data:`RETRY`);
nothing is lost while the mail server is away. A run killed mid-way leaves its claimed messages
to be tried again once the claim's lease runs out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor, system
from hub.audit.services import record
from hub.db import transaction
from hub.mail.models import MailMessage
from hub.mail.outbox import INBOXES
from hub.mail.transport import Transport, build
from hub.retry import RetryPolicy

RETRY = RetryPolicy(base=timedelta(minutes=1), cap=timedelta(hours=1), max_attempts=30)
CLAIM_LEASE = timedelta(minutes=10)


@dataclass
class MailReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed}


def deliver_pending(
    session_factory: sessionmaker[Session],
    transport: Transport,
    *,
    mail_from: str,
    now: datetime,
    limit: int = 100,
    actor: Actor | None = None,
    public_url: str = "",
    inboxes: Mapping[str, str] | None = None,
) -> MailReport:
    """Send every message due at ``now``; audit each one sent or given up.

    ``public_url`` starts the links in bodies; ``inboxes`` gives the address of each inbox a
    message may be written to (``inbox:safeguarding``). A message to an inbox with no address
    is given up at once, and so shows as failed.
    """
    actor = actor or system("mail")
    inboxes = inboxes or {}
    with transaction(session_factory) as session:
        claimed = _claim(session, now, limit)
        messages: list[tuple[uuid.UUID, EmailMessage | None]] = []
        for row in claimed:
            to = inboxes.get(row.to_address) if row.to_address in INBOXES else row.to_address
            messages.append(
                (row.id, build(row, mail_from, to=to, hub_url=public_url) if to else None)
            )
    report = MailReport()
    for message_id, message in messages:
        error = None
        if message is None:
            error = "the inbox has no address (HUB_SAFEGUARDING_EMAIL is empty)"
        else:
            try:
                transport.send(message)
            except (OSError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
        with transaction(session_factory) as session:
            outcome = _settle(session, actor, message_id, now, error, give_up=message is None)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _claim(session: Session, now: datetime, limit: int) -> list[MailMessage]:
    rows = list(
        session.scalars(
            sa.select(MailMessage)
            .where(MailMessage.status == "pending", MailMessage.next_attempt_at <= now)
            .order_by(MailMessage.next_attempt_at, MailMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.next_attempt_at = now + CLAIM_LEASE
    return rows


def _settle(
    session: Session,
    actor: Actor,
    message_id: uuid.UUID,
    now: datetime,
    error: str | None,
    *,
    give_up: bool = False,
) -> str:
    row = session.get(MailMessage, message_id, with_for_update=True)
    if row is None or row.status != "pending":
        return "failed"
    row.attempts += 1
    row.last_attempt_at = now
    row.last_error = error[:500] if error else None
    retry_at = RETRY.retry_at(row.attempts, now, give_up=give_up)
    if error is None:
        row.status, row.sent_at, outcome = "sent", now, "sent"
    elif retry_at is None:
        row.status, outcome = "failed", "failed"
    else:
        row.next_attempt_at = retry_at
        return "retrying"
    row.next_attempt_at = None
    # What the message said (links that open accounts) is not kept once it is used.
    row.body = ""
    record(
        session,
        actor,
        "mail.sent" if outcome == "sent" else "mail.failed",
        object_type="mail",
        object_id=row.id,
        organisation_id=row.organisation_id,
        outcome="success" if outcome == "sent" else "failure",
        details={"kind": row.kind, "attempts": row.attempts},
        now=now,
    )
    return outcome
