"""Find a location: partners look up the registry id to put in their spreadsheet's
``location_id``, by name, town or postcode."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from hub.errors import ValidationFailed
from hub.portal.auth import role_required
from hub.portal.blueprint import bp
from hub.portal.pages import PARTNER_ROLES
from hub.registry.services import find_locations
from hub.web import db

RESULTS = 50


@bp.route("/find-location", methods=["GET"])
@role_required(*PARTNER_ROLES)
def find_location() -> str:
    words = (request.args.get("q") or "").strip()[:200]
    postcode = (request.args.get("postcode") or "").strip()[:10]
    searched = bool(words or postcode)
    results: list[dict[str, Any]] = []
    error: str | None = None
    if searched:
        try:
            found = find_locations(db(), words=words, postcode=postcode, limit=RESULTS + 1)
        except ValidationFailed:
            error = "Enter a UK postcode, like SW1A 1AA, or the start of one, like SW1A"
            found = []
        results = [
            {
                "location_id": loc.id,
                "name": loc.name,
                "address": ", ".join(p for p in (loc.address, loc.postcode) if p),
                "type": ", ".join(loc.service_types or []) or loc.inspection_directorate or "",
                "registered": loc.registration_status == "Registered",
                "status": loc.registration_status,
            }
            for loc in found
        ]
    return render_template(
        "portal/find_location.html",
        q=words,
        postcode=postcode,
        searched=searched,
        results=results[:RESULTS],
        more=len(results) > RESULTS,
        error=error,
    )
