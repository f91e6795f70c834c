"""The committed OpenAPI document is what the code generates, and it is valid."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate

from hub.openapi import generate_spec

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_committed_spec_matches_the_code():
    committed = json.loads(COMMITTED.read_text())
    assert committed == generate_spec(), "openapi/openapi.json is stale: run `make openapi`"


def test_spec_is_valid_openapi():
    validate(json.loads(COMMITTED.read_text()))


def test_served_spec_is_the_generated_one(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["paths"].keys() == generate_spec()["paths"].keys()


def test_every_api_operation_declares_its_security(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                assert "security" in operation or path.endswith("public-key"), (method, path)
