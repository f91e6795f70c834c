"""The intake pipeline on a real database: bulk work, and losing a race gracefully."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from hub.actor import Actor
from hub.clock import utcnow
from hub.consent.models import ConsentRecord
from hub.exchange.records import intake, pipeline
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.models import ExperienceRecord
from hub.exchange.records.submissions import open_submission
from tests.factories import experience_record

CONFIG = IntakeConfig(digest_key=b"d" * 32, fingerprint_key=b"f" * 32)


@pytest.fixture
def actor(make_org):
    org = make_org("charity")
    return Actor(
        kind="client",
        id="hub_test",
        organisation_id=org.id,
        organisation_kind="charity",
        scopes=frozenset({"experiences:write"}),
    )


@contextmanager
def counting(session) -> Iterator[list[str]]:
    statements: list[str] = []
    conn = session.connection()

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(conn, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(conn, "before_cursor_execute", listener)


def test_a_batch_costs_the_same_queries_whatever_its_size(db_session, actor, make_location):
    make_location("1-100000001")

    def run(n: int) -> int:
        records = [
            experience_record(
                location_id="1-100000001", safeguarding={"concern": True, "categories": ["neglect"]}
            )
            for _ in range(n)
        ]
        with counting(db_session) as statements:
            answer = intake.submit_batch(db_session, actor, {"records": records}, config=CONFIG)
        assert sum(r.status == "created" for r in answer.results) == n
        return len(statements)

    run(1)  # the registry's place names for redaction are read once, on the first batch
    small, large = run(5), run(100)
    assert large == small  # never a query per record
    assert large < 25


def test_losing_a_race_turns_into_a_replay(db_session, actor):
    first, second = experience_record(), experience_record()
    assert actor.organisation_id is not None
    prepared = pipeline.prepare(
        db_session, actor.organisation_id, [first, second], config=CONFIG, now=utcnow()
    )
    # Another request stores the first record after this one looked for it.
    winner = intake.submit_one(db_session, actor, first, config=CONFIG)
    submission = open_submission(db_session, actor, channel="batch", declared=2, now=utcnow())
    results = pipeline.store(
        db_session, actor, prepared, submission_id=submission.id, config=CONFIG, now=utcnow()
    )
    assert [r.status for r in results] == ["replayed", "created"]
    assert results[0].id == winner.result.id
    count = db_session.scalar(sa.select(sa.func.count()).select_from(ExperienceRecord))
    consents = db_session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord))
    assert (count, consents) == (2, 2)


def test_losing_a_race_to_different_content_is_a_conflict(db_session, actor):
    rec = experience_record()
    assert actor.organisation_id is not None
    prepared = pipeline.prepare(
        db_session, actor.organisation_id, [rec], config=CONFIG, now=utcnow()
    )
    intake.submit_one(db_session, actor, {**rec, "narrative": "Another account."}, config=CONFIG)
    submission = open_submission(db_session, actor, channel="api", declared=1, now=utcnow())
    [result] = pipeline.store(
        db_session, actor, prepared, submission_id=submission.id, config=CONFIG, now=utcnow()
    )
    assert (result.status, result.code) == ("rejected", "duplicate-conflict")


def test_dry_run_service_reports_without_writing(db_session, actor):
    results = intake.dry_run(
        db_session, actor, [experience_record(), {"narrative": ""}], config=CONFIG
    )
    assert [r.status for r in results] == ["created", "rejected"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ExperienceRecord)) == 0


def test_an_actor_without_an_organisation_cannot_submit(db_session):
    from hub.errors import Forbidden

    nobody = Actor(kind="system", id="job")
    with pytest.raises(Forbidden):
        intake.submit_one(db_session, nobody, experience_record(), config=CONFIG)
