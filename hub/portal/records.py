"""The partner's records page: each record's status, consent, safeguarding flag and outcomes.

Only the redacted words are shown, as everywhere outside the regulator; a withdrawn record shows
its tombstone (reference, dates) and nothing of what the person said.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, request

from hub.errors import ValidationFailed
from hub.exchange.records.access import list_records
from hub.exchange.records.models import RECORD_STATUSES
from hub.keyset import decode_cursor, encode_cursor
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.pages import PARTNER_ROLES
from hub.registry.lookup import location_names
from hub.web import db

PAGE_SIZE = 50
# What each status means to a volunteer.
STATUS_WORDS = {
    "accepted": "Accepted",
    "needs_reconciliation": "Waiting for the care location to be confirmed",
    "withdrawn": "Consent withdrawn",
}


# What each consent scope means, in the words of the person who gave it.
SCOPE_WORDS = {
    "regulator_use": "Shared with the regulator",
    "publish_anonymised": "May count in anonymised figures and be quoted without identifying "
    "details",
    "feedback": "Wants to hear what came of it",
    "equality_monitoring": "Equality answers kept",
}
# The Friends and Family Test scale.
OVERALL_WORDS = {1: "Very good", 2: "Good", 3: "Neither good nor poor", 4: "Poor", 5: "Very poor"}
ALERT_WORDS = {
    "open": "waiting for the regulator's safeguarding team",
    "acknowledged": "seen by the regulator's safeguarding team",
    "referred": "referred on by the regulator",
}


def _place(item: dict[str, Any], places: dict[str, str]) -> str:
    location_id = item["location_id"] or item["submitted_location_id"]
    if location_id and location_id in places:
        return f"{places[location_id]} ({location_id})"
    service = item.get("service") or {}
    if service.get("name"):
        return ", ".join(p for p in (service.get("name"), service.get("postcode")) if p)
    return location_id or "Not given"


def _alert_words(item: dict[str, Any]) -> str | None:
    alert = (item.get("safeguarding") or {}).get("alert") or {}
    return ALERT_WORDS.get(str(alert.get("status")))


def _when(value: str | None) -> str:
    """``2026-09-14`` → "14 September 2026"; ``2026-09`` → "September 2026"."""
    if not value:
        return "Not given"
    try:
        if len(value) == 7:
            return date.fromisoformat(value + "-01").strftime("%B %Y")
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%B %Y}"


@bp.route("/records", methods=["GET"])
@role_required(*PARTNER_ROLES)
def records() -> tuple[str, int] | str:
    status = request.args.get("status") or None
    error = None
    items: list[dict[str, Any]] = []
    next_key: list[Any] | None = None
    try:
        items, next_key = list_records(
            db(),
            current_portal_actor(),
            status=status,
            limit=PAGE_SIZE,
            after=decode_cursor(request.args.get("cursor")),
            newest_first=True,
        )
    except ValidationFailed as exc:
        # In the portal's words: a volunteer has no use for "cursor" or "API".
        if "status" in (exc.errors or {}):
            error = "Choose a status from the list"
        else:
            error = "That page of your records does not exist: start again from the first"
    places = location_names(db(), [i["location_id"] or i["submitted_location_id"] for i in items])
    shown = [
        {
            **item,
            "received": item["received_at"],
            "status_words": STATUS_WORDS.get(item["status"], item["status"]),
            "place_words": _place(item, places),
            "when_words": _when(item["experience_date"]),
            "overall_words": OVERALL_WORDS.get(item["overall_experience"]),
            "consent_words": [
                SCOPE_WORDS.get(s, s) for s in (item["consent"] or {}).get("scopes") or []
            ],
            "alert_words": _alert_words(item),
        }
        for item in items
    ]
    page = render_template(
        "portal/records.html",
        items=shown,
        status=status,
        statuses=[(value, STATUS_WORDS.get(value, value)) for value in RECORD_STATUSES],
        next_cursor=encode_cursor(next_key) if next_key else None,
        paged=bool(request.args.get("cursor")),
        error=error,
    )
    return (page, 400) if error else page
