"""Webhook endpoints and deliveries to them: a delivery is what is owed to an endpoint and the
record of its sending."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.clock import utcnow
from hub.db import Base, json_list, uuid_pk

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookEndpoint(Base):
    """Where an organisation wants events POSTed; the signing secret is kept encrypted."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[json_list]
    # A Fernet token under a key derived from the hub's secret: signing needs the secret itself,
    # so a one-way hash would not do.
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(120))
    # Deleted endpoints are kept so their delivery log stays readable by the audit trail.
    deleted_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One event owed to one endpoint, and its sending: written in the event's transaction, sent
    later, retried; the only record of the notice."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[uuid_pk]
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    event: Mapped[str] = mapped_column(sa.String(60))
    # The exact JSON sent, so every retry carries (and signs) the same bytes.
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    endpoint: Mapped[WebhookEndpoint] = relationship()

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending','delivered','failed')", name="status"),
    )
