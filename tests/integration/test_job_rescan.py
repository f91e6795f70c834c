"""The rescan job: stored records read again by today's engines, idempotently and resumably."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.actor import Actor
from hub.audit.models import AuditEvent
from hub.context import HubContext
from hub.exchange.datasets.models import Dataset, Release
from hub.exchange.notify.models import WebhookDelivery
from hub.exchange.notify.webhooks import register_endpoint
from hub.exchange.records import rescan
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.intake import submit_one
from hub.exchange.records.models import ExperienceRecord
from hub.exchange.records.scan import engines_version
from hub.jobs import rescan as rescan_job
from hub.jobs.catalogue import JOBS
from hub.jobs.runner import run_job
from hub.safeguarding.models import SafeguardingAlert
from tests.factories import experience_record
from tests.integration.pooled_records import add_records

NOW = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
# Redacted by an older engine that knew neither the lowercase name nor the phone number.
LEAKY = "my carer sandra okafor was kind, ring me on 07700 900123"
CONCERN = "The carer slapped my mum across the face and she has bruises all over her arms."


@pytest.fixture
def ctx(settings, engine, session_factory):
    return HubContext(settings=settings, engine=engine, session_factory=session_factory)


@pytest.fixture
def org(make_org):
    return make_org(conditions=["mental-health"])


def _events(session, action):
    return session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    ).all()


def _alerts(session):
    return session.scalars(sa.select(SafeguardingAlert)).all()


def test_rescan_is_a_scheduled_job():
    assert JOBS["rescan"] is rescan_job.run


def test_a_record_read_by_older_engines_gets_todays_redacted_copy(ctx, db_session, org):
    [rec] = add_records(db_session, org.id, 1, narrative=LEAKY, redacted=LEAKY)

    run = run_job(ctx, "rescan", now=NOW)

    assert run.status == "succeeded", run.error
    db_session.expire_all()
    rec = db_session.get(ExperienceRecord, rec.id)
    assert rec.narrative_redacted == "my carer [NAME] was kind, ring me on [PHONE]"
    assert rec.redactions == {"NAME": 1, "PHONE": 1}
    assert rec.narrative == LEAKY  # the raw words stay for the regulator
    assert rec.scanned_with == engines_version()
    [event] = _events(db_session, "experience.rescanned")
    assert event.object_id == str(rec.id)
    assert event.details["redaction_changed"] is True
    assert event.details["redactions"] == {"NAME": 1, "PHONE": 1}
    assert "sandra" not in str(event.details).lower()
    assert (run.stats["records_read"], run.stats["re_redacted"]) == (1, 1)


def test_a_concern_found_late_raises_an_alert_marked_late_with_the_original_time(
    ctx, db_session, org, make_org
):
    regulator = make_org("regulator")
    endpoint = register_endpoint(
        db_session,
        Actor(
            kind="client", id="hub_r", organisation_id=regulator.id, organisation_kind="regulator"
        ),
        url="https://receiver.example/hook",
        events=["safeguarding.alert"],
        hub_secret=ctx.secret_key,
        now=NOW,
    ).endpoint
    [rec] = add_records(
        db_session, org.id, 1, narrative=CONCERN, redacted=CONCERN, received_at=RECEIVED
    )

    run = run_job(ctx, "rescan", now=NOW)

    assert run.stats["alerts_raised"] == 1
    [alert] = _alerts(db_session)
    assert alert.experience_id == rec.id
    assert "physical" in alert.categories
    assert alert.source == "classifier"
    assert alert.found_late is True
    assert alert.received_at == RECEIVED
    assert alert.raised_at == NOW
    assert alert.due_at > NOW  # the time to act runs from when it was found
    [raised] = _events(db_session, "safeguarding.alert_raised")
    assert raised.details["found_late"] is True
    assert raised.details["received_at"] == RECEIVED.isoformat()
    [rescanned] = _events(db_session, "experience.rescanned")
    assert rescanned.details["safeguarding_alert"] == str(alert.id)
    [notice] = db_session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.event == "safeguarding.alert")
    ).all()
    assert notice.endpoint_id == endpoint.id
    assert json.loads(notice.body)["data"]["object_id"] == str(alert.id)


def test_a_record_already_alerted_is_not_alerted_again(ctx, db_session, org):
    add_records(db_session, org.id, 1, narrative=CONCERN, redacted=CONCERN)
    assert run_job(ctx, "rescan", now=NOW).stats["alerts_raised"] == 1
    db_session.execute(sa.update(ExperienceRecord).values(scanned_with="older engines"))
    db_session.commit()

    again = run_job(ctx, "rescan", now=NOW + timedelta(days=1))

    assert (again.stats["records_read"], again.stats["alerts_raised"]) == (1, 0)
    assert len(_alerts(db_session)) == 1


# A concern whose first redaction missed the carer's lowercase name, and its alert's reasons as
# that older engine quoted them.
NAMED_CONCERN = "my carer sandra okafor slapped my mum across the face and she has bruises."
LEAKY_REASONS = [
    {"category": "physical", "source": "rule", "words": ["sandra okafor slapped my mum"]},
    {"category": "physical", "source": "model", "words": ["slapped", "sandra", "bruises"]},
]


def test_a_changed_redaction_masks_the_alert_reasons_again(ctx, db_session, org):
    [rec] = add_records(db_session, org.id, 1, narrative=NAMED_CONCERN, redacted=NAMED_CONCERN)
    run_job(ctx, "rescan", now=NOW)
    [alert] = _alerts(db_session)
    # As an older engine left it: the name in the redacted copy and in the alert's reasons.
    alert.reasons = LEAKY_REASONS
    db_session.execute(
        sa.update(ExperienceRecord).values(
            narrative_redacted=NAMED_CONCERN, scanned_with="older engines"
        )
    )
    db_session.commit()

    run = run_job(ctx, "rescan", now=NOW + timedelta(days=1))

    assert (run.stats["re_redacted"], run.stats["alert_reasons_remasked"]) == (1, 1)
    assert run.stats["alerts_raised"] == 0
    db_session.expire_all()
    [alert] = _alerts(db_session)
    assert alert.reasons == [
        {"category": "physical", "source": "rule", "words": ["[NAME] slapped my mum"]},
        {"category": "physical", "source": "model", "words": ["slapped", "[NAME]", "bruises"]},
    ]
    assert "sandra" not in db_session.get(ExperienceRecord, rec.id).narrative_redacted
    rescanned = _events(db_session, "experience.rescanned")[-1]
    assert rescanned.details["alert_reasons_remasked"] is True
    assert "sandra" not in str(rescanned.details).lower()


def test_alert_reasons_are_left_alone_when_the_redaction_does_not_change(ctx, db_session, org):
    add_records(db_session, org.id, 1, narrative=CONCERN, redacted=CONCERN)
    run_job(ctx, "rescan", now=NOW)
    [alert] = _alerts(db_session)
    reasons = list(alert.reasons)
    db_session.execute(sa.update(ExperienceRecord).values(scanned_with="older engines"))
    db_session.commit()

    again = run_job(ctx, "rescan", now=NOW + timedelta(days=1))

    assert (again.stats["re_redacted"], again.stats["alert_reasons_remasked"]) == (0, 0)
    db_session.expire_all()
    assert _alerts(db_session)[0].reasons == reasons


def test_a_second_run_changes_nothing(ctx, db_session, org):
    add_records(db_session, org.id, 3, narrative=LEAKY, redacted=LEAKY)
    add_records(db_session, org.id, 1, narrative=CONCERN, redacted=CONCERN)
    first = run_job(ctx, "rescan", now=NOW)
    assert (first.stats["records_read"], first.stats["alerts_raised"]) == (4, 1)
    events = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    redacted = db_session.scalars(sa.select(ExperienceRecord.narrative_redacted)).all()

    second = run_job(ctx, "rescan", now=NOW + timedelta(hours=1))

    assert (second.stats["records_read"], second.stats["re_redacted"]) == (0, 0)
    assert second.stats["alerts_raised"] == 0
    assert second.stats["releases_published"] == 0
    assert len(_alerts(db_session)) == 1
    assert db_session.scalars(sa.select(ExperienceRecord.narrative_redacted)).all() == redacted
    # Only the run's own job.completed event is new.
    after = db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert after == events + 1


def test_an_interrupted_run_is_finished_by_the_next_without_repeating_work(
    ctx, db_session, org, monkeypatch
):
    add_records(db_session, org.id, 5, narrative=LEAKY, redacted=LEAKY)
    monkeypatch.setattr(rescan_job, "BATCH", 2)
    real = rescan.rescan_batch
    calls = []

    def killed_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(rescan, "rescan_batch", killed_on_the_second_batch)
    assert run_job(ctx, "rescan", now=NOW).status == "failed"
    monkeypatch.setattr(rescan, "rescan_batch", real)
    assert len(_events(db_session, "experience.rescanned")) == 2  # the first batch stayed

    resumed = run_job(ctx, "rescan", now=NOW)

    assert resumed.status == "succeeded"
    assert resumed.stats["records_read"] == 3
    assert len(_events(db_session, "experience.rescanned")) == 5
    left = db_session.scalars(
        sa.select(ExperienceRecord.narrative_redacted).where(
            ExperienceRecord.narrative_redacted.contains("sandra")
        )
    ).all()
    assert left == []


def test_only_records_whose_raw_words_are_kept_are_read(ctx, db_session, org):
    days = ctx.settings.raw_retention_days
    add_records(db_session, org.id, 1, narrative=LEAKY, redacted=LEAKY, status="withdrawn")
    add_records(
        db_session,
        org.id,
        1,
        narrative=LEAKY,
        redacted=LEAKY,
        received_at=NOW - timedelta(days=days + 1),
    )
    add_records(db_session, org.id, 1, narrative=None, redacted=None)
    [kept] = add_records(db_session, org.id, 1, narrative=LEAKY, redacted=LEAKY)

    run = run_job(ctx, "rescan", now=NOW)

    assert run.stats["records_read"] == 1
    [event] = _events(db_session, "experience.rescanned")
    assert event.object_id == str(kept.id)


def test_records_taken_in_are_marked_with_the_engines_that_read_them(ctx, db_session, org):
    actor = Actor(
        kind="client",
        id="hub_test",
        organisation_id=org.id,
        organisation_kind="charity",
        scopes=frozenset({"experiences:write"}),
    )
    config = IntakeConfig(digest_key=b"d" * 32, fingerprint_key=b"f" * 32)
    answer = submit_one(db_session, actor, experience_record(narrative=LEAKY), config=config)
    db_session.commit()
    rec = db_session.get(ExperienceRecord, answer.result.id)
    assert rec is not None and rec.scanned_with == engines_version()

    run = run_job(ctx, "rescan", now=rec.received_at + timedelta(hours=1))

    assert run.stats["records_read"] == 0


def test_pooled_quotes_are_published_again_when_a_redaction_changes(ctx, db_session, org):
    add_records(db_session, org.id, 10, narrative=LEAKY, redacted=LEAKY)
    run_job(ctx, "anonymise", now=NOW)
    first = _quotes(ctx, db_session)
    assert {r["quote"] for r in first} == {LEAKY}

    run = run_job(ctx, "rescan", now=NOW)

    assert run.stats["releases_published"] == 1  # the quotes; the counts did not change
    assert {r["quote"] for r in _quotes(ctx, db_session)} == {
        "my carer [NAME] was kind, ring me on [PHONE]"
    }


def _quotes(ctx, session):
    release = session.scalars(
        sa.select(Release)
        .join(Dataset, Dataset.id == Release.dataset_id)
        .where(Dataset.slug == "experience-quotes-mental-health")
        .order_by(Release.version.desc())
    ).first()
    assert release is not None
    with ctx.storage.open(release.storage_key) as fh:
        return list(csv.DictReader(io.StringIO(fh.read().decode("utf-8-sig"))))
