"""Reconciliation reports: one per partner per day, rebuilt by the reconcile job."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base, json_dict, uuid_pk


class ReconciliationReport(Base):
    """One partner's reconciliation report for one UTC day; a re-run that day replaces it."""

    __tablename__ = "reconciliation_reports"

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    period: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Ids and counts only: never narratives, names or another partner's record ids.
    body: Mapped[json_dict]

    __table_args__ = (sa.UniqueConstraint("organisation_id", "period"),)
