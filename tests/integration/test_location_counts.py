"""The inspector's ranking of most-reported locations, read from per-location counts, against a
scan of the records themselves after everything that changes what it counts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from hub.actor import Actor, system
from hub.context import HubContext
from hub.db import make_engine, make_session_factory, transaction
from hub.exchange.insight.location import most_reported
from hub.exchange.records import intake, location_counts, retention, withdrawal
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.models import ExperienceRecord, LocationDailyCount, not_withdrawn
from hub.identity.services import create_organisation
from hub.jobs.runner import run_job
from hub.migrate import upgrade
from hub.registry.models import Location
from tests.factories import experience_record
from tests.integration.committed import racing
from tests.integration.test_migration_notices import downgrade

CONFIG = IntakeConfig(digest_key=b"d" * 32, fingerprint_key=b"f" * 32)
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
EVERYTHING = 100


def scanned(session, now: datetime) -> list[dict[str, Any]]:
    """The ranking worked out from the records: negative, not withdrawn, received on one of the
    last RECENT_DAYS days (today included), about a registry location."""
    first_day = now.date() - timedelta(days=location_counts.RECENT_DAYS - 1)
    r = ExperienceRecord
    n = sa.func.count(r.id).label("n")
    rows = session.execute(
        sa.select(Location.id, Location.name, Location.postcode, n)
        .join(r, r.location_id == Location.id)
        .where(
            not_withdrawn(),
            r.sentiment == "negative",
            r.received_at >= datetime.combine(first_day, time(), UTC),
        )
        .group_by(Location.id, Location.name, Location.postcode, Location.name_search)
        .order_by(n.desc(), Location.name_search, Location.id)
    ).all()
    return [
        {"location_id": i, "name": name, "postcode": pc, "negatives": c} for i, name, pc, c in rows
    ]


def assert_ranking_matches_the_records(session, now: datetime) -> list[dict[str, Any]]:
    session.flush()
    expected = scanned(session, now)
    assert most_reported(session, now=now, limit=EVERYTHING) == expected
    assert most_reported(session, now=now, limit=2) == expected[:2]
    return expected


@pytest.fixture
def actor(make_org):
    org = make_org("charity", valid_from=date(2020, 1, 1))
    return Actor(
        kind="client",
        id="hub_test",
        organisation_id=org.id,
        organisation_kind="charity",
        scopes=frozenset({"experiences:write"}),
    )


@pytest.fixture
def ctx(settings, engine, session_factory):
    return HubContext(settings=settings, engine=engine, session_factory=session_factory)


def record_about(place: str, sentiment: str = "negative") -> dict[str, Any]:
    return experience_record(
        location_id=place,
        sentiment=sentiment,
        experience_date="2026-01-15",
        consent={**experience_record()["consent"], "obtained_at": "2026-01-20T10:00:00Z"},
    )


def send(session, actor, when: datetime, *places: tuple[str, str]) -> list[Any]:
    """One batch received at ``when``: a record per (location id, sentiment); their ids."""
    records = [record_about(place, sentiment) for place, sentiment in places]
    answer = intake.submit_batch(session, actor, {"records": records}, config=CONFIG, now=when)
    assert [r.status for r in answer.results] == ["created"] * len(places), answer.results
    return [r.id for r in answer.results]


def test_the_ranking_equals_a_scan_after_intake_withdrawal_linking_and_erasure(
    db_session, actor, make_location, ctx
):
    for loc, name in (
        ("1-000000001", "Ash House"),
        ("1-000000002", "Birch Court"),
        ("1-000000003", "Cedar Lodge"),
        ("1-000000004", "Damson Ward"),
    ):
        make_location(loc, name=name)
    old = send(db_session, actor, NOW - timedelta(days=120), *[("1-000000001", "negative")] * 3)
    # The window's first day is NOW's date less 89 days; the day before has left it.
    send(
        db_session,
        actor,
        NOW - timedelta(days=89),
        ("1-000000002", "negative"),
        ("1-000000002", "negative"),
        ("1-000000002", "positive"),
    )
    send(db_session, actor, NOW - timedelta(days=90), ("1-000000003", "negative"))
    recent = send(
        db_session,
        actor,
        NOW - timedelta(days=5),
        ("1-000000003", "negative"),
        ("1-000000003", "mixed"),
        ("1-000000004", "negative"),
        ("1-000000004", "negative"),
        ("1-000000005", "negative"),  # not yet in the registry: waits for reconciling
        ("1-000000005", "negative"),
        ("1-000000099", "negative"),  # never registered: never counted
    )
    today = send(db_session, actor, NOW, ("1-000000001", "negative"), ("1-000000004", "negative"))
    one = intake.submit_one(db_session, actor, record_about("1-000000001"), config=CONFIG, now=NOW)
    assert one.result.status == "created"
    # Nothing has rolled the sums on to NOW's window yet: the ranking subtracts what left it.
    assert not location_counts.is_rolled(db_session, NOW)
    assert [row["negatives"] for row in assert_ranking_matches_the_records(db_session, NOW)] == [
        3,
        2,
        2,
        1,
    ]

    withdrawal.withdraw_record(db_session, actor, recent[2], now=NOW)  # Damson Ward, in the window
    withdrawal.withdraw_record(db_session, actor, old[0], now=NOW)  # Ash House, long gone from it
    withdrawal.withdraw_record(db_session, actor, today[0], now=NOW)
    withdrawal.withdraw_record(db_session, actor, today[0], now=NOW)  # a second time: no change
    assert_ranking_matches_the_records(db_session, NOW)

    make_location("1-000000005", name="Elm Grange")
    db_session.commit()
    run = run_job(ctx, "reconcile", now=NOW)
    assert run.status == "succeeded", run.error
    assert run.stats["linked_by_id"] == 2
    assert location_counts.is_rolled(db_session, NOW)
    assert [row["name"] for row in assert_ranking_matches_the_records(db_session, NOW)] == [
        "Birch Court",
        "Damson Ward",
        "Elm Grange",
        "Ash House",
        "Cedar Lodge",
    ]

    withdrawal.withdraw_record(db_session, actor, recent[4], now=NOW)  # Elm Grange, once linked
    withdrawal.erase_withdrawn(db_session)
    retention.replace_raw_narratives(db_session, NOW)
    retention.generalise_dates(db_session, NOW, limit=EVERYTHING)
    assert_ranking_matches_the_records(db_session, NOW)

    # Time passes: a month on, the sums still hold days that have left, until they are rolled.
    later = NOW + timedelta(days=30)
    assert_ranking_matches_the_records(db_session, later)
    while location_counts.roll_window(db_session, now=later, limit=2) == 2:
        pass
    assert location_counts.is_rolled(db_session, later)
    assert [row["name"] for row in assert_ranking_matches_the_records(db_session, later)] == [
        "Damson Ward",
        "Ash House",
        "Cedar Lodge",
        "Elm Grange",
    ]


WORKERS = 12


def test_concurrent_intake_withdrawal_and_rolling_keep_the_counts_exact(fresh_database_url):
    engine, factory, actor = racing(fresh_database_url, WORKERS)
    places = ("1-000000001", "1-000000002", "1-000000003")
    try:
        with transaction(factory) as session:
            for n, place in enumerate(places):
                session.add(
                    Location(
                        id=place,
                        name=f"Ward {n}",
                        name_search=f"ward {n}",
                        postcode="SW1A 1AA",
                        registration_status="Registered",
                        service_types=[],
                        regulated_activities=[],
                        inspection_categories=[],
                    )
                )
        with transaction(factory) as session:
            # Sums started a window before NOW's, so rolling them has days to subtract.
            send(session, actor, NOW - timedelta(days=95), *[(p, "negative") for p in places])
            stored = send(
                session, actor, NOW - timedelta(days=3), *[(p, "negative") for p in places * 4]
            )
        barrier = threading.Barrier(WORKERS)

        def work(i: int) -> None:
            barrier.wait()
            with transaction(factory) as session:
                if i % 4 == 0:
                    location_counts.roll_window(session, now=NOW, limit=1 + i // 4)
                elif i % 4 == 1:
                    withdrawal.withdraw_record(session, actor, stored[i], now=NOW)
                else:
                    send(session, actor, NOW, *[(p, "negative") for p in reversed(places)])

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(work, range(WORKERS)))
        with transaction(factory) as session:
            assert_ranking_matches_the_records(session, NOW)
            while location_counts.roll_window(session, now=NOW) == location_counts.ROLL_BATCH:
                pass
            assert [
                row["negatives"] for row in assert_ranking_matches_the_records(session, NOW)
            ] == [4 + 6 - 1] * 3
    finally:
        engine.dispose()


def test_the_migration_fills_the_counts_from_the_records_stored(fresh_database_url):
    engine = make_engine(fresh_database_url)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    try:
        with transaction(factory) as session:
            org = create_organisation(
                session,
                system("tests"),
                name="Charity",
                kind="charity",
                condition_areas=["cancer"],
                valid_from=date(2020, 1, 1),
            )
            actor = Actor(
                kind="client",
                id="hub_migrated",
                organisation_id=org.id,
                organisation_kind="charity",
                scopes=frozenset({"experiences:write"}),
            )
            for n, place in enumerate(("1-000000001", "1-000000002")):
                session.add(
                    Location(
                        id=place,
                        name=f"Ward {n}",
                        name_search=f"ward {n}",
                        postcode="SW1A 1AA",
                        registration_status="Registered",
                        service_types=[],
                        regulated_activities=[],
                        inspection_categories=[],
                    )
                )
        with transaction(factory) as session:
            send(session, actor, NOW - timedelta(days=200), ("1-000000001", "negative"))
            kept = send(
                session,
                actor,
                NOW,
                *[("1-000000001", "negative"), ("1-000000002", "negative")] * 2,
                ("1-000000002", "positive"),
            )
            withdrawal.withdraw_record(session, actor, kept[0], now=NOW)
        with transaction(factory) as session:
            daily = session.execute(sa.select(LocationDailyCount.__table__)).all()
            ranked = assert_ranking_matches_the_records(session, now)
        assert [row["negatives"] for row in ranked] == [2, 1]

        downgrade(engine, "0025")
        upgrade(engine)

        with transaction(factory) as session:
            assert sorted(session.execute(sa.select(LocationDailyCount.__table__)).all()) == sorted(
                daily
            )
            assert location_counts.is_rolled(session, now)
            assert assert_ranking_matches_the_records(session, now) == ranked
    finally:
        engine.dispose()
