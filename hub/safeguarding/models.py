"""The safeguarding escalation queue."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, JSONType, json_list, uuid_pk


class SafeguardingAlert(Base):
    __tablename__ = "safeguarding_alerts"

    id: Mapped[uuid_pk]
    # Named by table, not imported: exchange depends on safeguarding, not the other way.
    experience_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("experience_records.id", ondelete="CASCADE"), unique=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    location_id: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    categories: Mapped[json_list]
    immediate: Mapped[bool] = mapped_column(sa.Boolean)
    source: Mapped[str] = mapped_column(sa.String(30))
    rules: Mapped[json_list]
    # Why: [{category, source, words}], the words quoted with identifiers redacted.
    reasons: Mapped[json_list] = mapped_column(JSONType, default=list, server_default="[]")
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    queue_rank: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    raised_at: Mapped[datetime]
    # Raised by a later rescan of the record, not at intake; then received_at (when the record
    # came in) is earlier than raised_at.
    found_late: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    received_at: Mapped[datetime | None]
    due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(sa.String(120))
    referred_at: Mapped[datetime | None]
    referred_by: Mapped[str | None] = mapped_column(sa.String(120))
    referral_reason: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("status IN ('open','acknowledged','referred')", name="status"),
        sa.Index("ix_safeguarding_alerts_queue", "queue_rank", "due_at", "id"),
    )
