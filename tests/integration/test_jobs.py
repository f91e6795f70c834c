"""Running jobs: every run recorded and audited, never two at once, interrupted runs closed."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.config import Settings
from hub.context import HubContext
from hub.db import make_engine, make_session_factory, transaction
from hub.jobs import runner
from hub.jobs.models import JobRun
from hub.jobs.runner import UnknownJob, build_scheduler, run_job


@pytest.fixture
def ctx(settings, engine, session_factory):
    return HubContext(settings=settings, engine=engine, session_factory=session_factory)


def _events(session, action):
    return session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    ).all()


def test_a_run_is_recorded_with_its_stats_and_audited(ctx, db_session, monkeypatch):
    seen = {}

    def count_things(ctx, session_factory, *, now):
        seen["now"] = now
        return {"counted": 3, "skipped": 0}

    monkeypatch.setitem(runner.JOBS, "test-count", count_things)
    at = datetime(2026, 10, 1, 2, 30, tzinfo=UTC)
    run = run_job(ctx, "test-count", now=at)

    assert seen["now"] == at
    assert run.status == "succeeded"
    assert run.stats == {"counted": 3, "skipped": 0}
    assert run.error is None
    assert run.finished_at >= run.started_at
    stored = db_session.get(JobRun, run.id)
    assert (stored.job, stored.status, stored.stats) == ("test-count", "succeeded", run.stats)
    assert stored.pid and stored.host
    [event] = _events(db_session, "job.completed")
    assert event.actor == "system:job:test-count"
    assert event.object_id == str(run.id)
    assert event.details["stats"] == {"counted": 3, "skipped": 0}
    assert verify(db_session).ok


def test_a_failing_job_is_recorded_as_failed_with_its_error(ctx, db_session, monkeypatch):
    def broken(ctx, session_factory, *, now):
        raise RuntimeError("the registry file is unreadable")

    monkeypatch.setitem(runner.JOBS, "test-broken", broken)
    run = run_job(ctx, "test-broken")

    assert run.status == "failed"
    assert run.error == "RuntimeError: the registry file is unreadable"
    assert db_session.get(JobRun, run.id).status == "failed"
    [event] = _events(db_session, "job.failed")
    assert event.outcome == "failure"
    assert event.details == {
        "job": "test-broken",
        "run_id": str(run.id),
        "error_type": "RuntimeError",
    }
    assert not _events(db_session, "job.completed")


def test_a_run_left_running_by_a_killed_process_is_closed_by_the_next(ctx, db_session, monkeypatch):
    monkeypatch.setitem(runner.JOBS, "test-ok", lambda ctx, sf, *, now: {})
    with transaction(ctx.session_factory) as session:
        orphan = JobRun(
            job="test-ok", started_at=datetime(2026, 1, 1, tzinfo=UTC), status="running", stats={}
        )
        session.add(orphan)
    run_job(ctx, "test-ok")
    db_session.expire_all()
    closed = db_session.get(JobRun, orphan.id)
    assert closed.status == "failed"
    assert closed.error.startswith("interrupted")
    assert closed.finished_at is not None


def test_an_unknown_job_is_refused(ctx):
    with pytest.raises(UnknownJob, match="no job named 'nope'"):
        run_job(ctx, "nope")


# --- never two at once --------------------------------------------------------------------------


def _blocking_worker(url, instance, started, release, results):
    """A process whose job holds the lock until the test sets ``release``."""
    from hub.jobs import registry

    def block(ctx, session_factory, *, now):
        started.set()
        if not release.wait(120):
            raise TimeoutError("never released")
        return {"blocked": True}

    registry.JOBS["test-block"] = block
    _run_in_process(url, instance, results)


def _second_worker(url, instance, results):
    from hub.jobs import registry

    registry.JOBS["test-block"] = lambda ctx, sf, *, now: {"blocked": False}
    _run_in_process(url, instance, results)


def _run_in_process(url, instance, results):
    settings = Settings(database_url=url, instance_path=instance, storage_url=f"file://{instance}")
    engine = make_engine(url)
    ctx = HubContext(settings=settings, engine=engine, session_factory=make_session_factory(engine))
    run = run_job(ctx, "test-block")
    results.put((run.status, run.stats))
    engine.dispose()


def test_two_processes_never_run_the_same_job_at_once(fresh_database_url, tmp_path):
    spawn = multiprocessing.get_context("spawn")
    started, release, results = spawn.Event(), spawn.Event(), spawn.Queue()
    first = spawn.Process(
        target=_blocking_worker,
        args=(fresh_database_url, str(tmp_path / "a"), started, release, results),
    )
    first.start()
    try:
        assert started.wait(120), "the first run never started"
        second = spawn.Process(
            target=_second_worker, args=(fresh_database_url, str(tmp_path / "b"), results)
        )
        second.start()
        second.join(120)
        assert second.exitcode == 0
        assert results.get(timeout=10) == ("skipped", {"reason": "already running elsewhere"})
    finally:
        release.set()
        first.join(120)
    assert first.exitcode == 0
    assert results.get(timeout=10) == ("succeeded", {"blocked": True})

    engine = make_engine(fresh_database_url)
    with engine.connect() as conn:
        statuses = (
            conn.execute(
                sa.select(JobRun.status).where(JobRun.job == "test-block").order_by(JobRun.status)
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert statuses == ["skipped", "succeeded"]


def test_the_lock_is_free_again_after_a_run(ctx, monkeypatch):
    monkeypatch.setitem(runner.JOBS, "test-ok", lambda ctx, sf, *, now: {})
    assert run_job(ctx, "test-ok").status == "succeeded"
    assert run_job(ctx, "test-ok").status == "succeeded"


# --- the scheduler ------------------------------------------------------------------------------


def test_the_scheduler_takes_each_crontab_from_settings(ctx):
    ctx.settings = ctx.settings.replace(schedule_audit_seal="*/5 * * * *")
    scheduler = build_scheduler(ctx)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("audit-seal")
        assert str(job.trigger) == (
            "cron[month='*', day='*', day_of_week='*', hour='*', minute='*/5']"
        )
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.misfire_grace_time == runner.MISFIRE_GRACE_S
    finally:
        scheduler.shutdown()


def test_a_job_without_a_schedule_is_left_to_the_command(ctx):
    ctx.settings = ctx.settings.replace(schedule_audit_seal="")
    scheduler = build_scheduler(ctx)
    assert "audit-seal" not in {job.id for job in scheduler.get_jobs()}


def test_a_bad_crontab_names_its_setting(ctx):
    ctx.settings = ctx.settings.replace(schedule_audit_seal="every hour")
    with pytest.raises(ValueError, match="HUB_SCHEDULE_AUDIT_SEAL"):
        build_scheduler(ctx)


def test_the_scheduler_runs_a_due_job_and_records_it(ctx, db_session, monkeypatch):
    fired = threading.Event()

    def tick(ctx, session_factory, *, now):
        fired.set()
        return {"ticked": 1}

    monkeypatch.setattr(runner, "JOBS", {"audit-seal": tick})
    scheduler = build_scheduler(ctx)
    scheduler.start(paused=True)
    try:
        scheduler.get_job("audit-seal").modify(next_run_time=datetime.now(UTC))
        scheduler.resume()
        assert fired.wait(60), "the scheduler never ran the job"
    finally:
        scheduler.shutdown(wait=True)
    [run] = db_session.scalars(sa.select(JobRun).where(JobRun.job == "audit-seal")).all()
    assert (run.status, run.stats) == ("succeeded", {"ticked": 1})
