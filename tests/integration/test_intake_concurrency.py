"""Concurrent identical submissions against a committed database leave exactly one record."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import sqlalchemy as sa

from hub.actor import Actor, system
from hub.audit.services import verify
from hub.db import make_engine, make_session_factory, transaction
from hub.exchange.records import intake
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.models import ExperienceRecord, Submission
from hub.identity.services import create_organisation
from tests.factories import experience_record

CONFIG = IntakeConfig(digest_key=b"d" * 32, fingerprint_key=b"f" * 32)
WORKERS = 20


def _setup(url: str):
    engine = make_engine(
        url, **({} if url.startswith("sqlite") else {"pool_size": WORKERS + 2, "max_overflow": 0})
    )
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        org = create_organisation(
            session,
            system("tests"),
            name="Concurrent Charity",
            kind="charity",
            condition_areas=["cancer"],
            valid_from=date(2020, 1, 1),
        )
        actor = Actor(
            kind="client",
            id="hub_concurrent",
            organisation_id=org.id,
            organisation_kind="charity",
            scopes=frozenset({"experiences:write"}),
        )
    return engine, factory, actor


def _race(factory, fn):
    barrier = threading.Barrier(WORKERS)

    def work(_: int):
        barrier.wait()
        with transaction(factory) as session:
            return fn(session)

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(work, range(WORKERS)))


def test_twenty_identical_submissions_leave_one_record(fresh_database_url):
    engine, factory, actor = _setup(fresh_database_url)
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
    engine, factory, actor = _setup(fresh_database_url)
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
