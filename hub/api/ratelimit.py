"""Rate limits (flask-limiter): the endpoints that check a client secret, answered with a 429
problem."""

from __future__ import annotations

from flask import Flask, Response
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from hub.api.problems import problem
from hub.web import hub_context


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
    for endpoint in ("oauth.token", "oauth.introspect", "oauth.revoke"):
        app.view_functions[endpoint] = secret_checks(app.view_functions[endpoint])  # type: ignore[assignment]
    app.extensions["hub_limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded) -> Response:
        return problem(
            429,
            code="rate-limited",
            detail=f"Too many requests: the limit is {error.description}. Try again shortly.",
            headers={"Retry-After": "60"},
        )

    return limiter
