"""The partner-facing REST API (``/api/v1``): flask-smorest, problem+json errors, OAuth2 scopes."""

from __future__ import annotations

import http
import logging
from typing import Any

from flask import Flask, Response
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from hub.api import (
    audit,
    datasets,
    docs,
    experiences,
    health,
    insight,
    jobs,
    ledger,
    locations,
    me,
    outcomes,
    receipts,
    reconciliation,
    safeguarding,
    submissions,
    webhooks,
)
from hub.api.auth import UNAVAILABLE_DETAIL
from hub.api.problems import (
    PROBLEM_JSON,
    from_http_exception,
    from_hub_error,
    problem,
    wants_problem,
)
from hub.api.schemas import ProblemSchema
from hub.api.spec_shapes import init_spec_shapes
from hub.db import is_transient_failure
from hub.errors import RETRY_AFTER_S, HubError
from hub.identity.models import SCOPES

log = logging.getLogger(__name__)

API_DESCRIPTION = """\
The exchange hub's API for partners (charities, local Healthwatch groups, community groups),
the regulator and auditors.

Get an access token with the OAuth2 `client_credentials` grant at `/oauth/token`
(`client_secret_basic` or `client_secret_post`), then send it as `Authorization: Bearer ...`.
Every error is an RFC 9457 `application/problem+json` body with a stable `code`, and every
response carries `X-Request-ID`. A `503` (`service-unavailable`, with `Retry-After`) means the
database or storage failed for now and nothing of the request was kept: send it again. Lists are
paginated with `limit` and `cursor`; follow `next_cursor` until it is null.
"""


class HubApi(Api):
    """flask-smorest's Api, answering problem+json on API paths instead of its own error body."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # Error responses are documented as problem+json, the way they are answered.
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Response | HTTPException:
        if not wants_problem():
            return error
        return from_http_exception(error)


def init_api(app: Flask) -> Api:
    app.config.update(
        API_TITLE="Exchange hub API",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION},
            "servers": [{"url": "/"}],
        },
    )
    api = HubApi(app)
    init_spec_shapes(api)
    api.spec.components.security_scheme(
        "oauth2",
        {
            "type": "oauth2",
            "description": "Client credentials grant; scopes as listed.",
            "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": dict(SCOPES)}},
        },
    )

    @app.errorhandler(HubError)
    def _hub_error(error: HubError) -> Response:
        return from_hub_error(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response | HTTPException:
        if isinstance(error, HTTPException):
            return api.handle_http_exception(error)
        if is_transient_failure(error):
            # The request's transaction is lost with its connection; a repeat is safe
            # (Idempotency-Key, partner_record_id, the CSV file's sha256).
            log.warning("database unavailable: %s", type(error).__name__)
            if wants_problem():
                return problem(
                    503,
                    detail=UNAVAILABLE_DETAIL,
                    headers={"Retry-After": str(RETRY_AFTER_S)},
                )
            return ServiceUnavailable(retry_after=RETRY_AFTER_S)
        log.exception("unhandled error")
        if wants_problem():
            return problem(500)
        return InternalServerError()

    for blueprint in (
        me.blp,
        locations.blp,
        audit.blp,
        jobs.blp,
        experiences.blp,
        safeguarding.blp,
        insight.blp,
        datasets.blp,
        webhooks.blp,
        outcomes.blp,
        ledger.blp,
        submissions.blp,
        reconciliation.blp,
        receipts.blp,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(health.bp)
    app.register_blueprint(docs.bp)
    return api
