"""Rate limits (flask-limiter): the endpoints that check a client secret, answered with a 429
problem."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from hub.api.problems import problem
from hub.web import hub_context

# The endpoints that check a client secret, limited together.
SECRET_CHECK_ENDPOINTS = ("oauth.token", "oauth.introspect", "oauth.revoke")


def _check_only_the_limited(app: Flask, limiter: Limiter) -> None:
    """The limiter checks every request before its view. The hub sets no default or
    application-wide limit, only limits on chosen views, which their wrappers check when called;
    so the check before the view is kept for those views and skipped for all others, where it
    had nothing to count (about a tenth of a millisecond of CPU a request)."""
    hooks = app.before_request_funcs.get(None, [])
    if (
        limiter._check_request_limit not in hooks  # a flask-limiter that checks differently
        or app.config.get("RATELIMIT_DEFAULT")
        or app.config.get("RATELIMIT_APPLICATION")
    ):
        return

    def _check_limited_views() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "__wrapper-limiter-instance", None) is limiter:
            limiter._check_request_limit()

    hooks[hooks.index(limiter._check_request_limit)] = _check_limited_views


def init_rate_limits(app: Flask) -> Limiter:
    settings = hub_context(app).settings
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.rate_limit_storage_url,
        default_limits=[],
        headers_enabled=True,
    )
    # Every endpoint that checks a client secret, counted together per address: guessing spread
    # over the three gets no more tries than at one.
    secret_checks = limiter.shared_limit(settings.token_rate_limit, scope="client-secret")
    for endpoint in SECRET_CHECK_ENDPOINTS:
        app.view_functions[endpoint] = secret_checks(app.view_functions[endpoint])  # type: ignore[assignment]
    app.extensions["hub_limiter"] = limiter
    _check_only_the_limited(app, limiter)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded) -> Response:
        return problem(
            429,
            code="rate-limited",
            detail=f"Too many requests: the limit is {error.description}. Try again shortly.",
            headers={"Retry-After": "60"},
        )

    return limiter
