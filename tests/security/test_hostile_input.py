"""Hostile shapes that once answered 500: each is now a 4xx problem, on SQLite and PostgreSQL.

Deeply nested JSON, malformed cursors on every list, numbers too large for the database, and NUL
bytes (which PostgreSQL refuses in text) in bodies, query strings, paths, file names and OAuth
client ids. The property tests in test_fuzz_api.py draw from the same shapes.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import experience_record

SPEC = json.loads((Path(__file__).resolve().parents[2] / "openapi" / "openapi.json").read_text())

JSON_POSTS = [
    "/api/v1/experiences",
    "/api/v1/experiences/batch",
    "/api/v1/webhooks",
    "/api/v1/outcomes",
]


def cursor(values: Any) -> str:
    raw = json.dumps(values).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Cursors no list ever gives out (W1sxXSxbMl1d is [[1],[2]]): always a 4xx problem.
BAD_CURSORS = [
    "W1sxXSxbMl1d",
    "not base64 at all!",
    "%00",
    cursor({"a": 1}),
    cursor("just a string"),
    cursor([]),
    *(
        cursor([value] * n)
        for n in (1, 2, 3)
        for value in (
            [1],
            {"k": "v"},
            99999999999999999999999,
            -99999999999999999999999,
            1e308,
            True,
            None,
            "\x00",
            "x" * 5000,
        )
    ),
]
# Of the right form but naming no key: answered, a page or a problem, never a 5xx.
ODD_CURSORS = [cursor([value] * n) for n in (1, 2, 3) for value in ("2026-13-45T99:99", "9" * 40)]


def list_operations() -> list[str]:
    paths = []
    for path, item in SPEC["paths"].items():
        get = item.get("get")
        if get and any(p.get("name") == "cursor" for p in get.get("parameters", [])):
            paths.append(path)
    return paths


def assert_problem(response: Any, *allowed: int) -> None:
    status = response.status_code
    assert status < 500, response.get_data(as_text=True)[:300]
    assert status >= 400, status
    if allowed:
        assert status in allowed, (status, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["status"] == status and body["code"]


@pytest.fixture
def callers(make_party, get_token):
    """Every organisation kind's token, each with every scope its kind may hold."""
    kinds = ("charity", "regulator", "auditor")
    return {
        kind: {"Authorization": f"Bearer {get_token(make_party(kind, conditions=['cancer']))}"}
        for kind in kinds
    }


@pytest.fixture
def real_ids(client, callers):
    """A webhook endpoint and a published dataset, so lists under them reach their cursor."""
    endpoint = client.post(
        "/api/v1/webhooks",
        json={"url": "https://partner.example/hook", "events": ["dataset.released"]},
        headers=callers["charity"],
    )
    assert endpoint.status_code == 201, endpoint.get_json()
    published = client.post(
        "/api/v1/datasets/cancer-waits/releases",
        data={
            "file": (io.BytesIO(b"trust,month\nRXQ,2026-01\n"), "w.csv"),
            "format": "csv",
            "title": "Cancer waits",
            "condition_area": "cancer",
        },
        headers=callers["regulator"],
        content_type="multipart/form-data",
    )
    assert published.status_code == 201, published.get_json()
    return {"endpoint_id": endpoint.get_json()["id"], "slug": "cancer-waits"}


def test_every_list_refuses_a_malformed_cursor_with_a_problem(client, callers, real_ids):
    paths = list_operations()
    assert len(paths) >= 7
    for template in paths:
        path = re.sub(r"{(\w+)}", lambda m: real_ids[m.group(1)], template)
        reached = False
        for headers in callers.values():
            for bad in BAD_CURSORS:
                response = client.get(path, query_string={"cursor": bad}, headers=headers)
                if response.status_code in (401, 403, 404):
                    break  # this caller may not list here; another may
                assert_problem(response, 400, 422)
                reached = True
            for odd in ODD_CURSORS:
                response = client.get(path, query_string={"cursor": odd}, headers=headers)
                assert response.status_code < 500, (template, odd)
        assert reached, f"no caller reached the cursor of {template}"


def test_a_feeds_since_of_the_wrong_shape_is_a_problem(client, callers):
    for bad in BAD_CURSORS:
        response = client.get(
            "/api/v1/datasets/feed", query_string={"since": bad}, headers=callers["charity"]
        )
        assert_problem(response, 400, 422)


@pytest.mark.parametrize("number", ["99999999999999999999999", "9223372036854775808"])
def test_numbers_beyond_the_database_are_not_found(client, callers, real_ids, number):
    for path in (
        f"/api/v1/datasets/{real_ids['slug']}/releases/{number}/file",
        f"/api/v1/receipts/{number}",
    ):
        for headers in callers.values():
            assert_problem(client.get(path, headers=headers), 403, 404)


@pytest.mark.parametrize("path", JSON_POSTS)
def test_json_nested_too_deep_is_a_400_problem(client, callers, path):
    headers = {**callers["regulator" if path.endswith("outcomes") else "charity"]}
    headers["Content-Type"] = "application/json"
    deep_object = '{"a":' * 50_000 + "1" + "}" * 50_000
    for body in ("[" * 100_000, "[" * 100_000 + "]" * 100_000, deep_object):
        response = client.post(path, data=body, headers=headers)
        assert_problem(response, 400)
        assert response.get_json()["code"] == "malformed-json"


DEEP = "__deep__"


def with_deep(body: Any, depth: int) -> str:
    """``body`` as JSON with ``DEEP`` replaced by a list nested ``depth`` deep (built as text:
    the encoder itself would give up)."""
    return json.dumps(body).replace(json.dumps(DEEP), "[" * depth + '"x"' + "]" * depth)


@pytest.mark.parametrize("depth", [50, 900, 5_000, 100_000])
def test_deep_nesting_inside_each_body_is_answered(client, callers, depth):
    partner, regulator = callers["charity"], callers["regulator"]
    bodies = [
        ("/api/v1/experiences", experience_record(narrative=DEEP), partner),
        ("/api/v1/experiences", experience_record(consent={"scopes": DEEP}), partner),
        ("/api/v1/experiences/batch", {"records": DEEP}, partner),
        ("/api/v1/experiences/batch", {"records": [experience_record(themes=DEEP)]}, partner),
        ("/api/v1/webhooks", {"url": "https://p.example/h", "events": DEEP}, partner),
        ("/api/v1/webhooks", {"url": DEEP, "events": ["dataset.released"]}, partner),
        ("/api/v1/outcomes", {"kind": DEEP, "location_id": "1-1"}, regulator),
        ("/api/v1/outcomes", {"experience_ids": DEEP}, regulator),
    ]
    for path, body, headers in bodies:
        response = client.post(
            path,
            data=with_deep(body, depth),
            headers={**headers, "Content-Type": "application/json"},
        )
        if response.status_code == 200:  # a batch answers each record on its own
            assert all(r["status"] == "rejected" for r in response.get_json()["results"])
            continue
        assert_problem(response, 400, 422)


NUL = "a\x00b"


def test_nul_bytes_in_any_query_parameter_are_answered(client, callers, real_ids):
    for template, item in SPEC["paths"].items():
        get = item.get("get")
        if not get:
            continue
        path = re.sub(r"{(\w+)}", lambda m: str(real_ids.get(m.group(1), "x")), template)
        for parameter in get.get("parameters", []):
            if parameter["in"] != "query":
                continue
            for headers in callers.values():
                response = client.get(path, query_string={parameter["name"]: NUL}, headers=headers)
                assert response.status_code < 500, (template, parameter["name"])
                if response.status_code >= 400:
                    assert_problem(response)


def test_nul_bytes_in_path_parameters_are_answered(client, callers):
    for template, item in SPEC["paths"].items():
        if "{" not in template:
            continue
        path = re.sub(r"{(\w+)}", "a%00b", template)
        for method in ("get", "post", "delete"):
            if method not in item:
                continue
            for headers in callers.values():
                response = client.open(path, method=method.upper(), headers=headers, json={})
                assert_problem(response)


def test_nul_bytes_in_bodies_are_answered(client, callers):
    partner, regulator = callers["charity"], callers["regulator"]
    record = experience_record()
    for field in ("partner_record_id", "location_id", "service_type", "narrative"):
        response = client.post("/api/v1/experiences", json={**record, field: NUL}, headers=partner)
        assert response.status_code < 500, field
        if response.status_code >= 400:
            assert_problem(response)
    answer = client.post(
        "/api/v1/webhooks",
        json={"url": f"https://p.example/{NUL}", "events": ["x"]},
        headers=partner,
    )
    assert_problem(answer, 422)
    answer = client.post(
        "/api/v1/outcomes",
        json={"location_id": NUL, "kind": "action", "summary": NUL},
        headers=regulator,
    )
    assert_problem(answer)


def test_an_upload_file_name_with_a_nul_byte_is_answered(client, callers):
    response = client.post(
        "/api/v1/submissions",
        data={"file": (io.BytesIO(b"partner_record_id\nx\n"), "feed\x00back.csv")},
        headers=callers["charity"],
        content_type="multipart/form-data",
    )
    assert response.status_code < 500
    if response.status_code >= 400:
        assert_problem(response)


@pytest.mark.parametrize("where", ["form", "basic"])
def test_a_nul_byte_in_a_client_id_is_invalid_client(client, where):
    data = {"grant_type": "client_credentials"}
    kwargs: dict[str, Any] = {}
    if where == "form":
        data.update(client_id="hub_\x00x", client_secret="s")
    else:
        kwargs["headers"] = {
            "Authorization": "Basic " + base64.b64encode(b"hub_\x00x:secret").decode()
        }
    for path in ("/oauth/token", "/oauth/introspect", "/oauth/revoke"):
        body = {**data, "token": "t"} if path != "/oauth/token" else data
        response = client.post(path, data=body, **kwargs)
        assert response.status_code in (400, 401), (path, response.status_code)
        assert response.get_json()["error"] == "invalid_client"


def test_nul_bytes_at_the_portal_get_a_plain_400(client, make_user):
    from tests.api.test_portal_signin import csrf_token

    page = client.get("/portal/find-location", query_string={"q": NUL, NUL: "x"})
    assert page.status_code == 400 and page.mimetype == "text/html"
    # The audit log's filters are a form: a signed-out caller is sent to sign in, not a 500.
    page = client.get("/portal/audit", query_string={"action": NUL, "actor": NUL})
    assert page.status_code == 302
    answer = client.post(
        "/portal/sign-in",
        data={
            "email": f"someone{NUL}@example.org",
            "password": NUL,
            "csrf_token": csrf_token(client),
        },
    )
    assert answer.status_code == 400 and answer.mimetype == "text/html"


# The same shapes drawn by hypothesis: any JSON value as a cursor, any text as any filter.
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
# Each example sends a request to every list or every filter, as two callers: a few hundred
# requests per example. NUL, over-long and malformed values are tried in every place by the
# tests above; these add a handful of random shapes (HUB_FUZZ_EXAMPLES digs deeper).
PROPERTY = settings(
    max_examples=int(os.environ.get("HUB_FUZZ_EXAMPLES", "8")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(value=json_values)
def test_any_json_as_a_cursor_is_answered(client, callers, real_ids, value):
    for template in list_operations():
        path = re.sub(r"{(\w+)}", lambda m: real_ids[m.group(1)], template)
        for headers in (callers["charity"], callers["regulator"]):
            response = client.get(path, query_string={"cursor": cursor(value)}, headers=headers)
            assert response.status_code < 500, (template, value)


@PROPERTY
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.just(NUL))
def test_any_text_in_any_filter_is_answered(client, callers, text):
    for template, item in SPEC["paths"].items():
        get = item.get("get")
        if not get or "{" in template:
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] == "query":
                for headers in (callers["charity"], callers["regulator"]):
                    response = client.get(
                        template, query_string={parameter["name"]: text}, headers=headers
                    )
                    assert response.status_code < 500, (template, parameter["name"], text)
