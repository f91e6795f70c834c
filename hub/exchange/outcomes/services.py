"""Recording "you said, we did" outcomes and showing each partner the ones about its records."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.consent.models import ConsentRecord
from hub.errors import NotFound, ValidationFailed
from hub.exchange.notify import mail as notify_mail
from hub.exchange.notify import webhooks
from hub.exchange.outcomes.models import OUTCOME_KINDS, Outcome, OutcomeRecord
from hub.exchange.records.models import WITHDRAWN, ExperienceRecord
from hub.exchange.records.validation import UK_AHEAD_OF_UTC
from hub.keyset import keyset_page
from hub.registry.models import Location

OUTCOME_CREATED = "outcome.created"
REGULATOR_READ = "regulator:read"
MAX_RECORDS = 1000
MAX_SUMMARY = 5000
MAX_REPORT_URL = 2000


def _sees_all(actor: Actor) -> bool:
    return actor.has(REGULATOR_READ)


def _relayable(organisation_id: uuid.UUID | None) -> sa.ColumnElement[bool]:
    """Links a partner may hear about: its own records whose consent in force allows feedback."""
    return sa.and_(
        ExperienceRecord.organisation_id == organisation_id,
        ConsentRecord.status == "given",
        ConsentRecord.feedback.is_(True),
    )


def _links(
    session: Session, actor: Actor, outcome_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The record ids each outcome shows this caller: all for the regulator, else its own."""
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    if not outcome_ids:
        return found
    stmt = (
        sa.select(OutcomeRecord.outcome_id, OutcomeRecord.record_id)
        .join(ExperienceRecord, ExperienceRecord.id == OutcomeRecord.record_id)
        .where(OutcomeRecord.outcome_id.in_(outcome_ids))
        .order_by(OutcomeRecord.outcome_id, OutcomeRecord.record_id)
    )
    if not _sees_all(actor):
        stmt = stmt.join(ConsentRecord, ConsentRecord.experience_id == ExperienceRecord.id).where(
            _relayable(actor.organisation_id)
        )
    for outcome_id, record_id in session.execute(stmt):
        found[outcome_id].append(str(record_id))
    return found


def describe(outcome: Outcome, record_ids: Iterable[str]) -> dict[str, Any]:
    """An outcome with the record ids the caller may see (domain values: callers format them)."""
    return {
        "id": str(outcome.id),
        "kind": outcome.kind,
        "summary": outcome.summary,
        "location_id": outcome.location_id,
        "report_url": outcome.report_url,
        "occurred_on": outcome.occurred_on,
        "record_ids": list(record_ids),
        "created_at": outcome.created_at,
    }


def _event_data(outcome: Outcome, record_ids: Iterable[str]) -> dict[str, Any]:
    """The ``data`` of an ``outcome.created`` webhook: the outcome, dates as ISO 8601."""
    data = describe(outcome, record_ids)
    data["occurred_on"] = outcome.occurred_on.isoformat()
    data["created_at"] = outcome.created_at.isoformat()
    return data


def _check(
    session: Session,
    *,
    kind: str,
    summary: str,
    report_url: str | None,
    location_id: str | None,
    record_ids: Sequence[uuid.UUID],
    occurred_on: date,
    now: datetime,
) -> list[ExperienceRecord]:
    errors: dict[str, list[str]] = {}
    # What was done is done: a date after today where the regulator works is a slip.
    if occurred_on > (now + UK_AHEAD_OF_UTC).date():
        errors["occurred_on"] = ["Must not be in the future."]
    if kind not in OUTCOME_KINDS:
        errors["kind"] = [f"Choose from: {', '.join(OUTCOME_KINDS)}."]
    if not summary.strip():
        errors["summary"] = ["Say what was done."]
    elif len(summary) > MAX_SUMMARY:
        errors["summary"] = [f"At most {MAX_SUMMARY} characters."]
    if report_url is not None and (
        len(report_url) > MAX_REPORT_URL
        or urlsplit(report_url).scheme not in ("http", "https")
        or not urlsplit(report_url).netloc
    ):
        errors["report_url"] = [
            f"A web address starting https:// of at most {MAX_REPORT_URL} characters."
        ]
    if location_id is not None and session.get(Location, location_id) is None:
        errors["location_id"] = [f"No registered location {location_id}."]
    if not record_ids:
        errors["record_ids"] = ["Name at least one record."]
    elif len(record_ids) > MAX_RECORDS:
        errors["record_ids"] = [f"Name at most {MAX_RECORDS} records."]
    rows: list[ExperienceRecord] = []
    if record_ids and "record_ids" not in errors:
        rows = list(
            session.scalars(
                sa.select(ExperienceRecord).where(ExperienceRecord.id.in_(set(record_ids)))
            )
        )
        known = {r.id for r in rows}
        unknown = sorted({str(i) for i in record_ids if i not in known})
        if unknown:
            errors["record_ids"] = [f"No such records: {', '.join(unknown)}."]
    if errors:
        raise ValidationFailed("The outcome is not valid.", errors=errors)
    return rows


def create_outcome(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    summary: str,
    location_id: str | None,
    record_ids: Sequence[uuid.UUID],
    report_url: str | None = None,
    occurred_on: date,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record an outcome against records; tell each partner whose person agreed to hear back."""
    now = now or utcnow()
    rows = _check(
        session,
        kind=kind,
        summary=summary,
        report_url=report_url,
        location_id=location_id,
        record_ids=record_ids,
        occurred_on=occurred_on,
        now=now,
    )
    if actor.organisation_id is None:
        raise ValidationFailed("Outcomes are recorded by an organisation.")
    outcome = Outcome(
        id=uuid.uuid4(),
        kind=kind,
        summary=summary,
        location_id=location_id,
        report_url=report_url,
        occurred_on=occurred_on,
        organisation_id=actor.organisation_id,
        created_by=actor.label,
        created_at=now,
    )
    session.add(outcome)
    session.flush()
    ids = sorted({r.id for r in rows})
    session.execute(
        sa.insert(OutcomeRecord), [{"outcome_id": outcome.id, "record_id": i} for i in ids]
    )
    record(
        session,
        actor,
        OUTCOME_CREATED,
        object_type="outcome",
        object_id=outcome.id,
        now=now,
        details={"kind": kind, "records": len(ids)},
    )
    _notify(session, outcome, ids, now=now)
    return describe(outcome, [str(i) for i in ids])


@dataclass(frozen=True)
class Chosen:
    """Records chosen for an outcome, and the references that matched none."""

    record_ids: list[uuid.UUID]
    missing: list[str]


def records_by_reference(
    session: Session, organisation_id: uuid.UUID, references: Iterable[str]
) -> Chosen:
    """A partner's records named by the partner's own references (withdrawn ones left out)."""
    wanted = list(dict.fromkeys(r.strip() for r in references if r.strip()))
    if len(wanted) > MAX_RECORDS:
        raise ValidationFailed(
            f"Name at most {MAX_RECORDS} records.",
            errors={"references": [f"Enter at most {MAX_RECORDS} references."]},
        )
    found: dict[str, uuid.UUID] = {}
    if wanted:
        rows = session.execute(
            sa.select(ExperienceRecord.partner_record_id, ExperienceRecord.id).where(
                ExperienceRecord.organisation_id == organisation_id,
                ExperienceRecord.partner_record_id.in_(wanted),
                ExperienceRecord.status != WITHDRAWN,
            )
        )
        found = {reference: record_id for reference, record_id in rows}
    return Chosen([found[r] for r in wanted if r in found], [r for r in wanted if r not in found])


def records_at_location(session: Session, location_id: str, first: date, last: date) -> Chosen:
    """Records about a location (as matched, or as the partner gave it) of experiences between
    ``first`` and ``last`` inclusive, withdrawn ones left out; at most MAX_RECORDS."""
    if last < first:
        raise ValidationFailed(
            "The period ends before it starts.",
            errors={"period_to": ["The end of the period must be on or after its start."]},
        )
    rows = session.scalars(
        sa.select(ExperienceRecord.id)
        .where(
            sa.or_(
                ExperienceRecord.location_id == location_id,
                ExperienceRecord.submitted_location_id == location_id,
            ),
            ExperienceRecord.experience_date >= first,
            ExperienceRecord.experience_date <= last,
            ExperienceRecord.status != WITHDRAWN,
        )
        .order_by(ExperienceRecord.experience_date, ExperienceRecord.id)
        .limit(MAX_RECORDS + 1)
    ).all()
    if len(rows) > MAX_RECORDS:
        raise ValidationFailed(
            f"More than {MAX_RECORDS} records match; choose a shorter period.",
            errors={
                "period_from": [f"More than {MAX_RECORDS} records match: choose a shorter period."]
            },
        )
    return Chosen(list(rows), [])


def _notify(
    session: Session, outcome: Outcome, record_ids: Sequence[uuid.UUID], *, now: datetime
) -> None:
    """Queue ``outcome.created`` for each partner, naming only its own relayable records."""
    stmt = (
        sa.select(ExperienceRecord.organisation_id, ExperienceRecord.id)
        .join(ConsentRecord, ConsentRecord.experience_id == ExperienceRecord.id)
        .where(
            ExperienceRecord.id.in_(record_ids),
            ConsentRecord.status == "given",
            ConsentRecord.feedback.is_(True),
        )
        .order_by(ExperienceRecord.organisation_id, ExperienceRecord.id)
    )
    by_partner: dict[uuid.UUID, list[str]] = defaultdict(list)
    for organisation_id, record_id in session.execute(stmt):
        by_partner[organisation_id].append(str(record_id))
    webhooks.enqueue_many(
        session,
        [
            webhooks.Event(
                event=OUTCOME_CREATED,
                data=_event_data(outcome, own),
                organisation_ids=frozenset({organisation_id}),
                occurred_at=now,
            )
            for organisation_id, own in by_partner.items()
        ],
    )
    notify_mail.outcome_recorded(
        session,
        outcome_id=outcome.id,
        kind=outcome.kind,
        records_by_partner={org: len(own) for org, own in by_partner.items()},
        now=now,
    )


def _visible_outcomes(actor: Actor) -> sa.Select[Any]:
    stmt = sa.select(Outcome)
    if _sees_all(actor):
        return stmt
    touching = (
        sa.select(OutcomeRecord.record_id)
        .join(ExperienceRecord, ExperienceRecord.id == OutcomeRecord.record_id)
        .join(ConsentRecord, ConsentRecord.experience_id == ExperienceRecord.id)
        .where(OutcomeRecord.outcome_id == Outcome.id, _relayable(actor.organisation_id))
    )
    return stmt.where(touching.exists())


def list_outcomes(
    session: Session,
    actor: Actor,
    *,
    kind: str | None = None,
    location_id: str | None = None,
    limit: int,
    after: list[Any] | None = None,
) -> tuple[list[dict[str, Any]], list[Any] | None]:
    """A page of outcomes touching the caller's records (the regulator's: all), newest first."""
    stmt = _visible_outcomes(actor)
    if kind is not None:
        stmt = stmt.where(Outcome.kind == kind)
    if location_id is not None:
        stmt = stmt.where(Outcome.location_id == location_id)
    keys: list[Any] = [Outcome.created_at, Outcome.id]
    rows: list[Outcome]
    rows, next_key = keyset_page(session, stmt, keys, limit=limit, after=after, descending=True)
    links = _links(session, actor, [o.id for o in rows])
    return [describe(o, links.get(o.id, [])) for o in rows], next_key


def outcomes_for_record(
    session: Session, actor: Actor, record_id: uuid.UUID
) -> list[dict[str, Any]]:
    """The outcomes linked to one record the caller can see; another partner's record is 404."""
    rec = session.get(ExperienceRecord, record_id)
    if rec is None or not (_sees_all(actor) or rec.organisation_id == actor.organisation_id):
        raise NotFound("No such experience record.")
    return outcomes_linked(session, actor, record_id)


def outcomes_linked(session: Session, actor: Actor, record_id: uuid.UUID) -> list[dict[str, Any]]:
    """Outcomes on a record already known to be visible (for the record's own answer)."""
    stmt = (
        _visible_outcomes(actor)
        .join(OutcomeRecord, OutcomeRecord.outcome_id == Outcome.id)
        .where(OutcomeRecord.record_id == record_id)
        .order_by(Outcome.created_at.desc(), Outcome.id.desc())
    )
    rows = list(session.scalars(stmt))
    links = _links(session, actor, [o.id for o in rows])
    # A partner hears of an outcome on this record only if this record's own consent allows it.
    return [
        describe(o, links[o.id])
        for o in rows
        if _sees_all(actor) or str(record_id) in links.get(o.id, [])
    ]
