"""``/api/v1/webhooks``: an organisation's endpoints for signed event deliveries."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from hub.api.auth import require
from hub.api.docs import LIMIT_422, invalid_query_doc, problem_doc
from hub.api.pagination import PageArgs, decode_cursor, page_body
from hub.api.schemas import PageSchema
from hub.exchange.notify.models import WebhookDelivery, WebhookEndpoint
from hub.exchange.notify.rules import EVENTS, MAX_URL_LENGTH
from hub.exchange.notify.webhooks import (
    delete_endpoint,
    get_endpoint,
    list_deliveries,
    list_endpoints,
    register_endpoint,
)
from hub.web import current_actor, db, hub_context

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Endpoints that receive signed event deliveries. Each delivery is a POST of "
        "`{id, event, occurred_at, data}` with the header `Hub-Signature: t=<unix seconds>,"
        'v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the endpoint\'s secret>`. Answer 2xx; '
        "anything else is retried with backoff."
    ),
)

ID_PARAMETER = {
    "in": "path",
    "name": "endpoint_id",
    "description": "The endpoint's id.",
    "schema": {"type": "string", "format": "uuid"},
}


class EndpointArgs(Schema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_URL_LENGTH),
        metadata={"description": "An http(s) URL without credentials."},
    )
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENTS)),
        required=True,
        validate=validate.Length(min=1, max=len(EVENTS)),
        metadata={
            "description": "Events to receive. `consent.withdrawn` and `safeguarding.alert` are "
            "open to the regulator only."
        },
    )


class EndpointSchema(Schema):
    id = fields.UUID()
    url = fields.String()
    events = fields.List(fields.String())
    created_at = fields.DateTime()


class NewEndpointSchema(EndpointSchema):
    secret = fields.String(
        metadata={"description": "The signing secret. Shown only now: store it safely."}
    )


class EndpointPageSchema(PageSchema):
    items = fields.List(fields.Nested(EndpointSchema))


class DeliverySchema(Schema):
    id = fields.UUID()
    event_id = fields.UUID(metadata={"description": "The `id` in the delivered body."})
    event = fields.String()
    status = fields.String(metadata={"description": "pending, delivered or failed."})
    attempts = fields.Integer()
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_attempt_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    body = fields.Dict(metadata={"description": "What is (or was) sent."})


class DeliveryPageSchema(PageSchema):
    items = fields.List(fields.Nested(DeliverySchema))


_ENDPOINT_ID = "0c2d4e6f-8a1b-4c3d-9e5f-7a9b1c3d5e7f"
_ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": _ENDPOINT_ID,
    "url": "https://partner.example/hooks/hub",
    "events": ["dataset.released"],
    "created_at": "2026-03-01T12:00:00+00:00",
}
_DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": "7e9a1c3b-5d7f-4a2c-8e0b-2d4f6a8c0e1b",
    "event_id": "4a6c8e0b-2d4f-4b6a-9c1e-3f5a7c9e1b3d",
    "event": "dataset.released",
    "status": "delivered",
    "attempts": 1,
    "created_at": "2026-03-02T09:00:00+00:00",
    "next_attempt_at": None,
    "last_attempt_at": "2026-03-02T09:00:04+00:00",
    "delivered_at": "2026-03-02T09:00:04+00:00",
    "last_status_code": 204,
    "last_error": None,
    "body": {
        "id": "4a6c8e0b-2d4f-4b6a-9c1e-3f5a7c9e1b3d",
        "event": "dataset.released",
        "occurred_at": "2026-03-02T09:00:00+00:00",
        "data": {
            "slug": "cancer-patient-experience",
            "title": "Cancer patient experience by trust",
            "condition_area": "cancer",
            "version": 2,
            "published_at": "2026-03-02T09:00:00+00:00",
            "sha256": "9f2c1e0b7a4d6c3e8f1a2b5c7d9e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e",
            "bytes": 48213,
            "rows": 412,
            "format": "csv",
            "file_url": "/api/v1/datasets/cancer-patient-experience/releases/2/file",
        },
    },
}
_NOT_FOUND = problem_doc(
    "not-found",
    "No such endpoint of the caller's organisation.",
    detail="No such webhook endpoint.",
    instance=f"/api/v1/webhooks/{_ENDPOINT_ID}",
)


def _describe(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "created_at": endpoint.created_at,
    }


def _describe_delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": delivery.created_at,
        "next_attempt_at": delivery.next_attempt_at,
        "last_attempt_at": delivery.last_attempt_at,
        "delivered_at": delivery.delivered_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "body": json.loads(delivery.body),
    }


@blp.route("/webhooks")
class Endpoints(MethodView):
    @require()
    @blp.doc(
        operationId="registerWebhook",
        description="Register a URL to receive events as signed POSTs. The answer holds the "
        "endpoint's signing secret (`whsec_...`), shown only this once: keep it to check "
        "`Hub-Signature` on every delivery. Partners may subscribe to `dataset.released`, "
        "`outcome.created` and `submission.completed`; the regulator also to "
        "`consent.withdrawn` and `safeguarding.alert`.",
    )
    @blp.arguments(
        EndpointArgs,
        example={"url": "https://partner.example/hooks/hub", "events": ["dataset.released"]},
    )
    @blp.response(
        201,
        NewEndpointSchema,
        example={
            **_ENDPOINT_EXAMPLE,
            "secret": "whsec_Qm9vN2Zha2Vfc2VjcmV0X29ubHlfZm9yX2RvY3M",
        },
    )
    @blp.alt_response(
        422,
        **problem_doc(
            "validation-failed",
            "Not an http(s) URL without credentials, a private or loopback address, no events, "
            "an event not open to the organisation, or too many endpoints already.",
            detail="The endpoint cannot be registered as it is.",
            instance="/api/v1/webhooks",
            errors={"url": ["Must be an http or https URL."]},
        ),
    )
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Register an endpoint; the answer holds its signing secret, shown only this once."""
        new = register_endpoint(
            db(),
            current_actor(),
            url=args["url"],
            events=args["events"],
            hub_secret=hub_context().secret_key,
            allow_private=hub_context().settings.webhook_allow_private,
        )
        body = {**_describe(new.endpoint), "secret": new.secret}
        return body

    @require()
    @blp.doc(
        operationId="listWebhooks",
        description="The organisation's registered endpoints, oldest first. Secrets are never "
        "shown again: to change one, register a new endpoint and delete the old.",
    )
    @blp.arguments(PageArgs, location="query")
    @blp.response(
        200, EndpointPageSchema, example={"items": [_ENDPOINT_EXAMPLE], "next_cursor": None}
    )
    @blp.alt_response(422, **invalid_query_doc("/api/v1/webhooks", *LIMIT_422))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The organisation's endpoints, oldest first (secrets are never shown again)."""
        rows, next_key = list_endpoints(
            db(), current_actor(), limit=args["limit"], after=decode_cursor(args["cursor"])
        )
        return page_body([_describe(e) for e in rows], next_key)


@blp.route("/webhooks/<uuid:endpoint_id>", parameters=[ID_PARAMETER])
class EndpointItem(MethodView):
    @require()
    @blp.doc(
        operationId="getWebhook",
        description="One endpoint: its URL, the events it receives and when it was registered. "
        "The signing secret is not shown again.",
    )
    @blp.response(200, EndpointSchema, example=_ENDPOINT_EXAMPLE)
    @blp.alt_response(404, **_NOT_FOUND)
    def get(self, endpoint_id: uuid.UUID) -> dict[str, Any]:
        """One of the organisation's endpoints."""
        return _describe(get_endpoint(db(), current_actor(), endpoint_id))

    @require()
    @blp.doc(
        operationId="deleteWebhook",
        description="Stop sending to the endpoint. Deliveries still waiting for it are marked "
        "failed (`endpoint deleted`); those already made stay listed.",
    )
    @blp.response(204, description="Deleted.")
    @blp.alt_response(404, **_NOT_FOUND)
    def delete(self, endpoint_id: uuid.UUID) -> Response:
        """Delete an endpoint; deliveries still queued for it are given up."""
        delete_endpoint(db(), current_actor(), endpoint_id)
        return Response(status=204)


@blp.route("/webhooks/<uuid:endpoint_id>/deliveries", parameters=[ID_PARAMETER])
class Deliveries(MethodView):
    @require()
    @blp.doc(
        operationId="listWebhookDeliveries",
        description="What was sent to the endpoint, or waits to be, newest first: status "
        "(`pending`, `delivered` or `failed`), attempts, the last answer's status code or error, "
        "and the exact body. A delivery that is not answered 2xx is retried with backoff "
        "(1, 2, 4... minutes, at most 6 hours apart) and given up after 12 attempts.",
    )
    @blp.arguments(PageArgs, location="query")
    @blp.response(
        200, DeliveryPageSchema, example={"items": [_DELIVERY_EXAMPLE], "next_cursor": None}
    )
    @blp.alt_response(404, **_NOT_FOUND)
    @blp.alt_response(
        422, **invalid_query_doc(f"/api/v1/webhooks/{_ENDPOINT_ID}/deliveries", *LIMIT_422)
    )
    def get(self, args: dict[str, Any], endpoint_id: uuid.UUID) -> dict[str, Any]:
        """What was sent to the endpoint, or is waiting to be, newest first."""
        rows, next_key = list_deliveries(
            db(),
            current_actor(),
            endpoint_id,
            limit=args["limit"],
            after=decode_cursor(args["cursor"]),
        )
        return page_body([_describe_delivery(d) for d in rows], next_key)
