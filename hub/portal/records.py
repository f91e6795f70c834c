"""The partner's records page: each record's status, consent, safeguarding flag and outcomes.

Only the redacted words are shown, as everywhere outside the regulator; a withdrawn record shows
its tombstone (reference, dates) and nothing of what the person said.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template, request

from hub.api.pagination import decode_cursor, encode_cursor
from hub.errors import ValidationFailed
from hub.exchange.models import RECORD_STATUSES
from hub.exchange.records import list_records
from hub.portal import bp
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.pages import PARTNER_ROLES
from hub.web import db

PAGE_SIZE = 50
# What each status means to a volunteer.
STATUS_WORDS = {
    "accepted": "Accepted",
    "needs_reconciliation": "Waiting for the care location to be confirmed",
    "withdrawn": "Consent withdrawn",
}


@bp.route("/records", methods=["GET"])
@role_required(*PARTNER_ROLES)
def records() -> tuple[str, int] | str:
    status = request.args.get("status") or None
    error = None
    items: list[dict[str, Any]] = []
    next_key: list[Any] | None = None
    try:
        if status is not None and status not in RECORD_STATUSES:
            raise ValidationFailed("Choose a status from the list.")
        items, next_key = list_records(
            db(),
            current_portal_actor(),
            status=status,
            limit=PAGE_SIZE,
            after=decode_cursor(request.args.get("cursor")),
            newest_first=True,
        )
    except ValidationFailed as exc:
        error = exc.detail
    shown = [
        {
            **item,
            "received": datetime.fromisoformat(item["received_at"]),
            "status_words": STATUS_WORDS.get(item["status"], item["status"]),
        }
        for item in items
    ]
    page = render_template(
        "portal/records.html",
        items=shown,
        status=status,
        statuses=[(value, STATUS_WORDS.get(value, value)) for value in RECORD_STATUSES],
        next_cursor=encode_cursor(next_key) if next_key else None,
        error=error,
    )
    return (page, 400) if error else page
