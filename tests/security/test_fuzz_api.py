"""Fuzzing the API's JSON bodies: any body gets a 2xx or a 4xx problem, never a 5xx.

Arbitrary JSON against the record schemas answers 422 with ``errors`` by field path; bytes that
are not JSON answer 400 ``malformed-json``; another content type 415; a body over
``HUB_MAX_REQUEST_BYTES`` 413. The API-wide fuzzing from the OpenAPI document is
tests/e2e/test_schemathesis.py.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import experience_record

FUZZ = settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=15,
)
record_fields = st.sampled_from(sorted(experience_record()))
nested_fields = st.sampled_from(
    [
        "consent.scopes",
        "consent.obtained_at",
        "safeguarding.concern",
        "equality.sex",
        "service.name",
    ]
)


def mutated_record(replacements: dict[str, Any], nested: dict[str, Any]) -> dict[str, Any]:
    record = experience_record(partner_record_id=f"fz-{uuid.uuid4().hex[:10]}")
    record.update(replacements)
    for path, value in nested.items():
        head, _, tail = path.partition(".")
        if isinstance(record.get(head), dict):
            record[head][tail] = value
    return record


@pytest.fixture
def partner_headers(make_party, auth_headers):
    return auth_headers(make_party("charity"))


def assert_answered(response) -> None:
    status = response.status_code
    assert status < 500, response.get_data(as_text=True)[:500]
    if status >= 400:
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == status and problem["code"]
        if status == 422:
            assert problem["errors"] and all(problem["errors"].values()), problem


@FUZZ
@given(
    replacements=st.dictionaries(record_fields, json_values, max_size=4),
    nested=st.dictionaries(nested_fields, json_values, max_size=2),
)
def test_any_record_body_is_a_record_or_a_422_with_errors(
    client, partner_headers, replacements, nested
):
    body = mutated_record(replacements, nested)
    response = client.post("/api/v1/experiences", json=body, headers=partner_headers)
    assert_answered(response)
    assert response.status_code in (200, 201, 403, 409, 422)


@FUZZ
@given(body=json_values)
def test_any_json_document_at_all_is_answered(client, partner_headers, body):
    for path in ("/api/v1/experiences", "/api/v1/experiences/batch", "/api/v1/webhooks"):
        assert_answered(client.post(path, json=body, headers=partner_headers))


@FUZZ
@given(
    records=st.lists(
        st.builds(
            mutated_record,
            st.dictionaries(record_fields, json_values, max_size=2),
            st.dictionaries(nested_fields, json_values, max_size=1),
        ),
        max_size=4,
    )
)
def test_a_batch_reports_each_record_on_its_own(client, partner_headers, records):
    response = client.post(
        "/api/v1/experiences/batch", json={"records": records}, headers=partner_headers
    )
    assert_answered(response)
    if response.status_code == 200:
        results = response.get_json()["results"]
        assert [r["index"] for r in results] == list(range(len(records)))
        for result in results:
            assert result["status"] in ("created", "replayed", "rejected")
            if result["status"] == "rejected":
                assert result["errors"]


JSON_POSTS = [
    "/api/v1/experiences",
    "/api/v1/experiences/batch",
    "/api/v1/webhooks",
    "/api/v1/outcomes",
    "/api/v1/safeguarding/alerts/5d0c1c9e-0b4e-4b7a-9a57-0f3e2b1c4d5e/referral",
]


@pytest.fixture
def every_scope(make_party, get_token):
    """A partner's token for partner operations, the regulator's for the regulator's."""
    partner = f"Bearer {get_token(make_party('charity'))}"
    regulator = f"Bearer {get_token(make_party('regulator'))}"

    def headers(path: str, **more: str) -> dict[str, str]:
        partners = path.startswith(("/api/v1/experiences", "/api/v1/webhooks"))
        return {"Authorization": partner if partners else regulator, **more}

    return headers


@FUZZ
@given(raw=st.binary(min_size=1, max_size=200))
def test_bytes_that_are_not_json_are_a_400_problem(client, every_scope, raw):
    try:
        json.loads(raw)
    except ValueError:
        pass
    else:
        return
    for path in JSON_POSTS:
        headers = every_scope(path, **{"Content-Type": "application/json"})
        response = client.post(path, data=raw, headers=headers)
        assert_answered(response)
        assert response.status_code == 400, (path, raw)
        assert response.get_json()["code"] == "malformed-json"


def test_a_body_of_another_type_is_415(client, every_scope):
    for path in JSON_POSTS:
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
            headers = every_scope(path, **{"Content-Type": content_type})
            response = client.post(path, data=b"records=1", headers=headers)
            assert response.status_code == 415, (path, content_type)
            assert response.mimetype == "application/problem+json"
            assert response.get_json()["code"] == "unsupported-media-type"


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/api/v1/experiences", {"content_type": "application/json"}),
        ("/api/v1/experiences/batch", {"content_type": "application/json"}),
        ("/api/v1/webhooks", {"content_type": "application/json"}),
    ],
)
def test_a_body_over_the_request_limit_is_413(  # other limits: test_body_limits.py
    make_app, make_party, auth_headers, path, kwargs
):
    client = make_app(json_max_bytes=4096).test_client()
    headers = auth_headers(make_party("charity"))
    data = json.dumps({"records": ["x" * 10_000]})
    response = client.post(path, data=data, headers=headers, **kwargs)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "payload-too-large"
