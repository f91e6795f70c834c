"""Building the web application: settings, the hub's context, request handling, OAuth, the API
and the portal. No rules live here (docs/architecture.md: the wiring)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hub.api import init_api
from hub.api.oauth import init_oauth
from hub.api.ratelimit import init_rate_limits
from hub.config import Settings
from hub.context import HubContext
from hub.logs import configure_logging
from hub.portal import init_portal
from hub.web import HubFlask, init_request_handling


def _settings(config: Settings | dict[str, Any] | None) -> Settings:
    if isinstance(config, Settings):
        return config
    return Settings.from_env(**(config or {}))


def build_app(
    config: Settings | dict[str, Any] | None = None, *, context: HubContext | None = None
) -> Flask:
    settings = context.settings if context else _settings(config)
    ctx = context or HubContext.from_settings(settings)
    app = HubFlask(__name__, instance_path=None)
    app.config.update(
        SECRET_KEY=ctx.secret_key,
        TESTING=settings.testing,
        DEBUG=settings.debug,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="hub_session",
        JSON_SORT_KEYS=False,
    )
    app.extensions["hub"] = ctx
    configure_logging(settings.log_level)
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    init_request_handling(app)
    init_oauth(app)
    init_api(app)
    init_rate_limits(app)
    init_portal(app)
    return app
