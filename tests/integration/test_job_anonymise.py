"""The anonymise job: pooled datasets under disclosure control, retention, erasure, resuming."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.context import HubContext
from hub.exchange.datasets import pooled
from hub.exchange.datasets.models import Dataset, Release
from hub.exchange.records.models import ExperienceRecord
from hub.jobs.runner import run_job
from tests.integration.pooled_records import add_records

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def ctx(settings, engine, session_factory):
    return HubContext(settings=settings, engine=engine, session_factory=session_factory)


@pytest.fixture
def org(make_org):
    return make_org(conditions=["mental-health", "cancer"])


def _releases(session, slug):
    return session.scalars(
        sa.select(Release)
        .join(Dataset, Dataset.id == Release.dataset_id)
        .where(Dataset.slug == slug)
        .order_by(Release.version)
    ).all()


def _rows(ctx, release):
    with ctx.storage.open(release.storage_key) as fh:
        text = fh.read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_pooled_dataset_counts_only_consented_records_under_disclosure_control(
    ctx, db_session, org
):
    add_records(db_session, org.id, 12, location_id="1-000000001")
    add_records(db_session, org.id, 3, location_id="1-000000002")
    add_records(db_session, org.id, 9, location_id="1-000000002", key_questions=("caring",))
    # These must never count: no publish_anonymised, a withdrawn record, a withdrawn consent.
    add_records(db_session, org.id, 5, location_id="1-000000003", scopes=["regulator_use"])
    add_records(db_session, org.id, 4, location_id="1-000000001", status="withdrawn")
    add_records(db_session, org.id, 2, location_id="1-000000001", consent_status="withdrawn")

    run = run_job(ctx, "anonymise", now=NOW)

    assert run.status == "succeeded", run.error
    [release] = _releases(db_session, "experience-mental-health")
    assert release.dataset.condition_area == "mental-health"
    rows = _rows(ctx, release)
    assert list(rows[0]) == ["location_id", "month", "key_question", "sentiment", "records"]
    cells = {(r["location_id"], r["key_question"]): r["records"] for r in rows}
    assert cells == {
        ("1-000000001", "safe"): "10",
        ("1-000000002", "safe"): "*",
        ("1-000000002", "caring"): "10",
    }
    assert {r["month"] for r in rows} == {"2026-05"}
    for r in rows:
        assert r["records"] == "*" or (int(r["records"]) % 5 == 0 and int(r["records"]) > 7)
    assert run.stats["releases_published"] == 2  # the counts and the quotes
    assert "1-000000003" not in str(run.stats)


def test_a_rerun_publishes_no_new_version_when_nothing_changed(ctx, db_session, org):
    add_records(db_session, org.id, 10)
    assert run_job(ctx, "anonymise", now=NOW).status == "succeeded"
    again = run_job(ctx, "anonymise", now=NOW + timedelta(days=1))

    assert again.stats["releases_published"] == 0
    assert len(_releases(db_session, "experience-mental-health")) == 1

    add_records(db_session, org.id, 10, location_id="1-000000009")
    run_job(ctx, "anonymise", now=NOW + timedelta(days=2))
    assert [r.version for r in _releases(db_session, "experience-mental-health")] == [1, 2]


def test_quotes_are_published_only_where_k_records_share_their_quasi_identifiers(
    ctx, db_session, org
):
    add_records(db_session, org.id, 10, location_id="1-000000001")
    add_records(db_session, org.id, 9, location_id="1-000000002")

    run_job(ctx, "anonymise", now=NOW)

    [release] = _releases(db_session, "experience-quotes-mental-health")
    rows = _rows(ctx, release)
    assert len(rows) == 10
    assert {r["location_id"] for r in rows} == {"1-000000001"}
    assert {r["quote"] for r in rows} == {"[NAME] at [POSTCODE] was kind."}


def test_retention_replaces_old_raw_narratives_and_exact_dates(ctx, db_session, org):
    days = ctx.settings.raw_retention_days
    [old] = add_records(db_session, org.id, 1, received_at=NOW - timedelta(days=days + 1))
    [recent] = add_records(db_session, org.id, 1, received_at=NOW - timedelta(days=days - 1))

    run = run_job(ctx, "anonymise", now=NOW)

    db_session.expire_all()
    old, recent = (
        db_session.get(ExperienceRecord, old.id),
        db_session.get(ExperienceRecord, recent.id),
    )
    assert old.narrative == "[NAME] at [POSTCODE] was kind."
    assert (old.experience_date, old.date_precision) == (date(2026, 5, 1), "month")
    assert recent.narrative == "Nurse Jones at SW1A 1AA was kind."
    assert (recent.experience_date, recent.date_precision) == (date(2026, 5, 14), "day")
    assert run.stats["narratives_redacted"] == 1
    assert run.stats["dates_generalised"] == 1

    again = run_job(ctx, "anonymise", now=NOW)
    assert (again.stats["narratives_redacted"], again.stats["dates_generalised"]) == (0, 0)


def test_whatever_is_left_of_withdrawn_records_is_erased(ctx, db_session, org):
    [gone] = add_records(db_session, org.id, 1, status="withdrawn")
    [revoked] = add_records(db_session, org.id, 1, consent_status="withdrawn")
    [kept] = add_records(db_session, org.id, 1)

    run = run_job(ctx, "anonymise", now=NOW)

    db_session.expire_all()
    for record_id in (gone.id, revoked.id):
        rec = db_session.get(ExperienceRecord, record_id)
        assert (rec.narrative, rec.narrative_redacted, rec.equality) == (None, None, None)
        assert rec.partner_record_id  # the tombstone stays
    assert db_session.get(ExperienceRecord, kept.id).equality is not None
    assert run.stats["withdrawn_erased"] == 2


def test_a_run_killed_after_the_first_area_is_finished_by_the_next(
    ctx, db_session, org, monkeypatch
):
    add_records(db_session, org.id, 10, condition_areas=("cancer",))
    add_records(db_session, org.id, 10, condition_areas=("mental-health",))
    real = pooled.publish_if_changed
    calls = []

    def dies_after_the_first_area(*args, **kwargs):
        if calls and kwargs["area"] != calls[0]:
            raise SystemError("killed")
        calls.append(kwargs["area"])
        return real(*args, **kwargs)

    monkeypatch.setattr(pooled, "publish_if_changed", dies_after_the_first_area)
    assert run_job(ctx, "anonymise", now=NOW).status == "failed"
    assert len(_releases(db_session, "experience-cancer")) == 1
    assert _releases(db_session, "experience-mental-health") == []

    monkeypatch.setattr(pooled, "publish_if_changed", real)
    run = run_job(ctx, "anonymise", now=NOW)

    assert run.status == "succeeded"
    assert len(_releases(db_session, "experience-cancer")) == 1
    assert len(_releases(db_session, "experience-mental-health")) == 1
    assert len(_releases(db_session, "experience-quotes-mental-health")) == 1


def test_records_sent_through_intake_are_pooled_and_unconsented_ones_left_out(
    ctx, db_session, make_party, make_location, make_record, client, auth_headers
):
    make_location("1-000000001")
    partner = make_party("healthwatch")
    consented = [make_record(narrative=f"Visit {i}: the ward was clean.") for i in range(12)]
    private = [make_record(narrative=f"Visit {i}: the food was cold.") for i in range(6)]
    for rec in private:
        rec["consent"]["scopes"] = ["regulator_use"]
    sent = client.post(
        "/api/v1/experiences/batch",
        json={"records": consented + private},
        headers=auth_headers(partner),
    )
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["accepted"] == 18

    run = run_job(ctx, "anonymise", now=datetime.now(UTC))

    assert run.status == "succeeded", run.error
    [release] = _releases(db_session, "experience-mental-health")
    rows = _rows(ctx, release)
    # make_record gives each record the key questions "safe" and "caring".
    assert {(r["key_question"], r["records"]) for r in rows} == {("safe", "10"), ("caring", "10")}
