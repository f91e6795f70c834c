"""Auditors' pages: the audit log with filters and its export, the chain's verification and seals,
each partner's exchanges month by month, and the job runs."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Response, render_template, request, url_for
from sqlalchemy.orm import Session

from hub.audit.checks import chain_status
from hub.audit.models import AuditEvent
from hub.audit.queries import EventFilter, covering_seal, export_csv, list_events, sealed_upto_seqs
from hub.errors import BAD_TEXT, ValidationFailed
from hub.exchange.ledger.timeline import get_partner, list_partners, partner_timeline
from hub.identity.names import actor_names
from hub.identity.services import list_organisations
from hub.jobs.history import checked_upto, job_names, last_check, list_runs
from hub.keyset import decode_cursor, encode_cursor
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.pages import AUDITOR_ROLES
from hub.registry.lookup import location_names
from hub.web import csv_download, db, hub_context, judges_its_own_query

PAGE_SIZE = 50
RUNS_PAGE_SIZE = 50
HASH_PREFIX = 12
FILTERS = ("action", "organisation_id", "object_id", "actor", "from", "to")


def _text(name: str, limit: int = 120) -> str:
    return (request.args.get(name) or "").strip()[:limit]


_DAY_NAMES = {"from": "first day", "to": "last day"}
_MONTH_NAMES = {"from": "first month", "to": "last month"}


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        # Named, so two wrong dates are not two identical messages.
        errors[field] = f"The {_DAY_NAMES[field]} must be a date as year-month-day, like 2026-10-31"
        return None


# The text filters' mistakes (a NUL byte or an unpaired surrogate, which no event holds).
_TEXT_MISTAKES = {
    "action": "Enter an action as the log writes it, like dataset.downloaded or dataset.*",
    "object_id": "Enter an object id as the log writes it, like the id of a record or release",
    "actor": "Enter an actor as the log writes it, like user:… or client:hub_…",
}


def _event_filter(values: dict[str, str]) -> tuple[EventFilter, dict[str, str]]:
    """The filters as the form gave them; ``to`` is a whole day, so the filter ends after it."""
    errors: dict[str, str] = {}
    for name, mistake in _TEXT_MISTAKES.items():
        if BAD_TEXT.search(values[name]):
            errors[name] = mistake
    organisation_id = None
    if values["organisation_id"]:
        try:
            organisation_id = uuid.UUID(values["organisation_id"])
        except ValueError:
            errors["organisation_id"] = "Choose an organisation from the list"
    since = _day(values["from"], "from", errors)
    to = _day(values["to"], "to", errors)
    if since and to and to < since:
        errors["to"] = "The last day must be the same as or after the first day"
    where = EventFilter(
        action=values["action"] or None,
        organisation_id=organisation_id,
        object_id=values["object_id"] or None,
        actor=values["actor"] or None,
        since=datetime.combine(since, datetime.min.time(), tzinfo=UTC) if since else None,
        until=(
            datetime.combine(to + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
            if to
            else None
        ),
    )
    return where, errors


def _filter_values() -> dict[str, str]:
    return {name: _text(name) for name in FILTERS}


# Actions whose noun and verb alone would not say it plainly.
ACTION_WORDS = {
    "experience.read_raw": "Experience read with its raw words",
    "auth.failed": "API sign-in failed",
    "user.sign_in_failed": "Portal sign-in failed",
    "user.signed_in": "Signed in to the portal",
    "token.issued": "API token issued",
    "token.revoked": "API token revoked",
    "audit.exported": "Audit log downloaded",
    "audit.sealed": "Audit log sealed",
    "job.completed": "Scheduled job finished",
    "job.failed": "Scheduled job failed",
}
OUTCOME_WORDS = {"success": "Done", "failure": "Failed", "replaced": "Replaced"}
SHORT_ID = 8


def action_words(action: str) -> str:
    """``dataset.downloaded`` → "Dataset downloaded"."""
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    noun, _, verb = action.partition(".")
    return " ".join(p for p in (noun.replace("_", " ").capitalize(), verb.replace("_", " ")) if p)


def _object_words(ev: AuditEvent, names: dict[uuid.UUID, str], places: dict[str, str]) -> str:
    kind = (ev.object_type or "").replace("_", " ").capitalize()
    ident = ev.object_id or ""
    try:
        named = names.get(uuid.UUID(ident))
    except ValueError:
        named = None
    named = named or places.get(ident)
    if named:
        return f"{kind}: {named}" if kind else named
    if len(ident) > SHORT_ID + 4:
        ident = ident[:SHORT_ID] + "…"
    return f"{kind} {ident}".strip()


def _row(
    ev: AuditEvent,
    names: dict[uuid.UUID, str],
    seals: list[int],
    actors: dict[str, str],
    places: dict[str, str],
) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "occurred_at": ev.occurred_at,
        "actor": ev.actor,
        "actor_words": actors.get(ev.actor, ev.actor),
        "organisation": names.get(ev.organisation_id) if ev.organisation_id else None,
        "organisation_id": ev.organisation_id,
        "action": ev.action,
        "action_words": action_words(ev.action),
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "object_words": _object_words(ev, names, places),
        "outcome": ev.outcome,
        "outcome_words": OUTCOME_WORDS.get(ev.outcome, ev.outcome),
        "hash_prefix": ev.hash[:HASH_PREFIX],
        "sealed_by": covering_seal(seals, ev.seq),
    }


def _head_seq(session: Session) -> int:
    return session.scalar(sa.select(sa.func.max(AuditEvent.seq))) or 0


@bp.route("/audit", methods=["GET"])
@judges_its_own_query
@role_required(*AUDITOR_ROLES)
def audit() -> str:
    values = _filter_values()
    where, errors = _event_filter(values)
    before: int | None = None
    if request.args.get("before"):
        try:
            before = int(request.args["before"])
        except ValueError:
            errors["before"] = "That page of the log does not exist: start again from the first"
    # Walking the whole chain takes seconds on a large log, too long for every page of it:
    # the log shows the last full check (the audit-seal job's), the chain page checks now.
    session = db()
    checked = last_check(session)
    organisations = list_organisations(session)
    names = {org.id: org.name for org in organisations}
    rows: list[dict[str, Any]] = []
    next_before: int | None = None
    if not errors:
        events, next_key = list_events(
            session,
            where,
            limit=PAGE_SIZE,
            after=[before] if before is not None else None,
            descending=True,
        )
        seals = sealed_upto_seqs(session)
        actors = actor_names(session, [ev.actor for ev in events])
        places = location_names(session, [ev.object_id for ev in events if ev.object_id])
        rows = [_row(ev, names, seals, actors, places) for ev in events]
        next_before = int(next_key[0]) if next_key else None
    filters: dict[str, Any] = {k: v for k, v in values.items() if v}
    return render_template(
        "portal/audit.html",
        # What was typed, its unwritable characters shown as the replacement character.
        values={k: BAD_TEXT.sub("\ufffd", v) for k, v in values.items()},
        errors=errors,
        organisations=organisations,
        rows=rows,
        checked=checked,
        head_seq=_head_seq(session),
        filtered=bool(filters),
        first_page_url=url_for("portal.audit", **filters) if before is not None else None,
        next_url=url_for("portal.audit", **filters, before=next_before) if next_before else None,
        export_url=url_for("portal.audit_export", **filters),
    )


@bp.route("/audit/chain", methods=["GET"])
@role_required(*AUDITOR_ROLES)
def audit_chain() -> str:
    """Verify the whole chain and every seal now, and show the latest seals."""
    # The chain is checked in a session of its own; end this one first (SQLite's write lock).
    db().rollback()
    return render_template("portal/audit_chain.html", status=chain_status(hub_context()))


@bp.route("/audit/export.csv", methods=["GET"])
@role_required(*AUDITOR_ROLES)
def audit_export() -> Response:
    where, errors = _event_filter(_filter_values())
    if errors:
        raise ValidationFailed(next(iter(errors.values())))
    # Recorded in the request's transaction, which commits before any line leaves.
    lines = export_csv(db(), current_portal_actor(), where, reader=hub_context().session_factory)
    return csv_download(lines, "audit-events.csv")


@bp.route("/audit/partners", methods=["GET"])
@role_required(*AUDITOR_ROLES)
def audit_partners() -> str:
    return render_template("portal/audit_partners.html", partners=list_partners(db()))


def _month(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value + "-01")
    except ValueError:
        errors[field] = f"The {_MONTH_NAMES[field]} must be a month as year-month, like 2026-10"
        return None


@bp.route("/audit/partners/<uuid:organisation_id>", methods=["GET"])
@role_required(*AUDITOR_ROLES)
def audit_partner(organisation_id: uuid.UUID) -> str:
    values = {"from": _text("from", 7), "to": _text("to", 7)}
    errors: dict[str, str] = {}
    first = _month(values["from"], "from", errors)
    last = _month(values["to"], "to", errors)
    session = db()
    checked = last_check(session)
    timeline: dict[str, Any] | None = None
    if errors:
        partner = get_partner(session, organisation_id)
    else:
        try:
            timeline = partner_timeline(session, organisation_id, first=first, last=last)
        except ValidationFailed as exc:
            errors["from"] = (exc.detail or "").rstrip(".") or "Check the months"
        partner = timeline["organisation"] if timeline else get_partner(session, organisation_id)
    months = []
    for month in (timeline or {}).get("months", []):
        log_filter = {
            "organisation_id": str(partner.id),
            "from": month["first_day"].isoformat(),
            "to": month["last_day"].isoformat(),
        }
        months.append({**month, "log_url": url_for("portal.audit", **log_filter)})
    return render_template(
        "portal/audit_partner.html",
        partner=partner,
        values=values,
        errors=errors,
        months=list(reversed(months)),
        checked=checked,
        checked_upto=checked_upto(checked),
        head_seq=_head_seq(session),
    )


@bp.route("/audit/jobs", methods=["GET"])
@role_required(*AUDITOR_ROLES)
def audit_jobs() -> str:
    session = db()
    names = job_names(session)
    job = _text("job", 60)
    error: str | None = None
    runs: list[Any] = []
    next_url: str | None = None
    try:
        after = decode_cursor(request.args.get("cursor"))
        runs, next_key = list_runs(session, job=job or None, limit=RUNS_PAGE_SIZE, after=after)
    except ValidationFailed:
        error = "That page of job runs does not exist: start again from the first"
    else:
        if next_key:
            filters: dict[str, Any] = {"job": job} if job else {}
            next_url = url_for("portal.audit_jobs", **filters, cursor=encode_cursor(next_key))
    return render_template(
        "portal/audit_jobs.html",
        names=names,
        job=job,
        runs=runs,
        error=error,
        next_url=next_url,
        paged=bool(request.args.get("cursor")),
    )
