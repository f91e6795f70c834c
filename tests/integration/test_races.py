"""Races between requests and jobs on a database they really commit to (issue 10, item 2).

Concurrent identical submissions leaving one record are covered by test_intake_concurrency.py
(twenty single records, and overlapping batches, at once). Here: withdrawal racing a read and a
release build, and the same CSV file uploaded twice at once.

Each race is staged at a chosen point with events and monkeypatched hooks, not with sleeps. On
SQLite every transaction takes the database's write lock when it begins, so two transactions
never overlap there; the stagings that need them to overlap run on PostgreSQL only.
"""

from __future__ import annotations

import csv
import io
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.consent import services as consent_services
from hub.db import transaction
from hub.exchange.csv import upload as csv_upload
from hub.exchange.datasets import pooled as pooled_datasets
from hub.exchange.datasets.models import Dataset, Release
from hub.exchange.records import withdrawal
from hub.exchange.records.models import ExperienceRecord, Submission
from hub.jobs.runner import run_job
from tests.api.test_submissions_csv import make_csv, rows
from tests.integration.committed import (
    Hub,
    committed_hub,
    member,
    wait_for,
    waiting_on_advisory_lock,
)
from tests.integration.pooled_records import add_records

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
NEEDS_OVERLAP = "SQLite runs one transaction at a time, so these transactions cannot overlap"


@pytest.fixture
def hub(settings, fresh_database_url):
    # k = 5: eight records share every quasi-identifier, so their quotes are published.
    made = committed_hub(settings, fresh_database_url, k_anonymity=5)
    yield made
    made.engine.dispose()


def _postgres_only(hub: Hub) -> None:
    if hub.engine.dialect.name != "postgresql":
        pytest.skip(NEEDS_OVERLAP)


# --- withdrawal racing a read -------------------------------------------------------------------


def _one_record(hub: Hub, partner_org_id, **fields):
    with hub.factory() as session:
        [rec] = add_records(session, partner_org_id, 1, **fields)
    return rec


@pytest.mark.parametrize("read", ["one", "list"])
def test_a_read_overtaken_by_a_withdrawal_never_shows_the_erased_words(hub, monkeypatch, read):
    """The reader has read the record; the withdrawal commits before it reads the consent."""
    _postgres_only(hub)
    partner, regulator = member(hub, "charity"), member(hub, "regulator")
    rec = _one_record(hub, partner.org_id, equality={"age_band": "65-74", "sex": "female"})
    client = hub.client()
    reader_headers = regulator.headers(client)
    partner_headers = partner.headers(client)

    record_read, withdrawn = threading.Event(), threading.Event()
    real = consent_services.consents_for

    def consents_for(session, ids):
        if threading.current_thread().name == "reader" and not record_read.is_set():
            record_read.set()
            assert withdrawn.wait(60), "the withdrawal never committed"
        return real(session, ids)

    monkeypatch.setattr(consent_services, "consents_for", consents_for)
    url = f"/api/v1/experiences/{rec.id}" if read == "one" else "/api/v1/experiences"
    answers = []
    reader = threading.Thread(
        target=lambda: answers.append(hub.client().get(url, headers=reader_headers)), name="reader"
    )
    reader.start()
    try:
        assert record_read.wait(60), "the read never started"
        gone = client.post(f"/api/v1/experiences/{rec.id}/withdrawal", headers=partner_headers)
        assert gone.status_code == 200, gone.get_json()
    finally:
        withdrawn.set()
        reader.join(60)

    [answer] = answers
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json() if read == "one" else answer.get_json()["items"][0]
    # Either all before the withdrawal or all after it; here the consent was read after it.
    assert body["consent"]["status"] == "withdrawn"
    assert body["status"] == "withdrawn"
    assert (body["narrative"], body["narrative_redacted"], body["equality"]) == (None, None, None)


def test_no_read_after_a_withdrawal_returns_the_person_s_words(hub):
    partner, regulator = member(hub, "charity"), member(hub, "regulator")
    rec = _one_record(hub, partner.org_id)
    client = hub.client()
    readers = {"regulator": regulator.headers(client), "partner": partner.headers(client)}
    before = client.get(f"/api/v1/experiences/{rec.id}", headers=readers["regulator"])
    assert before.get_json()["narrative"] == "Nurse Jones at SW1A 1AA was kind."

    gone = client.post(f"/api/v1/experiences/{rec.id}/withdrawal", headers=readers["partner"])
    assert gone.status_code == 200

    for headers in readers.values():
        one = client.get(f"/api/v1/experiences/{rec.id}", headers=headers).get_json()
        [listed] = client.get("/api/v1/experiences", headers=headers).get_json()["items"]
        for body in (one, listed):
            assert body["status"] == "withdrawn"
            assert (body["narrative"], body["narrative_redacted"], body["equality"]) == (
                None,
                None,
                None,
            )


# --- withdrawal racing a release build ----------------------------------------------------------


def _pooled(hub: Hub, partner_org_id, n: int = 8) -> list[ExperienceRecord]:
    """``n`` records sharing every quasi-identifier, each with its own quote."""
    return [_one_record(hub, partner_org_id, redacted=f"Quote {i}: the ward.") for i in range(n)]


def _withdraw(hub: Hub, partner, record_id) -> None:
    with transaction(hub.factory) as session:
        withdrawal.withdraw_record(session, partner.actor(), record_id)


def _release_rows(hub: Hub, slug: str, version: int | None = None) -> list[dict[str, str]]:
    with transaction(hub.factory) as session:
        query = (
            sa.select(Release)
            .join(Dataset, Dataset.id == Release.dataset_id)
            .where(Dataset.slug == slug)
            .order_by(Release.version.desc())
        )
        if version is not None:
            query = query.where(Release.version == version)
        release = session.scalars(query.limit(1)).one()
    with hub.ctx.storage.open(release.storage_key) as fh:
        return list(csv.DictReader(io.StringIO(fh.read().decode("utf-8-sig"))))


def _quotes(hub: Hub, version: int | None = None) -> set[str]:
    return {r["quote"] for r in _release_rows(hub, "experience-quotes-mental-health", version)}


def _counts(hub: Hub, version: int | None = None) -> list[str]:
    return [r["records"] for r in _release_rows(hub, "experience-mental-health", version)]


@pytest.mark.parametrize("moment", ["before the build", "after the build read the records"])
def test_a_record_withdrawn_before_a_release_commits_is_not_in_it(hub, monkeypatch, moment):
    partner = member(hub, "charity")
    pooled = _pooled(hub, partner.org_id)
    leaving = pooled[0]
    if moment == "before the build":
        _withdraw(hub, partner, leaving.id)
    else:
        real = pooled_datasets.xact_lock

        def withdraw_then_lock(session, name, **kwargs):
            # The build has read the records; this area's release is about to be written.
            if not kwargs.get("shared"):
                _withdraw(hub, partner, leaving.id)
                monkeypatch.setattr(pooled_datasets, "xact_lock", real)
            return real(session, name, **kwargs)

        monkeypatch.setattr(pooled_datasets, "xact_lock", withdraw_then_lock)

    run = run_job(hub.ctx, "anonymise", now=NOW)

    assert run.status == "succeeded", run.error
    assert _quotes(hub) == {f"Quote {i}: the ward." for i in range(1, 8)}
    assert _counts(hub) == ["*"]  # 7 records: suppressed (8 would show as 10)


def test_a_withdrawal_during_a_release_build_waits_and_leaves_the_next_release(hub, monkeypatch):
    """The withdrawal arrives while the area's release is being written: it commits after the
    release, so that release may hold the record, and the next one does not."""
    _postgres_only(hub)
    partner = member(hub, "charity")
    leaving = _pooled(hub, partner.org_id)[0]
    real = pooled_datasets.publish_if_changed
    withdrawal = ThreadPoolExecutor(1)
    pending: list[Future[None]] = []

    def publish_while_withdrawing(session, *args, **kwargs):
        if not pending:
            pending.append(withdrawal.submit(_withdraw, hub, partner, leaving.id))
            wait_for(waiting_on_advisory_lock(hub.engine), "the withdrawal to wait for the release")
        return real(session, *args, **kwargs)

    monkeypatch.setattr(pooled_datasets, "publish_if_changed", publish_while_withdrawing)
    try:
        first = run_job(hub.ctx, "anonymise", now=NOW)
        pending[0].result(60)
    finally:
        withdrawal.shutdown(wait=True)
    assert first.status == "succeeded", first.error

    with transaction(hub.factory) as session:
        order = session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.action.in_(["dataset.released", "consent.withdrawn"]))
            .order_by(AuditEvent.seq)
        ).all()
    assert order == ["dataset.released", "dataset.released", "consent.withdrawn"]
    assert "Quote 0: the ward." in _quotes(hub, version=1)

    monkeypatch.setattr(pooled_datasets, "publish_if_changed", real)
    second = run_job(hub.ctx, "anonymise", now=NOW)
    assert second.status == "succeeded", second.error
    assert "Quote 0: the ward." not in _quotes(hub, version=2)
    assert _counts(hub, version=2) == ["*"]


# --- the same CSV file uploaded twice at once ---------------------------------------------------


def test_the_same_csv_uploaded_twice_at_once_makes_one_submission(hub, monkeypatch):
    partner = member(hub, "charity")
    client = hub.client()
    headers = partner.headers(client)
    data = make_csv(rows(3))
    if hub.engine.dialect.name == "postgresql":
        # Hold the first upload after its look for an earlier submission, until the second
        # has either looked too (the race) or queued behind it.
        real = csv_upload._count_rows
        first_in, second_in = threading.Event(), threading.Event()

        def count_rows(*args, **kwargs):
            if first_in.is_set():
                second_in.set()
            else:
                first_in.set()
                waiting = waiting_on_advisory_lock(hub.engine)
                wait_for(lambda: second_in.is_set() or waiting(), "the second upload")
            return real(*args, **kwargs)

        monkeypatch.setattr(csv_upload, "_count_rows", count_rows)
    start = threading.Barrier(2)

    def upload(_):
        start.wait(60)
        return hub.client().post(
            "/api/v1/submissions/csv",
            data={"file": (io.BytesIO(data), "people.csv")},
            headers=headers,
            content_type="multipart/form-data",
        )

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(upload, range(2)))

    assert [a.status_code for a in answers] == [202, 202], [a.get_json() for a in answers]
    assert len({a.get_json()["submission_id"] for a in answers}) == 1
    assert hub.count(Submission) == 1
    assert hub.count(ExperienceRecord) == 3

    # Later, once it is processed, the same file still answers that submission.
    again = client.post(
        "/api/v1/submissions/csv",
        data={"file": (io.BytesIO(data), "people-again.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert again.status_code == 202
    body = again.get_json()
    assert (body["submission_id"], body["status"]) == (
        answers[0].get_json()["submission_id"],
        "completed",
    )
    assert (hub.count(Submission), hub.count(ExperienceRecord)) == (1, 3)
