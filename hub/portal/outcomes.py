"""The "you said, we did" page: what the regulator did with what a partner's community told it."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import render_template

from hub.exchange.outcomes.services import list_outcomes
from hub.exchange.records.models import ExperienceRecord
from hub.portal.auth import current_portal_actor, role_required
from hub.portal.blueprint import bp
from hub.portal.pages import PARTNER_ROLES
from hub.web import db

LIST_LIMIT = 100
# How each kind of outcome reads to a volunteer relaying it to the person who spoke up.
KIND_WORDS = {
    "used-in-inspection": "Used in an inspection",
    "shared-with-provider": "Shared with the care provider",
    "informed-monitoring": "Helped us keep watch on the service",
    "safeguarding-referral": "Passed on to keep someone safe",
    "no-action-yet": "Read by the regulator, no action yet",
}


@bp.route("/outcomes", methods=["GET"])
@role_required(*PARTNER_ROLES)
def outcomes() -> str:
    actor = current_portal_actor()
    items, _ = list_outcomes(db(), actor, limit=LIST_LIMIT)
    ids = {uuid.UUID(i) for item in items for i in item["record_ids"]}
    references: dict[uuid.UUID, str] = {}
    if ids:
        rows = db().execute(
            sa.select(ExperienceRecord.id, ExperienceRecord.partner_record_id).where(
                ExperienceRecord.id.in_(ids),
                ExperienceRecord.organisation_id == actor.organisation_id,
            )
        )
        references = {record_id: reference for record_id, reference in rows}
    shown = [
        {
            **item,
            "kind_words": KIND_WORDS.get(item["kind"], item["kind"]),
            "references": sorted(references.get(uuid.UUID(i), i) for i in item["record_ids"]),
        }
        for item in items
    ]
    return render_template("portal/outcomes.html", items=shown)
