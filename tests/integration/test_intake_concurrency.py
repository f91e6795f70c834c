"""Concurrent identical submissions against a committed database leave exactly one record."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from hub.audit.services import verify
from hub.db import transaction
from hub.exchange.records import intake
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.models import ExperienceRecord, Submission
from tests.factories import experience_record
from tests.integration.committed import racing

CONFIG = IntakeConfig(digest_key=b"d" * 32, fingerprint_key=b"f" * 32)
WORKERS = 20


def _race(factory, fn):
    barrier = threading.Barrier(WORKERS)

    def work(_: int):
        barrier.wait()
        with transaction(factory) as session:
            return fn(session)

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(work, range(WORKERS)))


def test_twenty_identical_submissions_leave_one_record(fresh_database_url):
    engine, factory, actor = racing(fresh_database_url, WORKERS)
    record = experience_record(safeguarding={"concern": True, "categories": ["neglect"]})
    try:
        answers = _race(factory, lambda s: intake.submit_one(s, actor, record, config=CONFIG))
        assert sorted(a.result.status for a in answers) == ["created"] + ["replayed"] * (
            WORKERS - 1
        )
        assert len({a.result.id for a in answers}) == 1
        with transaction(factory) as session:
            count = session.scalar(sa.select(sa.func.count()).select_from(ExperienceRecord))
            submissions = session.scalar(sa.select(sa.func.count()).select_from(Submission))
            alerts = session.execute(sa.text("SELECT COUNT(*) FROM safeguarding_alerts")).scalar()
            chain = verify(session)
        assert (count, submissions, alerts) == (1, WORKERS, 1)
        assert chain.ok, chain
    finally:
        engine.dispose()


def test_concurrent_identical_batches_store_each_record_once(fresh_database_url):
    engine, factory, actor = racing(fresh_database_url, WORKERS)
    records = [experience_record() for _ in range(30)]
    try:
        answers = _race(
            factory, lambda s: intake.submit_batch(s, actor, {"records": records}, config=CONFIG)
        )
        assert sum(r.status == "created" for a in answers for r in a.results) == 30
        assert all(sum(r.status != "rejected" for r in a.results) == 30 for a in answers)
        with transaction(factory) as session:
            count = session.scalar(sa.select(sa.func.count()).select_from(ExperienceRecord))
            assert verify(session).ok
        assert count == 30
    finally:
        engine.dispose()
