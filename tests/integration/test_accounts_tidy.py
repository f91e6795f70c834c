"""The accounts-tidy job forgets what sign-in no longer needs, and nothing it still needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from hub.context import HubContext
from hub.identity import sessions, throttle
from hub.identity.models import PortalSession, SignInThrottle
from hub.jobs.runner import run_job

NOW = datetime(2026, 12, 7, 3, 15, tzinfo=UTC)


def count(db_session, model) -> int:
    return int(db_session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_old_sessions_and_quiet_counters_go_live_ones_stay(
    settings, engine, session_factory, db_session, make_user
):
    user = make_user()
    policy = sessions.SessionPolicy()
    old = sessions.start(db_session, user, policy=policy, now=NOW - timedelta(days=40))
    sessions.end(db_session, old.session_id, reason="signed-out", now=NOW - timedelta(days=40))
    live = sessions.start(db_session, user, policy=policy, now=NOW - timedelta(minutes=5))
    quiet = throttle.Keys.of("someone@example.org", "198.51.100.1")
    waiting = throttle.Keys.of("target@example.org", None)
    for _ in range(3):
        throttle.fail(
            throttle.check(db_session, quiet, NOW - timedelta(hours=3)), NOW - timedelta(hours=3)
        )
    for _ in range(6):
        throttle.fail(throttle.check(db_session, waiting, NOW), NOW)
    db_session.commit()

    ctx = HubContext(settings=settings, engine=engine, session_factory=session_factory)
    run = run_job(ctx, "accounts-tidy", now=NOW)
    assert run.status == "succeeded"
    assert run.stats == {"sessions": 1, "links": 0, "throttles": 2}
    assert [row.id for row in db_session.scalars(sa.select(PortalSession))] == [live.session_id]
    [left] = db_session.scalars(sa.select(SignInThrottle))
    assert left.key == waiting.account
