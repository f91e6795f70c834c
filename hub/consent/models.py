"""The consent behind each experience record."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base, json_list, uuid_pk


class ConsentRecord(Base):
    """One per experience record. The scope flags repeat ``scopes`` so later jobs filter cheaply."""

    __tablename__ = "consent_records"

    id: Mapped[uuid_pk]
    # Named by table, not imported: consent sits below exchange in the dependency order.
    experience_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("experience_records.id", ondelete="CASCADE"), unique=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    scopes: Mapped[json_list]
    publish_anonymised: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    feedback: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    equality_monitoring: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    obtained_at: Mapped[datetime | None]
    method: Mapped[str | None] = mapped_column(sa.String(40))
    lawful_basis: Mapped[str] = mapped_column(sa.String(40))
    notice_version: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(20), default="given")
    receipt_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]

    __table_args__ = (sa.CheckConstraint("status IN ('given','withdrawn')", name="status"),)

    def allows(self, scope: str) -> bool:
        """Tell whether the consent is in force and covers ``scope``."""
        return self.status == "given" and scope in (self.scopes or [])
