"""A background task that fails for good is visible where operators and auditors look: a failed
run in ``GET /api/v1/jobs/runs`` and on the portal's jobs page, audited as ``job.failed``."""

from __future__ import annotations

import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.tasks import engine
from hub.web import hub_context
from tests.api.test_portal_upload import signed_in


def test_a_task_failing_for_good_shows_in_the_runs_and_the_portal(
    app, client, make_party, make_user, auth_headers, db_session, monkeypatch
):
    given_up = []

    def broken(ctx, record_id):
        raise ValueError("the record store said no")

    monkeypatch.setitem(
        engine.REGISTRY,
        "test.broken",
        engine.TaskSpec("test.broken", broken, lambda ctx, exc, *args: given_up.append(args)),
    )
    engine.enqueue(hub_context(app), "test.broken", "r-1")
    assert given_up == [("r-1",)]

    body = client.get("/api/v1/jobs/runs", headers=auth_headers(make_party("auditor"))).get_json()
    [run] = [item for item in body["items"] if item["job"] == "test.broken"]
    assert run["status"] == "failed"
    assert run["error"] == "ValueError: the record store said no"
    assert run["stats"] == {"args": ["r-1"], "attempts": 1}
    event = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "job.failed")).one()
    assert event.details["job"] == "test.broken"

    page = signed_in(app, make_user("auditor", "auditor")).get("/portal/audit/jobs")
    text = page.get_data(as_text=True)
    assert "test.broken" in text and "Failed" in text
