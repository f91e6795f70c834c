"""\"You said, we did\": what the regulator did with partners' records, and which records."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base, uuid_pk

OUTCOME_KINDS = (
    "used-in-inspection",
    "shared-with-provider",
    "informed-monitoring",
    "safeguarding-referral",
    "no-action-yet",
)


class Outcome(Base):
    """One thing the regulator did, told back to the partners whose records informed it."""

    __tablename__ = "outcomes"

    id: Mapped[uuid_pk]
    kind: Mapped[str] = mapped_column(sa.String(40))
    summary: Mapped[str] = mapped_column(sa.Text)
    # Checked against the registry when recorded, not by a foreign key: registry imports replace
    # locations and must not be blocked by outcomes that named them.
    location_id: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    report_url: Mapped[str | None] = mapped_column(sa.String(2000))
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    created_by: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('used-in-inspection','shared-with-provider','informed-monitoring',"
            "'safeguarding-referral','no-action-yet')",
            name="kind",
        ),
    )


class OutcomeRecord(Base):
    """Links an outcome to one experience record it drew on."""

    __tablename__ = "outcome_records"

    outcome_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("outcomes.id", ondelete="CASCADE"), primary_key=True
    )
    record_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("experience_records.id", ondelete="CASCADE"), primary_key=True, index=True
    )
