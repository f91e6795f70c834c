"""The task engine with real workers (``hub worker``) on the real brokers: Redis on loopback and
the embedded broker (an SQLite file in the instance folder). Workers are killed with SIGKILL in
the middle of a CSV file, and the file still ends with every row stored exactly once."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from hub.actor import Actor
from hub.config import Settings
from hub.context import HubContext
from hub.db import transaction
from hub.exchange.csv.models import CsvChunk
from hub.exchange.csv.progress import described
from hub.exchange.csv.upload import accept_upload
from hub.exchange.records.models import ExperienceRecord, Submission
from hub.identity import services as identity
from hub.jobs.models import JobRun
from hub.tasks.uploads import ADVANCE, GAVE_UP
from tests.factories import ACTOR
from tests.fixtures.live_server import HUB_EXECUTABLE, hub_env
from tests.integration.test_csv_upload import make_csv, row

REDIS_URL = "redis://127.0.0.1:6379/0"
# Two workers share one file only if it outlasts the start-up of the slower: a long file.
ROWS = 3000
CHUNK = 100
# A worker is killed once its first chunk is in: the rest of a short file is still to do (the
# embedded broker is polled ten times a second, so each chunk costs a tenth of a second more there).
KILL_ROWS = 800
KILL_CHUNK = CHUNK
DEADLINE_S = 300.0


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """A queue of its own on the machine's Redis (unreachable Redis fails, never skips)."""
    import redis

    assert redis_answers(), f"Redis is not answering at {REDIS_URL}: start redis-server"
    queue = f"hub-test-{uuid.uuid4().hex[:10]}"
    yield queue
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(queue, *client.keys(f"{queue}*"))


def _settings(
    database_url: str, folder: Path, broker: str, queue: str, chunk: int = CHUNK
) -> dict[str, str]:
    return {
        **hub_env(database_url, folder),
        "HUB_TASK_BROKER_URL": broker,
        "HUB_TASK_QUEUE": queue,
        "HUB_CSV_CHUNK_ROWS": str(chunk),
        "HUB_TASK_RETRY_BACKOFF_S": "0",
        "HUB_TASK_MAX_RETRIES": "2",
        "HUB_LOG_LEVEL": "INFO",
    }


def _context(env: dict[str, str]) -> HubContext:
    prefixed = {k: v for k, v in env.items() if k.startswith("HUB_")}
    return HubContext.from_settings(Settings.from_env(prefixed))


def _pending_upload(ctx: HubContext, rows: int) -> uuid.UUID:
    """An uploaded file waiting in ``processing``, as the API leaves it."""
    with transaction(ctx.session_factory) as session:
        org = identity.create_organisation(
            session, ACTOR, name="Workers", kind="charity", valid_from=date(2020, 1, 1)
        )
        owner = Actor(kind="client", id="c", organisation_id=org.id, organisation_kind="charity")
        text = make_csv([row(n) for n in range(rows)])
        submission = accept_upload(session, owner, ctx.storage, io.BytesIO(text.encode()), "a.csv")
        return submission.id


class Worker:
    def __init__(self, env: dict[str, str], folder: Path, name: str) -> None:
        self.log = folder / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(HUB_EXECUTABLE), "worker", "--concurrency", "1"],
                cwd=folder,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole, pool and all
            )

    def pool(self) -> list[int]:
        """The pool's child processes (the ones running tasks)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@contextmanager
def _reader(ctx: HubContext) -> Iterator[Session]:
    """A session that only reads, beside the workers: a plain transaction, which on SQLite (WAL)
    waits for no writer, where the hub's own take the write lock up front."""
    engine = sa.create_engine(ctx.engine.url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _wait_for(ctx: HubContext, sid: uuid.UUID, done: Any, workers: list[Worker]) -> Submission:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        with _reader(ctx) as session:
            submission = session.get(Submission, sid)
            assert submission is not None
            if done(submission):
                return submission
        logs = "\n".join(w.tail() for w in workers)
        assert time.monotonic() < deadline, f"timed out at {submission.__dict__}:\n{logs}"
        # Polling the database: the workers give no other sign of progress.
        time.sleep(0.05)


def _progress(submission: Submission) -> int:
    """Rows done, as the API shows them (while processing: what the chunks done counted)."""
    return int(described(object_session(submission), [submission])[0]["rows_done"])


def _assert_every_row_stored_once(ctx: HubContext, sid: uuid.UUID, rows: int = ROWS) -> None:
    with _reader(ctx) as session:
        submission = session.get_one(Submission, sid)
        assert (submission.status, submission.accepted_count) == ("completed", rows)
        assert (submission.replayed_count, submission.rejected_count) == (0, 0)
        ids = session.scalars(
            sa.select(ExperienceRecord.partner_record_id).where(
                ExperienceRecord.submission_id == sid
            )
        ).all()
        assert sorted(ids) == sorted(row(n)["partner_record_id"] for n in range(rows))


def test_redis_a_task_process_killed_mid_file_is_replaced_and_the_file_finishes(
    fresh_database_url, tmp_path, redis_queue
):
    """Late acknowledgement: the message of the killed task goes back to the queue, and the
    file resumes from its last committed chunk: every row once, none lost, none twice."""
    env = _settings(fresh_database_url, tmp_path, REDIS_URL, redis_queue, KILL_CHUNK)
    ctx = _context(env)
    sid = _pending_upload(ctx, KILL_ROWS)
    worker = Worker(env, tmp_path, "worker")
    try:
        # A started worker sweeps up unfinished files: this one is queued and taken.
        _wait_for(ctx, sid, lambda s: _progress(s) > 0, [worker])
        [child] = worker.pool()
        os.kill(child, signal.SIGKILL)
        done = _wait_for(ctx, sid, lambda s: s.status != "processing", [worker])
        assert child not in worker.pool()
        assert _progress(done) == KILL_ROWS, worker.tail()
        _assert_every_row_stored_once(ctx, sid, KILL_ROWS)
    finally:
        worker.stop()
        ctx.engine.dispose()


def test_embedded_a_whole_worker_killed_mid_file_is_finished_by_the_next_worker(
    fresh_database_url, tmp_path
):
    env = _settings(fresh_database_url, tmp_path, "", "hub", KILL_CHUNK)
    ctx = _context(env)
    sid = _pending_upload(ctx, KILL_ROWS)
    first = Worker(env, tmp_path, "first")
    second = None
    try:
        _wait_for(ctx, sid, lambda s: _progress(s) > 0, [first])
        first.kill()  # parent and pool at once: nobody is left to hand the message back
        with _reader(ctx) as session:
            assert session.get_one(Submission, sid).status == "processing"
        second = Worker(env, tmp_path, "second")
        _wait_for(ctx, sid, lambda s: s.status != "processing", [first, second])
        _assert_every_row_stored_once(ctx, sid, KILL_ROWS)
    finally:
        first.stop()
        if second is not None:
            second.stop()
        ctx.engine.dispose()


@pytest.mark.parametrize("broker", ["redis", "embedded"])
def test_a_task_failing_for_good_is_retried_then_recorded_and_its_file_closed(
    fresh_database_url, tmp_path, broker, request
):
    queue = request.getfixturevalue("redis_queue") if broker == "redis" else "hub"
    env = _settings(fresh_database_url, tmp_path, REDIS_URL if broker == "redis" else "", queue)
    # More retries than Celery allows by default (3): the hub's setting alone decides.
    env["HUB_TASK_MAX_RETRIES"] = "4"
    ctx = _context(env)
    sid = _pending_upload(ctx, 3)
    with ctx.session_factory() as session:
        key = session.get_one(Submission, sid).storage_key
    assert key
    ctx.storage.delete(key)  # the file is gone from storage: every attempt fails
    worker = Worker(env, tmp_path, "worker")
    try:
        failed = _wait_for(ctx, sid, lambda s: s.status != "processing", [worker])
        assert failed.status == "failed"
        assert failed.errors[-1]["message"] == GAVE_UP
        with _reader(ctx) as session:
            [run] = session.scalars(sa.select(JobRun).where(JobRun.job == ADVANCE)).all()
        assert run.status == "failed"
        # Retried four times (HUB_TASK_MAX_RETRIES=4) before it was given up.
        assert run.stats == {"args": [str(sid)], "attempts": 5}
        assert run.error and run.error.startswith("ObjectNotFound")
    finally:
        worker.stop()
        ctx.engine.dispose()


@pytest.mark.parametrize("broker", ["redis", "embedded"])
def test_two_workers_share_the_chunks_of_one_file(fresh_database_url, tmp_path, broker, request):
    queue = request.getfixturevalue("redis_queue") if broker == "redis" else "hub"
    env = _settings(fresh_database_url, tmp_path, REDIS_URL if broker == "redis" else "", queue)
    ctx = _context(env)
    sid = _pending_upload(ctx, ROWS)
    workers = [Worker(env, tmp_path, f"worker-{n}") for n in (1, 2)]
    try:
        _wait_for(ctx, sid, lambda s: s.status != "processing", workers)
        _assert_every_row_stored_once(ctx, sid)
        with _reader(ctx) as session:
            by = set(
                session.scalars(
                    sa.select(CsvChunk.done_by).where(
                        CsvChunk.submission_id == sid, CsvChunk.kind == "rows"
                    )
                )
            )
        assert len(by) == 2, by  # both workers' processes took chunks of the same file
    finally:
        for worker in workers:
            worker.stop()
        ctx.engine.dispose()
