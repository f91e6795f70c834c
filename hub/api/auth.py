"""Bearer-token authentication and scope checks for API views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g

from hub.actor import Actor
from hub.api.bodies import MALFORMED_DETAIL, NOT_JSON_DETAIL, check_json_body, takes_json
from hub.api.docs import problem_example
from hub.clock import utcnow
from hub.errors import InsufficientScope, Unauthorised
from hub.identity.bearers import bearer
from hub.web import client_ip, db

F = TypeVar("F", bound=Callable[..., Any])

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


# What a request that met a lost database connection is told (hub/api/__init__.py answers it).
UNAVAILABLE_DETAIL = (
    "The database cannot be reached just now. Try again shortly: sending the same request again "
    "is safe."
)


def _problem_response(description: str, code: str, detail: str) -> dict[str, Any]:
    example = problem_example(code, detail)
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM_REF, "example": example}},
    }


def _bearer_from_header(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(header: str | None) -> Actor:
    """The actor behind a bearer token, or 401 (with ``WWW-Authenticate``)."""
    raw = _bearer_from_header(header)
    if raw is None:
        raise Unauthorised(
            "This endpoint needs a bearer access token from /oauth/token.",
            headers={"WWW-Authenticate": 'Bearer realm="hub"'},
        )
    found = bearer(db(), raw, now=utcnow())
    if found is None:
        raise Unauthorised(
            "The access token is invalid, expired or revoked. Ask /oauth/token for a new one.",
            headers={
                "WWW-Authenticate": 'Bearer realm="hub", error="invalid_token", '
                'error_description="The access token is invalid, expired or revoked"'
            },
            code="invalid-token",
        )
    return Actor(
        kind="client",
        id=found.client_id,
        organisation_id=found.organisation_id,
        organisation_kind=found.organisation_kind,
        scopes=found.scopes,
        request_id=g.get("request_id"),
        ip=client_ip(),
    )


def check_scopes(actor: Actor, scopes: tuple[str, ...]) -> None:
    """At least one of ``scopes`` must be held (an empty tuple means any valid token)."""
    if scopes and not any(actor.has(s) for s in scopes):
        needed = " or ".join(scopes)
        raise InsufficientScope(
            f"This needs a token with the scope {needed}.",
            headers={
                "WWW-Authenticate": f'Bearer realm="hub", error="insufficient_scope", '
                f'scope="{" ".join(scopes)}"'
            },
        )


def require(*scopes: str) -> Callable[[F], F]:
    """Authenticate the request and demand one of ``scopes``; documents both in OpenAPI."""
    from flask import request

    def decorator(fn: F) -> F:
        # Only the documentation added here is copied (copying all of it, schemas included,
        # would be most of the cost of building the app).
        apidoc = dict(getattr(fn, "_apidoc", {}))
        manual_doc = dict(apidoc.get("manual_doc", {}))
        manual_doc["responses"] = dict(manual_doc.get("responses", {}))
        apidoc["manual_doc"] = manual_doc
        json_body = takes_json(apidoc)

        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = authenticate(request.headers.get("Authorization"))
            check_scopes(actor, scopes)
            g.actor = actor
            if json_body:
                check_json_body()
            return fn(*args, **kwargs)

        manual = apidoc.setdefault("manual_doc", {})
        # One requirement per scope: OpenAPI reads the scopes of one requirement as all needed,
        # and any one of ``scopes`` is enough here.
        manual["security"] = [{"oauth2": [scope]} for scope in scopes] or [{"oauth2": []}]
        responses = manual.setdefault("responses", {})
        responses.setdefault(
            "401",
            _problem_response(
                "No valid access token.",
                "unauthorised",
                "This endpoint needs a bearer access token from /oauth/token.",
            ),
        )
        needed = " or ".join(scopes)
        responses.setdefault(
            "403",
            _problem_response(
                "The token lacks the scope"
                + (f" ({needed})" if scopes else "")
                + ", or the organisation may not do this.",
                "insufficient-scope" if scopes else "forbidden",
                f"This needs a token with the scope {needed}." if scopes else "Not allowed.",
            ),
        )
        if json_body:
            responses.setdefault(
                "400",
                _problem_response(
                    "The body is not valid JSON.", "malformed-json", MALFORMED_DETAIL
                ),
            )
            responses.setdefault(
                "415",
                _problem_response(
                    "The body is not application/json.", "unsupported-media-type", NOT_JSON_DETAIL
                ),
            )
        unavailable = _problem_response(
            "The database or the file store cannot be reached just now; nothing of the request "
            "was kept, and sending it again after `Retry-After` seconds is safe.",
            "service-unavailable",
            UNAVAILABLE_DETAIL,
        )
        unavailable["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer"},
            }
        }
        documented = apidoc.get("response", {}).get("responses", {})
        if 503 not in documented and "503" not in documented:  # a view's own 503 says more
            responses.setdefault("503", unavailable)
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
