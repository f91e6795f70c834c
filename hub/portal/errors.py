"""GOV.UK-style error pages for everything under ``/portal`` (the API answers problem+json)."""

from __future__ import annotations

import logging
from typing import NoReturn

from flask import abort, g, render_template
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from hub.db import is_transient_failure
from hub.errors import RETRY_AFTER_S, HubError
from hub.portal.auth import load_user
from hub.portal.blueprint import bp

log = logging.getLogger(__name__)

# Status codes with a page of their own; any other error uses the generic page.
_PAGES = {400, 403, 404, 413, 429, 500, 503}


def error_page(status: int, detail: str | None = None) -> tuple[str, int]:
    """Render the portal's page for ``status``."""
    template = f"portal/errors/{status}.html" if status in _PAGES else "portal/errors/other.html"
    if "portal_user" not in g and status < 500:
        # Refused before the portal read its session (a bad address, say): the page still
        # knows who is signed in, so it offers their home page rather than the sign-in page.
        load_user()
    return (
        render_template(template, status=status, detail=detail, request_id=g.get("request_id")),
        status,
    )


@bp.route("/<path:_unknown>", methods=["GET", "POST"])
def not_found(_unknown: str) -> NoReturn:
    """Unknown portal addresses get the portal's 404 page rather than the API's."""
    abort(404)


@bp.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    log.info("portal form refused: %s", error.description)
    return error_page(400, "csrf")


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
    body, status = error_page(429)
    return body, status, {"Retry-After": "60"}


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[str, int]:
    return error_page(error.code or 500)


@bp.errorhandler(HubError)
def _hub_error(error: HubError) -> tuple[str, int, dict[str, str]]:
    # Services explain themselves in words meant for people, so the page shows them.
    body, status = error_page(error.status, error.detail)
    return body, status, error.headers  # e.g. Retry-After on a 503


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    if is_transient_failure(error):
        # The request's transaction is lost with its connection: nothing of it was saved.
        log.warning("database unavailable in the portal: %s", type(error).__name__)
        body, status = error_page(503)
        return body, status, {"Retry-After": str(RETRY_AFTER_S)}
    log.exception("unhandled error in the portal")
    return error_page(500)
