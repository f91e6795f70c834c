"""``GET /api/v1/jobs/runs``: auditors review what the scheduled jobs did."""

from __future__ import annotations

import pytest

from hub.jobs import runner
from hub.jobs.runner import run_job
from hub.web import hub_context


@pytest.fixture
def runs(app, monkeypatch):
    def flaky(ctx, session_factory, *, now):
        raise ValueError("no registry file")

    monkeypatch.setitem(runner.JOBS, "test-ok", lambda ctx, sf, *, now: {"done": 2})
    monkeypatch.setitem(runner.JOBS, "test-flaky", flaky)
    ctx = hub_context(app)
    return [run_job(ctx, name) for name in ("test-ok", "test-flaky", "test-ok")]


def test_runs_are_listed_newest_first_with_status_and_stats(client, make_party, auth_headers, runs):
    headers = auth_headers(make_party("auditor"))
    body = client.get("/api/v1/jobs/runs", headers=headers).get_json()
    assert [i["id"] for i in body["items"]] == [str(r.id) for r in reversed(runs)]
    newest, failed = body["items"][0], body["items"][1]
    assert newest["job"] == "test-ok"
    assert newest["status"] == "succeeded"
    assert newest["stats"] == {"done": 2}
    assert newest["started_at"] <= newest["finished_at"]
    assert failed["status"] == "failed"
    assert failed["error"] == "ValueError: no registry file"


def test_runs_filter_by_job_and_page(client, make_party, auth_headers, runs):
    headers = auth_headers(make_party("regulator"))
    first = client.get(
        "/api/v1/jobs/runs", query_string={"job": "test-ok", "limit": 1}, headers=headers
    ).get_json()
    assert [i["id"] for i in first["items"]] == [str(runs[2].id)]
    second = client.get(
        "/api/v1/jobs/runs",
        query_string={"job": "test-ok", "limit": 1, "cursor": first["next_cursor"]},
        headers=headers,
    ).get_json()
    assert [i["id"] for i in second["items"]] == [str(runs[0].id)]
    assert second["next_cursor"] is None


def test_a_partner_may_not_read_job_runs(client, make_party, auth_headers, runs):
    response = client.get("/api/v1/jobs/runs", headers=auth_headers(make_party("charity")))
    assert response.status_code == 403
