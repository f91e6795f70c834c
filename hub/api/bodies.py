"""JSON request bodies: another media type is 415, bytes that are not JSON are 400.

Operations that read their body through ``@blp.arguments(..., location="json")`` are checked
before webargs sees the body, so they answer like ``POST /experiences`` does: webargs alone
would call a form post "missing fields" (422) and broken JSON a generic "bad request".
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest

from hub.errors import HubError, UnsupportedMediaType

NOT_JSON_DETAIL = "Send the body as application/json."
MALFORMED_DETAIL = "The body is not valid JSON."


def takes_json(apidoc: dict[str, Any]) -> bool:
    """Whether a flask-smorest view (by its ``_apidoc``) reads arguments from a JSON body."""
    parameters = apidoc.get("arguments", {}).get("parameters", [])
    return any(p.get("in") == "json" for p in parameters)


def check_json_body() -> None:
    """Refuse a body that is not JSON (415) or is broken JSON (400 ``malformed-json``).

    No body at all is left to the schema, which names the fields it needs.
    """
    if not request.is_json:
        if request.content_length or request.get_data(cache=True):
            raise UnsupportedMediaType(NOT_JSON_DETAIL)
        return
    json_body()


def json_body() -> Any:
    """The request's JSON body: 415 unless it is sent as JSON, 400 ``malformed-json`` if broken."""
    if not request.is_json:
        raise UnsupportedMediaType(NOT_JSON_DETAIL)
    try:
        return request.get_json()
    except (BadRequest, RecursionError) as exc:
        # RecursionError: nesting deeper than the parser goes ("[" x 100,000).
        raise HubError(MALFORMED_DETAIL, code="malformed-json") from exc
