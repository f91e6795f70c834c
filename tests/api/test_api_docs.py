"""The API is documented for partners: every operation in the spec, and the reference page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from hub.api import docs, docs_assets
from hub.openapi import generate_spec

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return generate_spec()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def inline(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with every ``$ref`` to a component schema replaced by the schema."""
    if isinstance(node, dict):
        if "$ref" in node:
            return inline(spec, spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]])
        return {key: inline(spec, value) for key, value in node.items()}
    if isinstance(node, list):
        return [inline(spec, value) for value in node]
    return node


def bodies(operation: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, media type, content) of the request body and of every inline response."""
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        yield "request", media, content
    for status, response in operation["responses"].items():
        for media, content in response.get("content", {}).items():
            yield status, media, content


def examples_of(content: dict[str, Any]) -> list[Any]:
    named = [example["value"] for example in content.get("examples", {}).values()]
    return ([content["example"]] if "example" in content else []) + named


def test_every_operation_has_an_id_a_summary_and_a_description(spec):
    ids = []
    for method, path, operation in operations(spec):
        assert operation.get("summary"), (method, path)
        assert len(operation.get("description", "")) > len(operation["summary"]), (method, path)
        ids.append(operation.get("operationId"))
        assert re.fullmatch(r"[a-z][A-Za-z]+", ids[-1] or ""), (method, path)
    assert len(ids) == len(set(ids))


def test_every_body_in_and_out_has_an_example_that_fits_its_schema(spec):
    for method, path, operation in operations(spec):
        for where, media, content in bodies(operation):
            if content.get("schema", {}).get("format") == "binary":
                continue
            found = examples_of(content)
            assert found, (method, path, where, media)
            if media == "multipart/form-data":
                continue  # the file part's example is text standing in for bytes
            validator = OAS30Validator(inline(spec, content["schema"]))
            for example in found:
                errors = [e.message for e in validator.iter_errors(example)]
                assert errors == [], (method, path, where, media)


def test_every_error_is_documented_as_problem_json(spec):
    for method, path, operation in operations(spec):
        statuses = operation["responses"]
        assert {"401", "403", "default"} <= statuses.keys(), (method, path)
        # Publishing to a new slug creates the dataset: the only operation on an id without 404.
        if "{" in path and operation["operationId"] != "publishRelease":
            assert "404" in statuses, (method, path)
        if operation.get("parameters") and any(p["in"] == "query" for p in operation["parameters"]):
            assert "422" in statuses, (method, path)
        for status, response in statuses.items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (path, status)


def test_each_scope_is_a_requirement_of_its_own(spec):
    # OpenAPI needs every scope of one requirement; the hub needs any one of those listed.
    for method, path, operation in operations(spec):
        for requirement in operation["security"]:
            assert len(requirement["oauth2"]) <= 1, (method, path)


def test_the_reference_page_runs_swagger_ui_from_the_hub_itself(client, monkeypatch, tmp_path):
    (tmp_path / "swagger-ui-bundle.js").write_text("window.SwaggerUIBundle = function () {};")
    monkeypatch.setattr(docs, "SWAGGER_UI", tmp_path)
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    html = page.get_data(as_text=True)
    assert "<style" not in html
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == [
        "/api/v1/docs/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/api/v1/docs/static/docs.js",
    ]
    assert not re.findall(r"<script>|<script [^>]*>[^<]", html)
    assert all(url.startswith("/") for url in re.findall(r'(?:src|href)="([^"]+)"', html))
    starter = client.get("/api/v1/docs/static/docs.js")
    try:
        assert starter.status_code == 200
        assert "validatorUrl: null" in starter.get_data(as_text=True)
    finally:
        starter.close()


def test_the_reference_page_points_to_the_spec_when_swagger_ui_is_not_installed(
    client, monkeypatch, tmp_path
):
    monkeypatch.setattr(docs, "SWAGGER_UI", tmp_path / "missing")
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script" not in html
    assert 'href="/api/v1/openapi.json"' in html
    assert "make setup" in html


def test_swagger_ui_is_copied_without_its_source_maps(tmp_path: Path):
    source = tmp_path / "swagger-ui-dist"
    source.mkdir()
    (source / "swagger-ui-bundle.js").write_text("var a=1;\n//# sourceMappingURL=b.js.map")
    (source / "swagger-ui.css").write_text(".a{}\n/*# sourceMappingURL=c.css.map*/")
    (source / "LICENSE").write_text("Apache-2.0")
    target = tmp_path / "static" / "swagger-ui"
    target.mkdir(parents=True)
    (target / "stale.js").write_text("old")

    copied = docs_assets.copy_assets(source, target)

    assert [p.name for p in copied] == ["LICENSE", "swagger-ui-bundle.js", "swagger-ui.css"]
    assert (target / "swagger-ui-bundle.js").read_text() == "var a=1;\n"
    assert "sourceMappingURL" not in (target / "swagger-ui.css").read_text()


def test_copying_swagger_ui_says_what_to_run_when_npm_has_not(tmp_path: Path, capsys):
    assert docs_assets.main(["--source", str(tmp_path), "--target", str(tmp_path / "t")]) == 1
    assert "npm ci" in capsys.readouterr().err
