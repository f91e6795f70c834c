"""RFC 9457 problem details: the one place where errors become HTTP answers on API paths."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, g, json, request
from werkzeug.exceptions import HTTPException

from hub.errors import HubError, flatten_errors

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://hub.example/problems/"
PROBLEM_JSON = "application/problem+json"

# The whole catalogue of codes the API can answer with: status → default code and title.
CATALOGUE: dict[str, tuple[int, str]] = {
    "bad-request": (400, "Bad request"),
    "malformed-json": (400, "The body is not valid JSON"),
    "unauthorised": (401, "Authentication required"),
    "invalid-token": (401, "The access token is invalid or has expired"),
    "forbidden": (403, "Not allowed"),
    "insufficient-scope": (403, "The token lacks the scope this needs"),
    "agreement-required": (403, "No data-sharing agreement in force"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "not-acceptable": (406, "Not acceptable"),
    "conflict": (409, "Conflict"),
    "duplicate-conflict": (409, "A different record with this partner_record_id exists"),
    "precondition-failed": (412, "Precondition failed"),
    "payload-too-large": (413, "Payload too large"),
    "uri-too-long": (414, "URI too long"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "validation-failed": (422, "The request is not valid"),
    "consent-required": (422, "Consent does not allow this"),
    "idempotency-key-reused": (422, "The Idempotency-Key was used for a different request"),
    "rate-limited": (429, "Too many requests"),
    "header-fields-too-large": (431, "Request header fields too large"),
    "internal-error": (500, "Internal error"),
    "service-unavailable": (503, "Service temporarily unavailable"),
}

_STATUS_CODES = {
    400: "bad-request",
    401: "unauthorised",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
    431: "header-fields-too-large",
    500: "internal-error",
    503: "service-unavailable",
}


def problem(
    status: int,
    *,
    code: str | None = None,
    detail: str | None = None,
    title: str | None = None,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    code = code or _STATUS_CODES.get(status, "internal-error" if status >= 500 else "bad-request")
    default_title = CATALOGUE.get(code, (status, "Error"))[1]
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title or default_title,
        "status": status,
        "detail": detail or title or default_title,
        "instance": request.path,
        "code": code,
        "request_id": getattr(g, "request_id", None),
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_hub_error(error: HubError) -> Response:
    return problem(
        error.status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        errors=error.errors,
        headers=error.headers,
        extra=error.extra or None,
    )


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        # Never leak internals: the log has the traceback, the client a request id.
        return problem(status, detail="Something went wrong on our side. Quote the request_id.")
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages is not None:
        # webargs puts errors per location ({"json": {...}, "query": {...}}): name the field only.
        flat: dict[str, list[str]] = {}
        for location_errors in messages.values():
            flat.update(flatten_errors(location_errors))
        if status == 422:
            return problem(
                422, code="validation-failed", detail="Some fields are not valid.", errors=flat
            )
        return problem(status, errors=flat)
    headers = {}
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    detail = error.description if isinstance(error.description, str) else None
    if status == 413 and request.max_content_length:
        detail = (
            f"The request body is larger than the {request.max_content_length} bytes allowed; "
            "nothing was read. Send less at a time."
        )
    return problem(status, detail=detail, headers=headers)


def wants_problem() -> bool:
    return request.path.startswith("/api/")
