"""The record of job runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, JSONType, uuid_pk

RUN_STATUSES = ("running", "succeeded", "failed", "skipped")


class JobRun(Base):
    """One run of a scheduled job, from the moment it took (or failed to take) its lock."""

    __tablename__ = "job_runs"

    id: Mapped[uuid_pk]
    job: Mapped[str] = mapped_column(sa.String(60), index=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20))
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
    host: Mapped[str | None] = mapped_column(sa.String(255))
    pid: Mapped[int | None]

    __table_args__ = (
        sa.CheckConstraint("status IN ('running','succeeded','failed','skipped')", name="status"),
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "job": self.job,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "stats": self.stats,
            "error": self.error,
            "host": self.host,
            "pid": self.pid,
        }
