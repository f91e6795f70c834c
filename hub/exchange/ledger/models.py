"""The ledger's closed months: each organisation's figures for a month as it closed."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, uuid_pk


class LedgerMonth(Base):
    """One organisation's ledger for one closed month, written once by the reconcile job."""

    __tablename__ = "ledger_months"

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    # The first day of the month (UTC).
    month: Mapped[date] = mapped_column(sa.Date, index=True)
    records_submitted: Mapped[int]
    records_accepted: Mapped[int]
    records_rejected: Mapped[int]
    records_withdrawn: Mapped[int]
    releases_received: Mapped[int]
    outcomes_received: Mapped[int]
    computed_at: Mapped[datetime]

    __table_args__ = (sa.UniqueConstraint("organisation_id", "month"),)
