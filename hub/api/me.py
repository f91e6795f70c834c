"""``GET /api/v1/me``: who the caller is."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from hub.api.auth import require
from hub.clock import utcnow
from hub.identity.services import agreement_in_force, get_organisation
from hub.web import current_actor, db

blp = Blueprint("me", __name__, url_prefix="/api/v1", description="The calling organisation.")


class AgreementSchema(Schema):
    id = fields.String()
    reference = fields.String()
    condition_areas = fields.List(fields.String())
    purposes = fields.List(fields.String())
    valid_from = fields.String()
    valid_to = fields.String(allow_none=True)


class MeSchema(Schema):
    organisation_id = fields.UUID()
    organisation_name = fields.String()
    organisation_kind = fields.String()
    client_id = fields.String()
    scopes = fields.List(fields.String())
    agreement = fields.Nested(
        AgreementSchema,
        allow_none=True,
        metadata={"description": "The agreement in force today, if any."},
    )


@blp.route("/me")
class Me(MethodView):
    @require()
    @blp.doc(
        operationId="getMe",
        description="Who the token belongs to: the organisation, its kind (`charity`, "
        "`healthwatch`, `community_group`, `regulator` or `auditor`), the data-sharing agreement "
        "in force today (null when none is, and then no exchange is allowed) and the scopes the "
        "token holds. A good first call to check that credentials work.",
    )
    @blp.response(
        200,
        MeSchema,
        example={
            "organisation_id": "6f1c2a8e-3b7d-4f0a-9d7e-2c1b5a4e8f90",
            "organisation_name": "Riverside Mind",
            "organisation_kind": "charity",
            "client_id": "hub_3f9a2b7c1d4e5f6a7b8c9d0e",
            "scopes": ["experiences:read", "experiences:write"],
            "agreement": {
                "id": "2b7f4c1e-8a3d-4e6f-9b0a-1c2d3e4f5a6b",
                "reference": "DSA-2026-4F2A1B",
                "condition_areas": ["mental-health"],
                "purposes": ["improving-care"],
                "valid_from": "2026-01-01",
                "valid_to": None,
            },
        },
    )
    def get(self) -> dict[str, Any]:
        """The calling organisation, its kind, its agreement in force and the token's scopes."""
        actor = current_actor()
        assert actor.organisation_id is not None
        org = get_organisation(db(), actor.organisation_id)
        agreement = agreement_in_force(db(), org.id, utcnow().date())
        return {
            "organisation_id": org.id,
            "organisation_name": org.name,
            "organisation_kind": org.kind,
            "client_id": actor.id,
            "scopes": sorted(actor.scopes),
            "agreement": agreement.to_dict() if agreement else None,
        }
