"""The partner's records page: each record's status, consent, safeguarding flag and outcomes.

Only the redacted words are shown, as everywhere outside the regulator; a withdrawn record shows
its tombstone (reference, dates) and nothing of what the person said.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from hub.errors import ValidationFailed
from hub.exchange.records.access import list_records
from hub.exchange.records.models import RECORD_STATUSES
from hub.keyset import decode_cursor, encode_cursor
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
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
        items, next_key = list_records(
            db(),
            current_portal_actor(),
            status=status,
            limit=PAGE_SIZE,
            after=decode_cursor(request.args.get("cursor")),
            newest_first=True,
        )
    except ValidationFailed as exc:
        error = "Choose a status from the list." if "status" in (exc.errors or {}) else exc.detail
    shown = [
        {
            **item,
            "received": item["received_at"],
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
