"""The chunks of an uploaded CSV file: the unit of work the task workers share."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, JSONType

ROWS = "rows"  # rows whose partner_record_id is the file's first: processed in parallel
REPEATS = "repeats"  # rows repeating an earlier partner_record_id: processed last, in order
UNREADABLE = "unreadable"  # where the file stopped being CSV: fails the file at the end

PENDING = "pending"
DONE = "done"
FAILED = "failed"


class CsvChunk(Base):
    """Some rows of an uploaded file, copied to storage by the first pass over it."""

    __tablename__ = "csv_chunks"

    submission_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    index: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING)
    storage_key: Mapped[str | None] = mapped_column(sa.String(1024))
    # The file's row number of each row in the chunk's object, in order.
    rows: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    error: Mapped[str | None] = mapped_column(sa.Text)
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(sa.String(300))  # host:pid of the worker
    # What became of the chunk's rows, kept here rather than added to the submission, so that
    # chunks committing at once never wait for one another's row; summed when read, and into
    # the submission when the file closes.
    accepted: Mapped[int] = mapped_column(default=0, server_default="0")
    replayed: Mapped[int] = mapped_column(default=0, server_default="0")
    rejected: Mapped[int] = mapped_column(default=0, server_default="0")
    errors: Mapped[list[Any] | None] = mapped_column(JSONType, default=list)
    warnings: Mapped[list[Any] | None] = mapped_column(JSONType, default=list)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('rows','repeats','unreadable')", name="kind"),
        sa.CheckConstraint("status IN ('pending','done','failed')", name="status"),
    )
