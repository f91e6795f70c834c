"""``/api/v1/locations``: searching the regulator's registry of providers and locations."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from hub.api.auth import require
from hub.api.docs import LIMIT_422, invalid_query_doc, problem_doc
from hub.api.pagination import PageArgs, decode_cursor, page_body
from hub.api.schemas import PageSchema
from hub.errors import NotFound
from hub.registry.services import (
    describe_location,
    get_location,
    is_location_id,
    search_locations,
)
from hub.web import db

blp = Blueprint(
    "locations",
    __name__,
    url_prefix="/api/v1",
    description="The regulator's registry of providers and locations, with re-registration links.",
)


class LocationSearchArgs(PageArgs):
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "Words of the name; every word must start a word of the name."},
    )
    postcode = fields.String(
        load_default=None,
        validate=validate.Length(max=10),
        metadata={"description": "A full postcode (`SW1A 1AA`), a district (`SW1A`) or sector."},
    )
    provider_id = fields.String(
        load_default=None,
        validate=validate.Length(max=20),
        metadata={"description": "Only this provider's locations."},
    )


class RatingsSchema(Schema):
    overall = fields.String(
        allow_none=True,
        metadata={"description": "Outstanding, Good, Requires improvement or Inadequate."},
    )
    key_questions = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "Rating per key question: safe, effective, caring, responsive, well-led."
        },
    )
    report_date = fields.String(allow_none=True, metadata={"description": "ISO date."})


class ActivitySchema(Schema):
    name = fields.String(allow_none=True)
    code = fields.String(allow_none=True)


class CategorySchema(Schema):
    code = fields.String(allow_none=True)
    primary = fields.Raw(allow_none=True, metadata={"description": "As the registry gives it."})
    name = fields.String(allow_none=True)


class LocationSummarySchema(Schema):
    location_id = fields.String(metadata={"description": "Registry id: `1-…` or ODS-style `R…`."})
    name = fields.String()
    provider_id = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    region = fields.String(allow_none=True, metadata={"description": "One of England's regions."})
    local_authority = fields.String(allow_none=True)
    registration_status = fields.String(metadata={"description": "Registered or Deregistered."})
    service_types = fields.List(fields.String(), metadata={"description": "Service type names."})
    overall_rating = fields.String(allow_none=True, metadata={"description": "Current rating."})


class LocationSchema(LocationSummarySchema):
    provider_name = fields.String(allow_none=True)
    also_known_as = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    registration_date = fields.Date(allow_none=True)
    deregistration_date = fields.Date(allow_none=True)
    inspection_directorate = fields.String(allow_none=True)
    regulated_activities = fields.List(fields.Nested(ActivitySchema))
    inspection_categories = fields.List(fields.Nested(CategorySchema))
    ratings = fields.Nested(RatingsSchema, allow_none=True)
    predecessor_ids = fields.List(
        fields.String(), metadata={"description": "Registrations this one replaced."}
    )
    successor_ids = fields.List(
        fields.String(), metadata={"description": "Registrations that replaced this one."}
    )
    current_location_id = fields.String(
        metadata={"description": "Where this service is registered now, following successors."}
    )
    updated_at = fields.DateTime(metadata={"description": "When the hub last changed this entry."})


class LocationPageSchema(PageSchema):
    items = fields.List(fields.Nested(LocationSummarySchema))


_SUMMARY_EXAMPLE: dict[str, Any] = {
    "location_id": "1-012345678",
    "name": "Example Vale Surgery",
    "provider_id": "1-087654321",
    "postcode": "EX1 2AB",
    "region": "South West",
    "local_authority": "Exampleport",
    "registration_status": "Registered",
    "service_types": ["Doctors/GPs"],
    "overall_rating": "Good",
}
_DETAIL_EXAMPLE: dict[str, Any] = {
    **_SUMMARY_EXAMPLE,
    "provider_name": "Example Vale Partnership",
    "also_known_as": None,
    "address": "1 Example Road, Exampleport",
    "registration_date": "2019-04-01",
    "deregistration_date": None,
    "inspection_directorate": "Primary medical services",
    "regulated_activities": [{"name": "Treatment of disease, disorder or injury", "code": "RA5"}],
    "inspection_categories": [{"code": "P2", "primary": "true", "name": "GP Practices"}],
    "ratings": {
        "overall": "Good",
        "report_date": "2024-02-01",
        "key_questions": {
            "safe": "Good",
            "effective": "Good",
            "caring": "Outstanding",
            "responsive": "Good",
            "well-led": "Requires improvement",
        },
    },
    "predecessor_ids": ["1-011111111"],
    "successor_ids": [],
    "current_location_id": "1-012345678",
    "updated_at": "2026-01-05T09:30:00+00:00",
}


@blp.route("/locations")
class Locations(MethodView):
    @require()
    @blp.doc(
        operationId="searchLocations",
        description="Find the registry id to put in a record's `location_id`. Every word of `q` "
        "must start a word of the location's name (`riverside surg` finds *Riverside Surgery*); "
        "`postcode` takes a full postcode, a sector or a district. Filters combine. Deregistered "
        "locations are included: follow `current_location_id` on the detail to where the service "
        "is registered now.",
    )
    @blp.arguments(LocationSearchArgs, location="query")
    @blp.response(
        200,
        LocationPageSchema,
        example={"items": [_SUMMARY_EXAMPLE], "next_cursor": None},
    )
    @blp.alt_response(422, **invalid_query_doc("/api/v1/locations", *LIMIT_422))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search locations by name words, postcode or district, and provider; ordered by name."""
        rows, next_key = search_locations(
            db(),
            q=args["q"],
            postcode=args["postcode"],
            provider_id=args["provider_id"],
            limit=args["limit"],
            after=decode_cursor(args["cursor"]),
        )
        return page_body([describe_location(db(), loc) for loc in rows], next_key)


@blp.route(
    "/locations/<string:location_id>",
    parameters=[
        {
            "in": "path",
            "name": "location_id",
            "description": "Registry id: `1-` and digits (`1-545611283`) or ODS-style (`RXQ02`).",
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9-]{0,19}$"},
        }
    ],
)
class LocationItem(MethodView):
    @require()
    @blp.doc(
        operationId="getLocation",
        description="The registry's entry for one location: provider, address, registration, "
        "regulated activities, current ratings by key question, and the registrations it "
        "replaced (`predecessor_ids`) or was replaced by (`successor_ids`).",
    )
    @blp.response(200, LocationSchema, example=_DETAIL_EXAMPLE)
    @blp.alt_response(
        404,
        **problem_doc(
            "not-found",
            "No such location in the registry.",
            instance="/api/v1/locations/1-000000000",
        ),
    )
    def get(self, location_id: str) -> dict[str, Any]:
        """One location, with its ratings and the ids it replaced and was replaced by."""
        if not is_location_id(location_id):
            raise NotFound("That is not a registry location id.")
        return describe_location(db(), get_location(db(), location_id), detail=True)
