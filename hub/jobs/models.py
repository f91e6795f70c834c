"""Job runs and the index of audit seals (the signed seals themselves live in object storage)."""

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


class AuditSeal(Base):
    """Where each seal is stored and what it says; a copy, the stored object is authoritative."""

    __tablename__ = "audit_seals"

    upto_seq: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    hash: Mapped[str] = mapped_column(sa.String(64))
    count: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"))
    sealed_at: Mapped[datetime]
    alg: Mapped[str] = mapped_column(sa.String(20))
    key_id: Mapped[str] = mapped_column(sa.String(64))
    signature: Mapped[str] = mapped_column(sa.String(128))
    storage_key: Mapped[str] = mapped_column(sa.String(255))
    object_sha256: Mapped[str] = mapped_column(sa.String(64))
    # RFC 9162 tree head over the event hashes 1..upto_seq; null on seals made before proofs.
    merkle_root: Mapped[str | None] = mapped_column(sa.String(64))


class AuditTreeNode(Base):
    """The root of a perfect aligned subtree of the audit Merkle tree: leaves ``[index * 2**level,
    (index + 1) * 2**level)``. Derived data, written by the audit-seal job from a verified chain
    for ``level >= hub.audit.merkle.CACHED_LEVEL``, so receipts' proofs need not read every leaf.
    """

    __tablename__ = "audit_tree_nodes"

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    hash: Mapped[str] = mapped_column(sa.String(64))  # hex
