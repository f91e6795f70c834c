"""Every error on an API path is RFC 9457 problem+json; never a leak of internals."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def _assert_problem(response, status, code):
    assert response.status_code == status
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    assert body["title"]
    assert body["instance"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


def test_unknown_api_path_is_404_problem(client):
    _assert_problem(client.get("/api/v1/no-such-thing"), 404, "not-found")


def test_wrong_method_is_405_problem(client):
    response = client.delete("/api/v1/me")
    _assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


def test_unexpected_error_is_500_without_internals(make_app):
    app = make_app()

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/api/v1/boom")
    body = _assert_problem(response, 500, "internal-error")
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert body["request_id"]


def test_request_id_is_echoed_when_sane_and_replaced_when_not(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert replaced.headers["X-Request-ID"] != "bad id <script>"
    assert len(replaced.headers["X-Request-ID"]) == 32


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"] == "ok"


@pytest.mark.parametrize("path", ["/api/v1/me", "/healthz"])
def test_security_headers(client, path):
    response = client.get(path)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
