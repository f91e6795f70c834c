"""``/api/v1/audit``: auditors read, filter, export and verify the log, and check its seals."""

from __future__ import annotations

import base64
import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from hub.actor import Actor, system
from hub.audit.chain import canonical_json
from hub.audit.models import AuditEvent
from hub.audit.services import record
from hub.jobs.runner import run_job
from hub.web import hub_context

PROBLEM = "application/problem+json"
AUDIT_PATHS = ["/api/v1/audit/events", "/api/v1/audit/verify", "/api/v1/audit/seals"]


@pytest.fixture
def auditor(make_party, auth_headers):
    return auth_headers(make_party("auditor"))


@pytest.fixture
def org_ids():
    return [uuid.uuid4(), uuid.uuid4()]


@pytest.fixture
def logged(db_session, org_ids):
    """Six known events across two organisations, two actions and October/November."""
    rows = [
        ("dataset.downloaded", 0, "rel-1", datetime(2026, 10, 3, 9, tzinfo=UTC)),
        ("dataset.downloaded", 1, "rel-1", datetime(2026, 10, 20, 9, tzinfo=UTC)),
        ("dataset.released", 0, "rel-2", datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),
        ("experience.created", 0, "exp-1", datetime(2026, 11, 1, 0, tzinfo=UTC)),
        ("experience.created", 1, "exp-2", datetime(2026, 11, 2, 8, tzinfo=UTC)),
        ("experience.created", 1, "exp-3", datetime(2026, 11, 3, 8, tzinfo=UTC)),
    ]
    for action, org, object_id, at in rows:
        actor = Actor(kind="client", id=f"hub_test{org}", organisation_id=org_ids[org])
        record(db_session, actor, action, object_type="x", object_id=object_id, now=at)
    db_session.commit()


def _items(client, headers, **query):
    response = client.get("/api/v1/audit/events", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("path", [*AUDIT_PATHS, "/api/v1/jobs/runs", "/api/v1/audit/public-key"])
def test_no_token_is_401(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.content_type == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", [*AUDIT_PATHS, "/api/v1/jobs/runs"])
def test_a_partner_without_audit_read_is_403(client, make_party, auth_headers, path):
    response = client.get(path, headers=auth_headers(make_party("charity")))
    assert response.status_code == 403
    assert response.get_json()["code"] == "insufficient-scope"


@pytest.mark.parametrize("kind", ["auditor", "regulator"])
def test_audit_read_holders_may_read_the_log(client, make_party, auth_headers, kind):
    response = client.get("/api/v1/audit/events", headers=auth_headers(make_party(kind)))
    assert response.status_code == 200


def test_filters_select_the_matching_events(client, auditor, logged, org_ids):
    def objects(**query):
        return [i["object_id"] for i in _items(client, auditor, **query)["items"]]

    assert objects(action="dataset.downloaded") == ["rel-1", "rel-1"]
    assert objects(action="dataset.*") == ["rel-1", "rel-1", "rel-2"]
    assert objects(organisation_id=str(org_ids[1])) == ["rel-1", "exp-2", "exp-3"]
    assert objects(object_id="exp-2") == ["exp-2"]
    assert objects(actor="client:hub_test0") == ["rel-1", "rel-2", "exp-1"]
    october = {"from": "2026-10-01", "to": "2026-11-01"}
    assert objects(**october, organisation_id=str(org_ids[0])) == ["rel-1", "rel-2"]
    assert objects(**{"from": "2026-11-02T00:00:00Z", "action": "experience.created"}) == [
        "exp-2",
        "exp-3",
    ]


def test_events_carry_their_chain_fields(client, auditor, logged):
    [item] = _items(client, auditor, object_id="exp-1")["items"]
    assert item["action"] == "experience.created"
    assert item["occurred_at"].startswith("2026-11-01T00:00:00")
    assert len(item["hash"]) == len(item["prev_hash"]) == 64


def test_pages_follow_the_cursor_through_every_event_once(client, auditor, logged):
    seen, cursor = [], None
    while True:
        query = {"action": "*", "limit": 2} | ({"cursor": cursor} if cursor else {})
        body = _items(client, auditor, **query)
        assert len(body["items"]) <= 2
        seen += [i["seq"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    everything = _items(client, auditor, limit=500)["items"]
    assert seen == [i["seq"] for i in everything] == sorted(seen)
    newest_first = _items(client, auditor, limit=500, order="desc")["items"]
    assert [i["seq"] for i in newest_first] == sorted(seen, reverse=True)


def test_a_bad_cursor_or_filter_is_422(client, auditor):
    for query in ({"cursor": "not-a-cursor"}, {"from": "last tuesday"}, {"limit": 0}):
        response = client.get("/api/v1/audit/events", query_string=query, headers=auditor)
        assert response.status_code == 422, query
        assert response.get_json()["code"] == "validation-failed"


def test_csv_export_is_formula_safe_and_is_itself_audited(client, auditor, db_session):
    hostile = ['=HYPERLINK("http://evil")', "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "plain"]
    for value in hostile:
        record(db_session, system("tests"), "test.hostile", object_id=value)
    db_session.commit()

    response = client.get(
        "/api/v1/audit/events",
        query_string={"action": "test.hostile"},
        headers={**auditor, "Accept": "text/csv"},
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["object_id"] for r in rows] == [
        '\'=HYPERLINK("http://evil")',
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tTAB",
        "plain",
    ]
    assert all(r["action"] == "test.hostile" for r in rows)
    [exported] = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "audit.exported")
    ).all()
    assert exported.actor.startswith("client:")
    assert exported.details == {
        "filters": {"action": "test.hostile"},
        "rows": 6,
        "format": "csv",
    }


def test_verify_reports_the_chain_and_the_first_bad_seq(client, auditor, logged, db_session):
    body = client.get("/api/v1/audit/verify", headers=auditor).get_json()
    assert body["ok"] is True
    assert body["first_bad_seq"] is None
    head = db_session.scalar(sa.select(sa.func.max(AuditEvent.seq)))
    assert body["head"]["seq"] == body["events"] == head
    assert body["seals"] == {"checked": 0, "ok": True, "latest_upto_seq": None, "problems": []}

    target = head - 2
    db_session.execute(
        sa.update(AuditEvent).where(AuditEvent.seq == target).values(object_id="edited")
    )
    db_session.commit()
    broken = client.get("/api/v1/audit/verify", headers=auditor).get_json()
    assert broken["ok"] is False
    assert broken["first_bad_seq"] == target


def test_seals_are_listed_and_verify_with_the_published_key(
    app, client, auditor, make_party, auth_headers, logged
):
    ctx = hub_context(app)
    first = run_job(ctx, "audit-seal").stats["sealed_upto_seq"]
    second = run_job(ctx, "audit-seal").stats["sealed_upto_seq"]

    listed = client.get("/api/v1/audit/seals", headers=auditor).get_json()
    assert [s["upto_seq"] for s in listed["items"]] == [second, first]
    key = client.get("/api/v1/audit/public-key", headers=auth_headers(make_party("charity")))
    assert key.status_code == 200
    described = key.get_json()
    assert described["alg"] == "Ed25519"
    public = load_pem_public_key(described["public_key_pem"].encode())
    assert base64.b64decode(described["public_key_b64"]) == public.public_bytes_raw()
    for item in listed["items"]:
        assert item["key_id"] == described["key_id"]
        public.verify(base64.b64decode(item["signature"]), canonical_json(item["seal"]).encode())

    page = client.get("/api/v1/audit/seals", query_string={"limit": 1}, headers=auditor)
    assert [s["upto_seq"] for s in page.get_json()["items"]] == [second]
    assert page.get_json()["next_cursor"]

    verified = client.get("/api/v1/audit/verify", headers=auditor).get_json()
    assert verified["ok"] is True
    assert verified["seals"]["checked"] == 2


def test_the_public_key_is_served_as_pem_on_request(client, make_party, auth_headers):
    headers = {**auth_headers(make_party("charity")), "Accept": "application/x-pem-file"}
    response = client.get("/api/v1/audit/public-key", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/x-pem-file"
    assert response.get_data(as_text=True).startswith("-----BEGIN PUBLIC KEY-----")
