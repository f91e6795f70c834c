"""Fuzzing the live API from the committed spec: no 5xx, and every answer is what the spec says.

schemathesis generates requests for every operation of ``openapi/openapi.json`` (its examples
first, then valid and invalid data) and sends each with the token of every organisation kind
whose scopes the operation accepts, to a real ``hub serve``. Generated ids rarely name anything,
so a second test calls every operation on an id with real objects behind it. The run is
bounded: a fixed seed, a few examples per operation, no shrinking and a timeout on every request.
For a deeper run: ``HUB_FUZZ_EXAMPLES=500 HUB_FUZZ_COVERAGE=1``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fixtures.live_server import LiveHub

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
KINDS = ("charity", "healthwatch", "community_group", "regulator", "auditor")
# A few per operation keeps the run to a minute or two; HUB_FUZZ_EXAMPLES=500 digs deeper.
MAX_EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "12"))
REQUEST_TIMEOUT_S = 30
GUNICORN_LINE_LIMIT = 4094  # gunicorn's limit_request_line, in bytes
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_path(
    SPEC,
    config=schemathesis.Config.from_dict(
        {
            "seed": 8,
            "phases": {
                "examples": {"enabled": True},
                "fuzzing": {"enabled": True},
                # Boundary values of every parameter: thorough, and several minutes long.
                "coverage": {"enabled": os.environ.get("HUB_FUZZ_COVERAGE") == "1"},
                "stateful": {"enabled": False},
            },
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "no-shrink": True,
                "database": "none",
            },
        }
    ),
)


def accepted_kinds(security: list[dict[str, list[str]]], held: dict[str, set[str]]) -> list[str]:
    """The kinds whose token satisfies one of the operation's security requirements."""
    return [
        kind
        for kind in KINDS
        if any(set(requirement.get("oauth2", [])) <= held[kind] for requirement in security)
    ]


def request_line_length(response: schemathesis.Response) -> int:
    """Bytes of ``METHOD /path?query HTTP/1.1`` as the request was sent."""
    parts = urlsplit(response.request.url or "")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return len(f"{response.request.method} {target} HTTP/1.1".encode())


@pytest.fixture(scope="module")
def tokens(module_live_hub: LiveHub, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One party per organisation kind, each with every scope its kind may hold; their tokens."""
    hub = module_live_hub
    parties = {
        kind: hub.add_party(kind, conditions=["cancer"] if kind != "auditor" else ())
        for kind in KINDS
    }
    release = tmp_path_factory.mktemp("release") / "cancer-waits.csv"
    release.write_text("trust,month,median_wait_days\nRXQ,2026-01,31\n")
    hub.publish("cancer-waits", release, title="Cancer waits", condition_area="cancer")
    return {kind: hub.token(party) for kind, party in parties.items()}


@pytest.fixture(scope="module")
def scopes_held(module_live_hub: LiveHub, tokens: dict[str, str]) -> dict[str, set[str]]:
    held = {}
    for kind, token in tokens.items():
        me = module_live_hub.http.get(
            f"{module_live_hub.url}/api/v1/me",
            headers={"Authorization": f"Bearer {token}"},
            timeout=REQUEST_TIMEOUT_S,
        )
        assert me.status_code == 200, me.text
        held[kind] = set(me.json()["scopes"])
    return held


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented(
    case: schemathesis.Case,
    module_live_hub: LiveHub,
    tokens: dict[str, str],
    scopes_held: dict[str, set[str]],
) -> None:
    security = case.operation.definition.raw.get("security", [{}])
    kinds = accepted_kinds(security, scopes_held)
    assert kinds, f"no organisation kind may call {case.operation.label}"
    for kind in kinds:
        response = case.call(
            base_url=module_live_hub.url,
            headers={"Authorization": f"Bearer {tokens[kind]}"},
            timeout=REQUEST_TIMEOUT_S,
        )
        if response.status_code == 414 and request_line_length(response) > GUNICORN_LINE_LIMIT:
            # gunicorn refuses such a request line itself, before the hub sees it.
            continue
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:
            exc.add_note(f"as a {kind} token; server log:\n{module_live_hub.log_tail()}")
            raise


# Operations on one object, in an order where each still finds its object (deleting comes last).
ON_REAL_OBJECTS = [
    ("GET", "/api/v1/locations/{location_id}"),
    ("GET", "/api/v1/insight/locations/{location_id}"),
    ("GET", "/api/v1/experiences/{experience_id}"),
    ("GET", "/api/v1/experiences/{experience_id}/consent-receipt"),
    ("GET", "/api/v1/experiences/{experience_id}/outcomes"),
    ("GET", "/api/v1/submissions/{submission_id}"),
    ("GET", "/api/v1/safeguarding/alerts/{alert_id}"),
    ("POST", "/api/v1/safeguarding/alerts/{alert_id}/acknowledgement"),
    ("POST", "/api/v1/safeguarding/alerts/{alert_id}/referral"),
    ("GET", "/api/v1/datasets/{slug}/releases"),
    ("GET", "/api/v1/datasets/{slug}/releases/{version}/file"),
    ("POST", "/api/v1/datasets/{slug}/releases"),
    ("GET", "/api/v1/webhooks/{endpoint_id}"),
    ("GET", "/api/v1/webhooks/{endpoint_id}/deliveries"),
    ("GET", "/api/v1/receipts/{seq}"),
    ("POST", "/api/v1/experiences/{experience_id}/withdrawal"),
    ("DELETE", "/api/v1/webhooks/{endpoint_id}"),
]
REGISTRY_CSV = (
    "location_id,provider_id,name,postcode,region,local_authority,registration_status,"
    "service_types,predecessor_id\n"
    "1-545611283,1-101674321,Riverside Ward,SW1A 1AA,London,Westminster,Registered,"
    "Hospital services for people with mental health needs,\n"
)


def _request_example(method: str, path: str) -> Any:
    raw = schema.raw_schema["paths"][path][method.lower()]
    content = raw.get("requestBody", {}).get("content", {})
    return content.get("application/json", {}).get("example")


@pytest.fixture(scope="module")
def real_objects(
    module_live_hub: LiveHub, tokens: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A location, a charity's record with a safeguarding alert, and a webhook endpoint."""
    hub = module_live_hub
    registry = tmp_path_factory.mktemp("registry") / "locations.csv"
    registry.write_text(REGISTRY_CSV)
    hub.cli("registry", "import", str(registry))

    def call(kind: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
        answer = hub.http.request(
            method,
            f"{hub.url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {tokens[kind]}"},
            timeout=REQUEST_TIMEOUT_S,
        )
        assert answer.status_code < 300, answer.text
        body_out: dict[str, Any] = answer.json()
        return body_out

    record = json.loads(json.dumps(_request_example("POST", "/api/v1/experiences")))
    record.update(
        partner_record_id="real-object-1",
        safeguarding={"concern": True, "immediate_risk": False, "categories": ["neglect"]},
    )
    experience = call("charity", "POST", "/api/v1/experiences", record)
    assert experience["safeguarding"]["alert"] is not None
    endpoint = call(
        "charity", "POST", "/api/v1/webhooks", _request_example("POST", "/api/v1/webhooks")
    )
    submission = call("charity", "GET", f"/api/v1/submissions/{experience['submission_id']}")
    return {
        "location_id": "1-545611283",
        "experience_id": experience["id"],
        "submission_id": experience["submission_id"],
        "alert_id": experience["safeguarding"]["alert"]["id"],
        "endpoint_id": endpoint["id"],
        "seq": submission["receipt"]["audit_seq"],
        "slug": "cancer-waits",
        "version": 1,
    }


def test_every_operation_on_one_object_is_covered() -> None:
    with_ids = {
        (method.upper(), path)
        for path, item in schema.raw_schema["paths"].items()
        for method in item
        if "{" in path and method in {"get", "post", "put", "patch", "delete"}
    }
    assert with_ids == set(ON_REAL_OBJECTS)


def test_operations_on_real_objects_answer_as_documented(
    module_live_hub: LiveHub,
    tokens: dict[str, str],
    scopes_held: dict[str, set[str]],
    real_objects: dict[str, Any],
) -> None:
    for method, path in ON_REAL_OBJECTS:
        operation = schema[path][method]
        names = re.findall(r"{(\w+)}", path)
        body = _request_example(method, path)
        if (method, path) == ("POST", "/api/v1/datasets/{slug}/releases"):
            body = {"file": b"trust,month,median_wait_days\nRXQ,2026-02,29\n", "format": "csv"}
        answered: dict[str, int] = {}
        for kind in accepted_kinds(operation.definition.raw.get("security", [{}]), scopes_held):
            case = operation.Case(
                path_parameters={name: real_objects[name] for name in names},
                **({"body": body} if body is not None else {}),
            )
            response = case.call_and_validate(
                base_url=module_live_hub.url,
                headers={"Authorization": f"Bearer {tokens[kind]}"},
                checks=CHECKS,
                timeout=REQUEST_TIMEOUT_S,
            )
            answered[kind] = response.status_code
        assert any(status < 300 for status in answered.values()), (method, path, answered)


def test_hostile_shapes_get_a_problem_from_the_real_server(
    module_live_hub: LiveHub, tokens: dict[str, str], real_objects: dict[str, Any]
) -> None:
    """The shapes of tests/security/test_hostile_input.py sent to ``hub serve`` (gunicorn, on
    SQLite and PostgreSQL): malformed cursors on every list, deep JSON in every body, NUL bytes
    in filters and in the OAuth client id. Each is a 4xx problem."""
    from tests.security.test_hostile_input import BAD_CURSORS, JSON_POSTS, NUL, list_operations

    hub = module_live_hub

    def get(path: str, kind: str, **params: str) -> Any:
        return hub.http.get(
            f"{hub.url}{path}",
            params=params,
            headers={"Authorization": f"Bearer {tokens[kind]}"},
            timeout=REQUEST_TIMEOUT_S,
        )

    def assert_problem(answer: Any) -> None:
        assert 400 <= answer.status_code < 500, (answer.request.url, answer.status_code)
        assert answer.headers["Content-Type"].startswith("application/problem+json")

    for template in list_operations():
        path = re.sub(r"{(\w+)}", lambda m: str(real_objects[m.group(1)]), template)
        statuses = set()
        for kind in ("charity", "regulator", "auditor"):
            for bad in BAD_CURSORS[:8]:
                answer = get(path, kind, cursor=bad)
                statuses.add(answer.status_code)
                if answer.status_code not in (401, 403, 404):
                    assert_problem(answer)
            assert_problem(get(path, kind, cursor=BAD_CURSORS[0], q=NUL, location_id=NUL))
        assert statuses - {401, 403, 404}, template
    for action in (NUL, "x"):
        answer = get("/api/v1/audit/events", "auditor", action=action, actor=NUL)
        assert answer.status_code == 400
    releases = f"/api/v1/datasets/{real_objects['slug']}/releases"
    assert_problem(get(f"{releases}/{'9' * 23}/file", "charity"))

    for path in JSON_POSTS:
        kind = "regulator" if path.endswith("outcomes") else "charity"
        answer = hub.http.post(
            f"{hub.url}{path}",
            data="[" * 100_000,
            headers={"Authorization": f"Bearer {tokens[kind]}", "Content-Type": "application/json"},
            timeout=REQUEST_TIMEOUT_S,
        )
        assert_problem(answer)
        assert answer.json()["code"] == "malformed-json"

    for endpoint in ("token", "introspect", "revoke"):
        answer = hub.http.post(
            f"{hub.url}/oauth/{endpoint}",
            data={
                "grant_type": "client_credentials",
                "client_id": NUL,
                "client_secret": "x",
                "token": "t",
            },
            timeout=REQUEST_TIMEOUT_S,
        )
        assert answer.status_code in (400, 401), (endpoint, answer.status_code, answer.text[:200])
        assert answer.json()["error"] == "invalid_client"
