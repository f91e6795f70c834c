"""The reconcile job: waiting records linked by id, predecessor or name and postcode; reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.context import HubContext
from hub.exchange.insight.models import ReconciliationReport
from hub.exchange.ledger import rollup as ledger_rollup
from hub.exchange.ledger.models import LedgerMonth
from hub.exchange.records.models import ExperienceRecord, ReconciliationCandidate, Submission
from hub.identity.models import Organisation
from hub.jobs.runner import run_job
from tests.integration.pooled_records import add_records

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def ctx(settings, engine, session_factory):
    return HubContext(settings=settings, engine=engine, session_factory=session_factory)


@pytest.fixture
def registry(make_location):
    make_location("1-000000010", name="Old Riverside Ward", postcode="SW1A 1AA")
    make_location(
        "1-000000020", name="Riverside Ward", postcode="SW1A 1AA", predecessor="1-000000010"
    )
    make_location("1-000000030", name="St Mary's Hospital Riverside Ward", postcode="SW1A 1AB")
    make_location("1-000000040", name="Hill House Care Home", postcode="SW1A 2BB")


def _waiting(db_session, org, **fields):
    [rec] = add_records(
        db_session, org.id, 1, location_id=None, status="needs_reconciliation", **fields
    )
    return rec


def _reload(db_session, rec):
    db_session.expire_all()
    return db_session.get(ExperienceRecord, rec.id)


def test_records_are_linked_by_predecessor_and_by_name_and_postcode(
    ctx, db_session, make_org, registry
):
    org = make_org()
    moved = _waiting(db_session, org, submitted_location_id="1-000000010")
    named = _waiting(
        db_session,
        org,
        submitted_location_id=None,
        service_name="Riverside Ward, St Marys Hospital",
        service_postcode="SW1A 1AB",
    )

    run = run_job(ctx, "reconcile", now=NOW)

    assert run.status == "succeeded", run.error
    assert (run.stats["linked_by_id"], run.stats["linked_by_name"]) == (1, 1)
    moved, named = _reload(db_session, moved), _reload(db_session, named)
    assert (moved.status, moved.location_id) == ("accepted", "1-000000020")
    assert (named.status, named.location_id) == ("accepted", "1-000000030")
    events = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "experience.reconciled")
    ).all()
    assert {e.object_id for e in events} == {str(moved.id), str(named.id)}

    again = run_job(ctx, "reconcile", now=NOW)
    assert (again.stats["linked_by_id"], again.stats["linked_by_name"]) == (0, 0)


def test_an_unmatched_record_waits_with_its_candidates_listed_in_the_report(
    ctx, db_session, make_org, registry
):
    org = make_org()
    other = make_org()
    vague = _waiting(
        db_session,
        org,
        submitted_location_id="1-999999999",
        service_name="Riverside Clinic",
        service_postcode="SW1A 1AB",
    )
    db_session.add(
        Submission(
            organisation_id=org.id,
            channel="batch",
            status="completed",
            submitted_by="tests",
            declared_count=5,
            accepted_count=3,
            rejected_count=1,
            errors=[],
        )
    )
    db_session.commit()

    run_job(ctx, "reconcile", now=NOW)
    run_job(ctx, "reconcile", now=NOW)

    vague = _reload(db_session, vague)
    assert (vague.status, vague.location_id) == ("needs_reconciliation", None)
    listed = db_session.get(ReconciliationCandidate, vague.id).candidates
    assert listed and listed[0]["location_id"] in {"1-000000020", "1-000000030"}
    assert all(0.5 <= c["score"] < 0.85 for c in listed)
    [report] = db_session.scalars(
        sa.select(ReconciliationReport).where(ReconciliationReport.organisation_id == org.id)
    ).all()
    [waiting] = report.body["records"]["waiting"]
    assert waiting["experience_id"] == str(vague.id)
    assert waiting["candidates"] == listed
    [mismatch] = report.body["submissions"]["mismatched"]
    assert (mismatch["declared"], mismatch["accepted"], mismatch["rejected"]) == (5, 3, 1)
    assert other.id not in {
        r.organisation_id for r in db_session.scalars(sa.select(ReconciliationReport))
    }


def test_cross_partner_duplicates_are_grouped_without_showing_other_partners_ids(
    ctx, db_session, make_org
):
    first, second = make_org(), make_org()
    [mine] = add_records(db_session, first.id, 1)
    [theirs] = add_records(db_session, second.id, 1)
    theirs.fingerprint = mine.fingerprint
    db_session.commit()

    run_job(ctx, "reconcile", now=NOW)

    report = db_session.scalars(
        sa.select(ReconciliationReport).where(ReconciliationReport.organisation_id == first.id)
    ).one()
    assert report.body["duplicates"] == [
        {"experience_ids": [str(mine.id)], "other_partners": 1, "other_records": 1}
    ]
    assert str(theirs.id) not in str(report.body)


def test_partners_read_only_their_own_reports_and_the_regulator_reads_all(
    ctx, db_session, make_party, client, auth_headers
):
    partner, other = make_party("charity"), make_party("charity")
    regulator = make_party("regulator")
    add_records(db_session, partner.id, 1)
    add_records(db_session, other.id, 1)
    run_job(ctx, "reconcile", now=NOW)

    own = client.get("/api/v1/reconciliation/reports", headers=auth_headers(partner))
    assert own.status_code == 200, own.get_json()
    assert {i["organisation_id"] for i in own.get_json()["items"]} == {str(partner.id)}

    everyone = client.get("/api/v1/reconciliation/reports", headers=auth_headers(regulator))
    assert {i["organisation_id"] for i in everyone.get_json()["items"]} >= {
        str(partner.id),
        str(other.id),
    }


# --- the ledger's monthly roll-up ---------------------------------------------------------------


def _submitted(db_session, org, n, at):
    [*_, rec] = add_records(db_session, org.id, n)
    db_session.get(Submission, rec.submission_id).created_at = at


def _rolled_up(db_session):
    db_session.expire_all()
    rows = db_session.scalars(sa.select(LedgerMonth)).all()
    return {
        (r.organisation_id, f"{r.month:%Y-%m}"): (r.records_accepted, r.computed_at) for r in rows
    }


def test_ledger_months_are_closed_once_and_a_killed_run_is_finished_by_the_next(
    ctx, db_session, make_org, monkeypatch
):
    org, quiet = make_org(), make_org()
    _submitted(db_session, org, 2, datetime(2026, 8, 10, tzinfo=UTC))
    _submitted(db_session, org, 3, datetime(2026, 9, 10, tzinfo=UTC))
    _submitted(db_session, org, 1, datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    _submitted(db_session, org, 4, datetime(2026, 11, 1, 0, 30, tzinfo=UTC))  # not over at NOW
    db_session.execute(sa.update(Organisation).values(created_at=datetime(2026, 8, 1, tzinfo=UTC)))
    db_session.commit()

    real_close = ledger_rollup.close_month
    closing: list[object] = []

    def killed_on_the_second_month(session, actor, month):
        closing.append(month)
        if len(closing) == 2:
            raise RuntimeError("killed")
        return real_close(session, actor, month)

    monkeypatch.setattr(ledger_rollup, "close_month", killed_on_the_second_month)
    assert run_job(ctx, "reconcile", now=NOW).status == "failed"
    first = _rolled_up(db_session)
    assert {key: accepted for key, (accepted, _) in first.items()} == {
        (org.id, "2026-08"): 2,
        (quiet.id, "2026-08"): 0,
    }

    monkeypatch.setattr(ledger_rollup, "close_month", real_close)
    finished = run_job(ctx, "reconcile", now=NOW)
    assert finished.status == "succeeded", finished.error
    assert finished.stats["ledger_months_closed"] == ["2026-09", "2026-10"]
    rows = _rolled_up(db_session)
    assert {key: accepted for key, (accepted, _) in rows.items()} == {
        (org.id, "2026-08"): 2,
        (org.id, "2026-09"): 3,
        (org.id, "2026-10"): 1,
        (quiet.id, "2026-08"): 0,
        (quiet.id, "2026-09"): 0,
        (quiet.id, "2026-10"): 0,
    }
    assert rows[(org.id, "2026-08")] == first[(org.id, "2026-08")]  # not computed again

    again = run_job(ctx, "reconcile", now=NOW)
    assert (again.stats["ledger_months_closed"], again.stats["ledger_months_waiting"]) == ([], [])
    assert _rolled_up(db_session) == rows
    closes = db_session.scalars(
        sa.select(AuditEvent.object_id).where(AuditEvent.action == "ledger.month_closed")
    ).all()
    assert sorted(closes) == ["2026-08", "2026-09", "2026-10"]


def test_a_month_waits_while_an_upload_made_in_it_is_processing(ctx, db_session, make_org):
    org = make_org()
    org.created_at = datetime(2026, 10, 1, tzinfo=UTC)
    upload = Submission(
        organisation_id=org.id,
        channel="csv",
        status="processing",
        submitted_by="tests",
        declared_count=5,
        errors=[],
        created_at=datetime(2026, 10, 31, 23, 50, tzinfo=UTC),
    )
    db_session.add(upload)
    db_session.commit()

    waited = run_job(ctx, "reconcile", now=NOW)
    assert waited.stats["ledger_months_waiting"] == ["2026-10"]
    assert _rolled_up(db_session) == {}

    upload.status, upload.accepted_count = "completed", 5
    db_session.commit()
    closed = run_job(ctx, "reconcile", now=NOW)
    assert closed.stats["ledger_months_closed"] == ["2026-10"]
    assert [v[0] for v in _rolled_up(db_session).values()] == [5]
