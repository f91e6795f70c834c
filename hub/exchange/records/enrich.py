"""Enriching new records for storage: redaction, sentiment, the registry match, fingerprints and
the safeguarding assessment, each over the whole list at once (batched redaction and scoring,
one registry query, one fingerprint query; the registry's place names for redaction are read
once per process, see :mod:`hub.registry.keep_list`). Nothing is written here.

Redaction and the safeguarding assessment are made by :mod:`hub.exchange.records.scan`, which the
rescan job calls too. The redaction stack (spaCy, Presidio) is imported when records are first
enriched, not when this module is: commands and pages that never take in a record start without
loading it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.fingerprint import fingerprint, location_key
from hub.exchange.records.items import Item, Prepared
from hub.exchange.records.models import ExperienceRecord, status_for
from hub.exchange.records.scan import (
    assessment_of,
    classify_many,
    engines_version,
    redact_keeping,
    redact_narratives,
)
from hub.exchange.records.sentiment import score, score_many
from hub.registry.lookup import current_locations
from hub.safeguarding.rules import Assessment

if TYPE_CHECKING:
    from hub.privacy.keep import KeepList
    from hub.privacy.redaction import RedactionResult
    from hub.safeguarding.classifier import Classification


@dataclass
class Row:
    item: Item
    record: dict[str, Any]
    assessment: Assessment | None


@dataclass(frozen=True)
class Precomputed:
    """Redactions and sentiment scores of narratives, worked out before the transaction that
    stores them (a CSV chunk's), so that transaction holds its locks only while it writes."""

    redactions: dict[str, RedactionResult]
    scores: dict[str, float]
    classifications: dict[str, Classification] = field(default_factory=dict)


def precompute(narratives: Sequence[str], keep: KeepList) -> Precomputed:
    """The CPU-heavy part of enrichment for ``narratives``, with no database at all."""
    unique = list(dict.fromkeys(narratives))
    redacted = redact_keeping(unique, keep)
    return Precomputed(
        dict(zip(unique, redacted, strict=True)),
        dict(zip(unique, score_many(unique), strict=True)),
        classify_many(unique),
    )


def build_rows(
    session: Session,
    prepared: Prepared,
    *,
    submission_id: uuid.UUID,
    config: IntakeConfig,
    now: datetime,
    precomputed: Precomputed | None = None,
) -> list[Row]:
    items = prepared.new
    if not items:
        return []
    narratives = [i.candidate.narrative for i in items]
    done = precomputed or Precomputed({}, {})
    missing = [n for n in narratives if n not in done.redactions]
    fresh = dict(zip(missing, redact_narratives(session, missing), strict=True)) if missing else {}
    redacted = [done.redactions.get(n) or fresh[n] for n in narratives]
    scores = [done.scores[n] if n in done.scores else score(n) for n in narratives]
    submitted = [i.candidate.fields["submitted_location_id"] for i in items]
    current = current_locations(session, [x for x in submitted if x])
    places: list[str | None] = [current.get(x) if x else None for x in submitted]
    prints = [
        fingerprint(
            config.fingerprint_key,
            item.candidate.narrative,
            location_key(
                place or item.candidate.fields["submitted_location_id"],
                item.candidate.fields["service_name"],
                item.candidate.fields["service_postcode"],
            ),
            f"{item.candidate.fields['experience_date']:%Y-%m}",
        )
        for item, place in zip(items, places, strict=True)
    ]
    earlier = _earlier_fingerprints(session, prepared.organisation_id, prints)
    rows = []
    for n, item in enumerate(items):
        cand, print_ = item.candidate, prints[n]
        assessment = assessment_of(
            cand.narrative,
            redacted[n],
            concern=cand.concern,
            immediate_risk=cand.immediate_risk,
            categories=cand.categories,
            classifications=done.classifications,
        )
        record_row = {
            **cand.fields,
            "id": uuid.uuid4(),
            "organisation_id": prepared.organisation_id,
            "partner_record_id": cand.partner_record_id,
            "submission_id": submission_id,
            "status": status_for(places[n]),
            "received_at": now,
            "withdrawn_at": None,
            "content_digest": item.digest,
            "location_id": places[n],
            "sentiment_score": scores[n],
            "narrative": cand.narrative,
            "narrative_redacted": redacted[n].text,
            "redactions": dict(redacted[n].entities),
            "safeguarding_concern": cand.concern,
            "safeguarding_immediate": cand.immediate_risk,
            "safeguarding_categories": list(cand.categories),
            "fingerprint": print_,
            "possible_duplicate_of": earlier.get(print_) if print_ else None,
            "scanned_with": engines_version(),
        }
        rows.append(Row(item, record_row, assessment))
    return rows


def _earlier_fingerprints(
    session: Session, organisation_id: uuid.UUID, prints: Sequence[str | None]
) -> dict[str, uuid.UUID]:
    """The first record from another partner with each fingerprint."""
    wanted = sorted({p for p in prints if p})
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(ExperienceRecord.fingerprint, ExperienceRecord.id)
        .where(
            ExperienceRecord.fingerprint.in_(wanted),
            ExperienceRecord.organisation_id != organisation_id,
        )
        .order_by(ExperienceRecord.received_at, ExperienceRecord.id)
    )
    first: dict[str, uuid.UUID] = {}
    for fp, record_id in rows:
        if fp is not None:
            first.setdefault(fp, record_id)
    return first
