"""Audit events chained by hash, the head row (the single ordering point for writers), the index
of signed seals (the seals themselves live in object storage) and stored Merkle subtree roots."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from hub.audit.chain import CHAINED_FIELDS
from hub.db import Base, JSONType

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(sa.String(120), index=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(60))
    object_id: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(20), default="success")
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class AuditHead(Base):
    """One row: the last chained ``seq`` and ``hash``.

    Writers update this row before chaining, which takes a row lock on PostgreSQL and the
    write lock on SQLite, so events from many processes form one unbroken chain.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(sa.String(64))


def chained_columns() -> list[InstrumentedAttribute[Any]]:
    """The columns an event's hash covers, then ``prev_hash`` and ``hash``: what a check reads."""
    return [getattr(AuditEvent, name) for name in (*CHAINED_FIELDS, "prev_hash", "hash")]


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
