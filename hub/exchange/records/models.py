"""Experience records, the submissions that bring them in, and what intake keeps beside them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base, JSONType, json_dict, json_list, uuid_pk

# None is stored as SQL NULL, not JSON 'null': erased equality data must be truly absent.
NullableJSON = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)

# A record's status: matched to a registry location, waiting for one, or withdrawn (a tombstone).
ACCEPTED = "accepted"
NEEDS_RECONCILIATION = "needs_reconciliation"
WITHDRAWN = "withdrawn"
RECORD_STATUSES = (ACCEPTED, NEEDS_RECONCILIATION, WITHDRAWN)
CHANNELS = ("api", "batch", "csv")
SUBMISSION_STATUSES = ("processing", "completed", "failed")


class Submission(Base):
    """An inbound exchange: one API call, one batch or one CSV file."""

    __tablename__ = "submissions"

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    channel: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(20), default="processing")
    submitted_by: Mapped[str] = mapped_column(sa.String(120))
    declared_count: Mapped[int] = mapped_column(default=0)
    accepted_count: Mapped[int] = mapped_column(default=0)
    replayed_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    # Row-level problems as [{row, column, message}]. Messages may quote a cell of a file (a
    # date, a value not in a vocabulary) but never the narrative or an equality answer.
    errors: Mapped[json_list]
    # Rows taken with something left out (equality answers without consent), the same shape.
    warnings: Mapped[list[Any] | None] = mapped_column(JSONType, default=list)
    # For files: where the upload is kept and its digest (a re-upload is recognised by it).
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    storage_key: Mapped[str | None] = mapped_column(sa.String(1024))
    sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    completed_at: Mapped[datetime | None]

    __table_args__ = (
        sa.CheckConstraint("channel IN ('api','batch','csv')", name="channel"),
        sa.CheckConstraint("status IN ('processing','completed','failed')", name="status"),
    )


class ExperienceRecord(Base):
    """One person's account of care, as a partner sent it (CONTRACT §4).

    On withdrawal the row stays as a tombstone (ids, dates, structure) while the narrative, its
    redacted copy, equality data and the digests derived from the narrative are set to NULL.
    """

    __tablename__ = "experience_records"

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("organisations.id"))
    partner_record_id: Mapped[str] = mapped_column(sa.String(100))
    submission_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(30))
    received_at: Mapped[datetime] = mapped_column(index=True)
    withdrawn_at: Mapped[datetime | None]
    # HMAC of the normalised content: an identical resubmission is a replay, not a conflict.
    content_digest: Mapped[str | None] = mapped_column(sa.String(64))

    submitted_location_id: Mapped[str | None] = mapped_column(sa.String(20))
    location_id: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    service_name: Mapped[str | None] = mapped_column(sa.String(300))
    service_postcode: Mapped[str | None] = mapped_column(sa.String(10))
    service_type: Mapped[str | None] = mapped_column(sa.String(60))
    experience_date: Mapped[date] = mapped_column(sa.Date)
    date_precision: Mapped[str] = mapped_column(sa.String(5))
    respondent_role: Mapped[str | None] = mapped_column(sa.String(60))
    collection_channel: Mapped[str | None] = mapped_column(sa.String(60))
    overall_experience: Mapped[int | None] = mapped_column(sa.SmallInteger)
    sentiment: Mapped[str | None] = mapped_column(sa.String(20))
    sentiment_score: Mapped[float | None] = mapped_column(sa.Float)
    key_questions: Mapped[json_list]
    condition_areas: Mapped[json_list]
    themes: Mapped[json_list]

    narrative: Mapped[str | None] = mapped_column(sa.Text)
    narrative_redacted: Mapped[str | None] = mapped_column(sa.Text)
    redactions: Mapped[json_dict]
    equality: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)

    safeguarding_concern: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    safeguarding_immediate: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    safeguarding_categories: Mapped[json_list]

    fingerprint: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # Digest of the engines that last redacted and screened the narrative (``scan.ENGINES``):
    # the rescan job reads again only records scanned with other engines.
    scanned_with: Mapped[str | None] = mapped_column(sa.String(64))
    possible_duplicate_of: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "partner_record_id"),
        sa.CheckConstraint(
            "status IN ('accepted','needs_reconciliation','withdrawn')", name="status"
        ),
        sa.CheckConstraint("date_precision IN ('day','month')", name="date_precision"),
        sa.Index("ix_experience_records_org_received", "organisation_id", "received_at", "id"),
    )


class LocationDailyCount(Base):
    """Negative accounts about a location received on one day (UTC) and not withdrawn
    (``hub.exchange.records.location_counts`` keeps it; the inspector's ranking reads it)."""

    __tablename__ = "location_daily_counts"

    location_id: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    negatives: Mapped[int] = mapped_column(default=0)


class LocationRecentCount(Base):
    """The sum of a location's daily counts from ``from_day`` on: the ranking's window, rolled
    forward as days pass (``hub.exchange.records.location_counts``)."""

    __tablename__ = "location_recent_counts"

    location_id: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    from_day: Mapped[date] = mapped_column(sa.Date, index=True)
    negatives: Mapped[int] = mapped_column(default=0, index=True)


class IdempotentResponse(Base):
    """The first answer to a request sent with an ``Idempotency-Key``, replayed on a retry."""

    __tablename__ = "idempotent_responses"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    endpoint: Mapped[str] = mapped_column(sa.String(100))
    request_digest: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int] = mapped_column(sa.SmallInteger)
    # Bodies answered to write requests hold ids and statuses, never narratives.
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ReconciliationCandidate(Base):
    """Registry locations that might be the one an unmatched record means, for a person to pick."""

    __tablename__ = "reconciliation_candidates"

    experience_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("experience_records.id", ondelete="CASCADE"), primary_key=True
    )
    # [{"location_id": ..., "score": ...}], best first.
    candidates: Mapped[json_list]
    checked_at: Mapped[datetime]


def status_for(current_location_id: str | None) -> str:
    """A record is matched when it names a known location; otherwise it waits for reconciling."""
    return ACCEPTED if current_location_id else NEEDS_RECONCILIATION


def not_withdrawn() -> sa.ColumnElement[bool]:
    """Records that may still appear in anything produced: never withdrawn ones."""
    return sa.and_(ExperienceRecord.status != WITHDRAWN, ExperienceRecord.withdrawn_at.is_(None))
