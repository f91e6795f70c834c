"""Running jobs: every run recorded and audited, never two at once, interrupted runs closed."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import subprocess
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.config import Settings
from hub.context import HubContext
from hub.db import make_engine, make_session_factory, transaction
from hub.jobs import runner
from hub.jobs.models import JobRun
from hub.jobs.runner import UnknownJob, run_job
from hub.tasks import scheduler as scheduling
from hub.tasks.scheduler import build_scheduler
from tests.factories import ACTOR
from tests.fixtures.live_server import HUB_EXECUTABLE, hub_env
from tests.integration.pooled_records import add_records


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
    from hub.jobs import catalogue as registry

    def block(ctx, session_factory, *, now):
        started.set()
        if not release.wait(120):
            raise TimeoutError("never released")
        return {"blocked": True}

    registry.JOBS["test-block"] = block
    _run_in_process(url, instance, results)


def _second_worker(url, instance, results):
    from hub.jobs import catalogue as registry

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


# Enough unmatched records that every reconcile run takes a while: long enough that, without
# the lock, two schedulers firing at the same second would run it at the same time.
WAITING_RECORDS = 300
SCHEDULER_RUNS = 4
SCHEDULERS_DEADLINE_S = 180.0


def _seed_waiting_records(url):
    from hub.identity import services as identity

    engine = make_engine(url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        org = identity.create_organisation(
            session,
            ACTOR,
            name="Busy Charity",
            kind="charity",
            condition_areas=["mental-health"],
            valid_from=date(2020, 1, 1),
        )
        add_records(
            session,
            org.id,
            WAITING_RECORDS,
            location_id=None,
            submitted_location_id=None,
            status="needs_reconciliation",
            service_name="Riverside Ward, St Nowhere Hospital",
            service_postcode="ZZ1 1ZZ",
        )
    return engine


def _reconcile_runs(engine):
    with engine.connect() as conn:
        return conn.execute(
            sa.select(JobRun.status, JobRun.pid, JobRun.started_at, JobRun.finished_at)
            .where(JobRun.job == "reconcile")
            .order_by(JobRun.started_at)
        ).all()


def test_two_schedulers_and_two_workers_never_run_the_same_job_at_once(
    fresh_database_url, tmp_path
):
    """The schedulers only queue; the workers run, and the job's lock keeps two runs apart."""
    engine = _seed_waiting_records(fresh_database_url)
    env = {
        **os.environ,
        **hub_env(fresh_database_url, tmp_path),
        # Every two seconds (six fields: seconds first), and nothing else.
        "HUB_SCHEDULE_RECONCILE": "*/2 * * * * *",
        "HUB_SCHEDULE_ANONYMISE": "",
        "HUB_SCHEDULE_AUDIT_SEAL": "",
        "HUB_SCHEDULE_WEBHOOKS": "",
        "HUB_SCHEDULE_RESCAN": "",
        "HUB_SCHEDULE_PROCESS_UPLOADS": "",
        "HUB_SCHEDULE_MAIL": "",
    }
    commands = [["scheduler"], ["scheduler"], ["worker", "-c", "1"], ["worker", "-c", "1"]]
    logs = [tmp_path / f"process-{i}.log" for i in range(len(commands))]
    processes = []
    for command, log_path in zip(commands, logs, strict=True):
        with log_path.open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [str(HUB_EXECUTABLE), *command],
                    cwd=tmp_path,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        deadline = time.monotonic() + SCHEDULERS_DEADLINE_S
        while True:
            rows = _reconcile_runs(engine)
            done = [r for r in rows if r.status == "succeeded"]
            skipped = [r for r in rows if r.status == "skipped"]
            if len(done) >= SCHEDULER_RUNS and skipped:
                break
            exited = [p.returncode for p in processes if p.poll() is not None]
            assert not exited, f"a process exited early: {_tails(logs)}"
            assert time.monotonic() < deadline, f"too few runs {rows}: {_tails(logs)}"
            # Polling the database: the processes give no other sign of a finished run.
            time.sleep(0.5)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert [p.returncode for p in processes[:2]] == [0, 0], _tails(logs)

    rows = _reconcile_runs(engine)
    engine.dispose()
    # The job ran on the workers, a run that found it under way elsewhere was recorded as
    # skipped ...
    assert {r.status for r in rows} == {"succeeded", "skipped"}
    # ... and no two runs of it were ever under way at the same time.
    ran = [r for r in rows if r.status == "succeeded"]
    for before, after in itertools.pairwise(ran):
        assert before.finished_at <= after.started_at, (before, after)


def _tails(logs):
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in logs)


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
            "cron[month='*', day='*', day_of_week='*', hour='*', minute='*/5', second='0']"
        )
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.misfire_grace_time == scheduling.MISFIRE_GRACE_S
    finally:
        scheduler.shutdown()


def test_a_six_field_crontab_has_seconds_first(ctx):
    ctx.settings = ctx.settings.replace(schedule_audit_seal="*/10 * * * * *")
    scheduler = build_scheduler(ctx)
    scheduler.start(paused=True)
    try:
        assert str(scheduler.get_job("audit-seal").trigger) == (
            "cron[month='*', day='*', day_of_week='*', hour='*', minute='*', second='*/10']"
        )
    finally:
        scheduler.shutdown()


@pytest.mark.parametrize(
    ("crontab", "weekdays"),
    [
        ("0 2 * * 0", {"Sunday"}),
        ("0 2 * * 7", {"Sunday"}),
        ("0 2 * * 1-5", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
        ("0 2 * * 0,6", {"Saturday", "Sunday"}),
        ("0 2 * * */3", {"Sunday", "Wednesday", "Saturday"}),
        ("0 2 * * sun", {"Sunday"}),
    ],
)
def test_crontab_weekdays_count_from_sunday_as_cron_does(crontab, weekdays):
    trigger = scheduling.cron_trigger(crontab)
    fired: set[str] = set()
    moment = datetime(2026, 11, 22, tzinfo=UTC)
    for _ in range(14):
        moment = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        assert (moment.hour, moment.minute) == (2, 0)
        fired.add(moment.strftime("%A"))
    assert fired == weekdays


def test_a_job_without_a_schedule_is_left_to_the_command(ctx):
    ctx.settings = ctx.settings.replace(schedule_audit_seal="")
    scheduler = build_scheduler(ctx)
    assert "audit-seal" not in {job.id for job in scheduler.get_jobs()}


@pytest.mark.parametrize("crontab", ["every hour", "0 2 * * 8", "0 2 * * 5-1", "* * *"])
def test_a_bad_crontab_names_its_setting(ctx, crontab):
    ctx.settings = ctx.settings.replace(schedule_audit_seal=crontab)
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
