"""Providers and locations as the regulator's registry publishes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.clock import utcnow
from hub.db import Base, JSONType, json_list


class Provider(Base):
    __tablename__ = "providers"

    id: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (
        # Name search matches words anywhere in the name (LIKE '%word%'): on PostgreSQL a
        # trigram index answers it without reading the whole registry (migration 0028).
        sa.Index(
            "ix_locations_name_search_trgm",
            "name_search",
            postgresql_using="gin",
            postgresql_ops={"name_search": "gin_trgm_ops"},
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    provider_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("providers.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(300))
    name_search: Mapped[str] = mapped_column(sa.String(300), index=True)
    also_known_as: Mapped[str | None] = mapped_column(sa.String(300))
    postcode: Mapped[str | None] = mapped_column(sa.String(10), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(500))
    region: Mapped[str | None] = mapped_column(sa.String(60), index=True)
    local_authority: Mapped[str | None] = mapped_column(sa.String(120))
    registration_status: Mapped[str] = mapped_column(sa.String(30), default="Registered")
    registration_date: Mapped[date | None] = mapped_column(sa.Date)
    deregistration_date: Mapped[date | None] = mapped_column(sa.Date)
    inspection_directorate: Mapped[str | None] = mapped_column(sa.String(60))
    service_types: Mapped[json_list]
    regulated_activities: Mapped[json_list]
    inspection_categories: Mapped[json_list]
    ratings: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    provider: Mapped[Provider | None] = relationship()


class LocationRelationship(Base):
    """A link between registrations, e.g. a re-registered service and its ``HSCA Predecessor``."""

    __tablename__ = "location_relationships"

    location_id: Mapped[str] = mapped_column(
        sa.ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )
    related_location_id: Mapped[str] = mapped_column(sa.String(20), primary_key=True, index=True)
    type: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    related_location_name: Mapped[str | None] = mapped_column(sa.String(300))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
