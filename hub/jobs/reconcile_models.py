"""What the reconcile job keeps: reports for partners, and candidates for records left unmatched."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base, json_dict, json_list, uuid_pk


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


class ReconciliationCandidate(Base):
    """Registry locations that might be the one an unmatched record means, for a person to pick."""

    __tablename__ = "reconciliation_candidates"

    experience_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("experience_records.id", ondelete="CASCADE"), primary_key=True
    )
    # [{"location_id": ..., "score": ...}], best first.
    candidates: Mapped[json_list]
    checked_at: Mapped[datetime]
