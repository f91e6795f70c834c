"""API documentation: the reference page at ``/api/v1/docs``, and the examples operations share.

The page is Swagger UI, served from the hub's own static files (``make setup`` copies them from
npm) and started by an external script, so it keeps to the strict Content-Security-Policy every
page gets: no inline script or style, nothing fetched from another origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, render_template

from hub.api.problems import CATALOGUE, PROBLEM_BASE, PROBLEM_JSON
from hub.api.schemas import ProblemSchema

STATIC = Path(__file__).resolve().parent / "static"
SWAGGER_UI = STATIC / "vendor" / "swagger-ui"

bp = Blueprint(
    "api_docs",
    __name__,
    url_prefix="/api/v1",
    template_folder="templates",
    static_folder="static",
    static_url_path="/docs/static",
)

EXAMPLE_REQUEST_ID = "5d1e0f3a9c2b4d6e8f0a1b2c3d4e5f60"


@bp.get("/docs")
def reference() -> str:
    """The browsable API reference."""
    installed = (SWAGGER_UI / "swagger-ui-bundle.js").is_file()
    return render_template("api/docs.html", swagger_ui_installed=installed)


def problem_example(
    code: str,
    detail: str | None = None,
    *,
    instance: str = "/api/v1/...",
    errors: dict[str, list[str]] | None = None,
    title: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A problem+json body as the API answers it for ``code`` (a slug of the catalogue)."""
    status, default_title = CATALOGUE[code]
    title = title or default_title
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": instance,
        "code": code,
        "request_id": EXAMPLE_REQUEST_ID,
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    return body


def problem_doc(
    code: str,
    description: str,
    *,
    detail: str | None = None,
    instance: str = "/api/v1/...",
    errors: dict[str, list[str]] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments of ``blp.alt_response`` for a problem+json answer, with its example.

    Use as ``@blp.alt_response(404, **problem_doc("not-found", "No such record of yours."))``.
    """
    return {
        "schema": ProblemSchema,
        "content_type": PROBLEM_JSON,
        "description": description,
        "example": problem_example(
            code, detail or description, instance=instance, errors=errors, title=title
        ),
    }


def problems_doc(description: str, examples: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Like :func:`problem_doc` for a status answered with several codes, one example each."""
    return {
        "schema": ProblemSchema,
        "content_type": PROBLEM_JSON,
        "description": description,
        "examples": {
            name: {"summary": body["detail"], "value": body} for name, body in examples.items()
        },
    }


def invalid_query_doc(instance: str, field: str, message: str) -> dict[str, Any]:
    """The 422 an operation answers when a query parameter is not valid."""
    return problem_doc(
        "validation-failed",
        "A query parameter is not valid; `errors` names it.",
        detail="Some fields are not valid.",
        instance=instance,
        errors={field: [message]},
    )


LIMIT_422 = ("limit", "Must be greater than or equal to 1 and less than or equal to 500.")
