"""The intake pipeline over a list of submitted records: check, de-duplicate, enrich, store.

Everything is done for the whole list at once (one vocabulary load, one query for existing ids,
one for registry matches, one for fingerprints, batched redaction and scoring, bulk inserts), so
a batch costs a handful of queries however many records it holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.exchange.records import location_counts
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.dependants import write_dependants
from hub.exchange.records.enrich import Precomputed, Row, build_rows
from hub.exchange.records.fingerprint import content_digest
from hub.exchange.records.items import CREATED, REJECTED, REPLAYED, Item, ItemResult, Prepared
from hub.exchange.records.models import WITHDRAWN, ExperienceRecord, status_for
from hub.exchange.records.validation import (
    DUPLICATE_CONFLICT,
    Rejection,
    partner_record_id_of,
    validate_record,
)
from hub.registry.lookup import current_locations
from hub.vocab.services import load_vocabularies

_RETRIES = 5


def prepare(
    session: Session,
    organisation_id: uuid.UUID,
    raws: Sequence[Any],
    *,
    config: IntakeConfig,
    now: datetime,
) -> Prepared:
    """Validate every record and sort out replays and conflicts; nothing is written."""
    vocab = load_vocabularies(session)
    results: list[ItemResult | None] = [None] * len(raws)
    primaries: dict[str, Item] = {}
    followers: list[tuple[Item, Item]] = []
    for index, raw in enumerate(raws):
        checked = validate_record(raw, vocab, now)
        if isinstance(checked, Rejection):
            results[index] = ItemResult(
                index,
                partner_record_id_of(raw),
                REJECTED,
                code=checked.code,
                errors=checked.errors,
            )
            continue
        item = Item(index, checked, content_digest(config.digest_key, checked.content()))
        first = primaries.setdefault(checked.partner_record_id, item)
        if first is not item:
            followers.append((item, first))
    new = _against_stored(session, organisation_id, primaries, results)
    return Prepared(organisation_id, results, new, followers)


def _against_stored(
    session: Session,
    organisation_id: uuid.UUID,
    items: Mapping[str, Item],
    results: list[ItemResult | None],
) -> list[Item]:
    """Decide replays and conflicts against stored records; return the items still new."""
    if not items:
        return []
    stored = session.execute(
        sa.select(
            ExperienceRecord.partner_record_id,
            ExperienceRecord.id,
            ExperienceRecord.content_digest,
            ExperienceRecord.status,
        ).where(
            ExperienceRecord.organisation_id == organisation_id,
            ExperienceRecord.partner_record_id.in_(list(items)),
        )
    )
    seen: set[str] = set()
    for pid, record_id, digest, status in stored:
        item = items[pid]
        seen.add(pid)
        if status != WITHDRAWN and digest == item.digest:
            results[item.index] = ItemResult(
                item.index,
                pid,
                REPLAYED,
                id=record_id,
                record_status=status,
                equality_dropped=item.candidate.equality_dropped,
            )
        else:
            message = (
                "A record with this partner_record_id was withdrawn; its id cannot be reused."
                if status == WITHDRAWN
                else "A different record with this partner_record_id was already submitted."
            )
            results[item.index] = ItemResult(
                item.index,
                pid,
                REJECTED,
                id=record_id,
                code=DUPLICATE_CONFLICT,
                errors={"partner_record_id": [message]},
            )
    return [item for pid, item in items.items() if pid not in seen]


def preview(session: Session, prepared: Prepared) -> list[ItemResult]:
    """Finish a dry run: say what each new record would become, storing nothing."""
    ids = [i.candidate.fields["submitted_location_id"] for i in prepared.new]
    current = current_locations(session, [x for x in ids if x])
    for item in prepared.new:
        submitted = item.candidate.fields["submitted_location_id"]
        prepared.results[item.index] = ItemResult(
            item.index,
            item.candidate.partner_record_id,
            CREATED,
            record_status=status_for(current.get(submitted) if submitted else None),
            equality_dropped=item.candidate.equality_dropped,
        )
    _settle_followers(prepared)
    return prepared.finished()


def store(
    session: Session,
    actor: Actor,
    prepared: Prepared,
    *,
    submission_id: uuid.UUID,
    config: IntakeConfig,
    now: datetime,
    precomputed: Precomputed | None = None,
) -> list[ItemResult]:
    """Enrich and insert the new records with their consents, alerts, notices and audit events."""
    rows = build_rows(
        session,
        prepared,
        submission_id=submission_id,
        config=config,
        now=now,
        precomputed=precomputed,
    )
    # One order for every writer: overlapping batches then wait on each other, never deadlock.
    rows.sort(key=lambda r: r.item.candidate.partner_record_id)
    rows = _insert_new(session, prepared, rows)
    write_dependants(session, actor, prepared, rows, config=config, now=now)
    # The per-location counts are rows every writer shares: updated last, so they are held only
    # from here to the commit (then the audit head, the last row a writer locks), and
    # transactions storing records for the same locations (a file's chunks) overlap until here.
    location_counts.add_records(session, [r.record for r in rows], now=now)
    _settle_followers(prepared)
    return prepared.finished()


def _insert_new(session: Session, prepared: Prepared, rows: list[Row]) -> list[Row]:
    """Insert the records, skipping those whose partner_record_id a concurrent submission stored
    first (each is then decided against the stored one, as in ``prepare``); the rows inserted.

    One statement, with no savepoint: ``ON CONFLICT DO NOTHING`` waits for a concurrent writer
    of the same id and skips the row if that writer commits.
    """
    table = ExperienceRecord.__table__
    bind = session.get_bind()
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.organisation_id, table.c.partner_record_id])
        .execution_options(preserve_rowcount=True)
    )
    inserted: list[Row] = []
    for _attempt in range(_RETRIES):
        if not rows:
            return inserted
        # No RETURNING: a plain executemany is much cheaper, and its row count says whether
        # every row went in (nearly always); only when one did not are the ids read back.
        result = session.execute(stmt, [r.record for r in rows])
        count = result.rowcount if isinstance(result, sa.CursorResult) else -1
        if count == len(rows) and bind.dialect.supports_sane_multi_rowcount:
            written = {r.record["id"] for r in rows}
        else:
            written = set(
                session.scalars(
                    sa.select(table.c.id).where(table.c.id.in_([r.record["id"] for r in rows]))
                )
            )
        inserted += [r for r in rows if r.record["id"] in written]
        skipped = {
            r.item.candidate.partner_record_id: r.item
            for r in rows
            if r.record["id"] not in written
        }
        if not skipped:
            return inserted
        # Stored by someone else meanwhile: a replay or a conflict now, like any stored one.
        still_new = {
            i.index
            for i in _against_stored(session, prepared.organisation_id, skipped, prepared.results)
        }
        rows = [r for r in rows if r.item.index in still_new]
    raise RuntimeError("intake kept colliding with concurrent submissions")


def _settle_followers(prepared: Prepared) -> None:
    """A record repeated within one submission shares the first copy's fate (or conflicts)."""
    for item, first in prepared.followers:
        lead = prepared.results[first.index]
        assert lead is not None
        pid = item.candidate.partner_record_id
        if item.digest == first.digest and lead.status in (CREATED, REPLAYED):
            prepared.results[item.index] = ItemResult(
                item.index,
                pid,
                REPLAYED,
                id=lead.id,
                record_status=lead.record_status,
                equality_dropped=item.candidate.equality_dropped,
            )
        elif lead.status == REJECTED:
            prepared.results[item.index] = ItemResult(
                item.index, pid, REJECTED, id=lead.id, code=lead.code, errors=lead.errors
            )
        else:
            prepared.results[item.index] = ItemResult(
                item.index,
                pid,
                REJECTED,
                code=DUPLICATE_CONFLICT,
                errors={
                    "partner_record_id": [
                        f"Record {first.index} of this submission has this partner_record_id with "
                        "different content."
                    ]
                },
            )
