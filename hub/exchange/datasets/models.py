"""Datasets the regulator publishes, their numbered releases, and every delivery of one."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.clock import utcnow
from hub.db import Base, uuid_pk

DELIVERY_CHANNELS = ("download", "presigned")


class Dataset(Base):
    """A condition-specific table the regulator publishes in versions (releases)."""

    __tablename__ = "datasets"

    id: Mapped[uuid_pk]
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    condition_area: Mapped[str] = mapped_column(sa.String(60), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    releases: Mapped[list[Release]] = relationship(
        back_populates="dataset", order_by="Release.version"
    )


class Release(Base):
    """One immutable version of a dataset's file, as stored in object storage."""

    __tablename__ = "dataset_releases"

    id: Mapped[uuid_pk]
    dataset_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    bytes: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    rows: Mapped[int | None]
    format: Mapped[str] = mapped_column(sa.String(20))
    filename: Mapped[str] = mapped_column(sa.String(200))
    storage_key: Mapped[str] = mapped_column(sa.String(1024))
    published_by: Mapped[str] = mapped_column(sa.String(120))
    # What changed in this release, in the publisher's words.
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    dataset: Mapped[Dataset] = relationship(back_populates="releases")

    __table_args__ = (sa.UniqueConstraint("dataset_id", "version"),)


class Delivery(Base):
    """An outbound exchange: one organisation received one release."""

    __tablename__ = "dataset_deliveries"

    id: Mapped[uuid_pk]
    release_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("dataset_releases.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    delivered_at: Mapped[datetime] = mapped_column(index=True)
    via: Mapped[str] = mapped_column(sa.String(20))
    actor: Mapped[str] = mapped_column(sa.String(120))

    release: Mapped[Release] = relationship()

    __table_args__ = (sa.CheckConstraint("via IN ('download','presigned')", name="via"),)
