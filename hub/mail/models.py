"""The mail outbox: one row per message, sent later by the ``mail`` job and retried."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base, uuid_pk

MAIL_STATUSES = ("pending", "sent", "failed")


class MailMessage(Base):
    """A message owed to one address. The body is erased once the message is sent or given up,
    so links it carried (invitations, password resets) are not kept beyond their use."""

    __tablename__ = "mail_outbox"

    id: Mapped[uuid_pk]
    # What the message is about, as a code: "invitation", "password-reset", ...
    kind: Mapped[str] = mapped_column(sa.String(60), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    __table_args__ = (sa.CheckConstraint("status IN ('pending','sent','failed')", name="status"),)


class MailOptOut(Base):
    """A kind of notification an organisation has turned off (absent: it is on)."""

    __tablename__ = "mail_opt_outs"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(120))
