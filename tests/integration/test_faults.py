"""Faults in the middle of work (issue 10, item 3): what a client sees, what is left, the retry.

- The database connection is lost in the middle of a batch (PostgreSQL: the server process is
  terminated; SQLite: the connection is closed under the request) → 503 problem with
  Retry-After, nothing of the batch kept, and the same request again succeeds; the portal shows
  its 503 page the same way.
- Storage fails in the middle of a release upload (a store that breaks after N bytes; an S3
  endpoint that is down) → 503 problem, no release visible even while the upload is under way,
  no object left, and the retry takes the very next version.
- ``hub jobs run anonymise`` killed with SIGKILL in the middle of its work → the next run closes
  the killed run as interrupted and finishes the work without redoing what was done.

Faults are injected at chosen points by monkeypatching (or, for the killed process, by a
wrapper that patches the job before starting the ``hub`` command), never by timing.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import date
from typing import BinaryIO, cast

import boto3
import pytest
import sqlalchemy as sa
from moto.server import ThreadedMotoServer
from sqlalchemy.orm import Session

from hub.audit.models import AuditEvent
from hub.audit.services import verify
from hub.db import make_engine, make_session_factory, transaction
from hub.exchange.csv import upload as csv_upload
from hub.exchange.datasets.models import Dataset, Release
from hub.exchange.datasets.rules import UTF8_BOM
from hub.exchange.records import pipeline
from hub.exchange.records.models import ExperienceRecord, Submission
from hub.identity import services as identity
from hub.identity.services import create_organisation
from hub.jobs.models import JobRun
from hub.storage import FileStorage, StorageError
from tests.api.test_portal_upload import PASSWORD, make_csv, post_file, signed_in
from tests.api.test_portal_upload import good as good_row
from tests.factories import experience_record
from tests.fixtures.s3 import S3_REGION
from tests.integration.committed import ACTOR, committed_hub, member, wait_for
from tests.integration.pooled_records import add_records


@pytest.fixture
def hub(settings, fresh_database_url):
    made = committed_hub(settings, fresh_database_url)
    yield made
    made.engine.dispose()


def cut_connection(session: Session) -> None:
    """Lose the session's connection, as when the database restarts or the network drops."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.connection.dbapi_connection.close()  # type: ignore[union-attr]
        return
    pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    engine = make_engine(str(conn.engine.url.render_as_string(hide_password=False)))
    try:
        # Autocommit: within one transaction pg_stat_activity is a snapshot taken at its first
        # read, so polling it there would never see the server process go.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

            def gone() -> bool:
                return not admin.execute(
                    sa.text("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                ).scalar_one()

            wait_for(gone, "the server process to end")
    finally:
        engine.dispose()


def cut_once(monkeypatch, module, name):
    """The first call of ``module.name`` loses its session's connection first."""
    real = getattr(module, name)
    calls: list[int] = []

    def cut_then_call(session, *args, **kwargs):
        if not calls:
            calls.append(1)
            cut_connection(session)
        return real(session, *args, **kwargs)

    monkeypatch.setattr(module, name, cut_then_call)
    return calls


# --- the database lost in the middle of a batch -------------------------------------------------


def test_a_batch_that_loses_the_database_is_a_503_keeps_nothing_and_a_retry_succeeds(
    hub, monkeypatch
):
    partner = member(hub, "charity")
    client = hub.client()
    headers = {**partner.headers(client), "Idempotency-Key": f"batch-{uuid.uuid4().hex}"}
    batch = {"records": [experience_record() for _ in range(5)]}
    # The records are inserted; the connection goes before their consents and alerts are.
    cut = cut_once(monkeypatch, pipeline, "write_dependants")

    failed = client.post("/api/v1/experiences/batch", json=batch, headers=headers)

    assert cut, "the fault was never injected"
    assert failed.status_code == 503, failed.get_json()
    assert failed.mimetype == "application/problem+json"
    assert failed.get_json()["code"] == "service-unavailable"
    assert failed.headers["Retry-After"] == "5"
    assert (hub.count(ExperienceRecord), hub.count(Submission)) == (0, 0)

    retried = client.post("/api/v1/experiences/batch", json=batch, headers=headers)
    assert retried.status_code == 200, retried.get_json()
    assert (retried.get_json()["accepted"], retried.get_json()["rejected"]) == (5, 0)
    again = client.post("/api/v1/experiences/batch", json=batch, headers=headers)
    assert again.get_json() == retried.get_json()
    assert (hub.count(ExperienceRecord), hub.count(Submission)) == (5, 1)
    with transaction(hub.factory) as session:
        assert verify(session).ok


def test_a_connection_that_cannot_even_roll_back_still_lets_the_answer_out(hub, monkeypatch):
    """The database can drop a connection after the view has answered: ending the request's
    session then fails too, and the connection is thrown away instead of failing the request."""
    partner = member(hub, "charity")
    client = hub.client()
    headers = partner.headers(client)
    real_close = Session.close
    invalidated: list[Session] = []

    def close_on_a_dead_connection(session: Session) -> None:
        monkeypatch.setattr(Session, "close", real_close)
        raise sa.exc.OperationalError("ROLLBACK", {}, Exception("terminating connection"))

    def invalidate(session: Session) -> None:
        invalidated.append(session)
        real_close(session)

    monkeypatch.setattr(Session, "close", close_on_a_dead_connection)
    monkeypatch.setattr(Session, "invalidate", invalidate)

    answer = client.get("/api/v1/experiences", headers=headers)

    assert answer.status_code == 200
    assert len(invalidated) == 1
    assert client.get("/api/v1/experiences", headers=headers).status_code == 200


def test_after_the_database_restarts_the_next_request_gets_a_fresh_connection(hub):
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("SQLite opens its file afresh for each connection; nothing can go stale")
    partner = member(hub, "charity")
    client = hub.client()
    headers = partner.headers(client)
    assert client.get("/api/v1/experiences", headers=headers).status_code == 200
    # Every connection the app's pool holds is now dead, as after a database restart.
    admin = make_engine(hub.ctx.settings.database_url, poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        ended = conn.execute(
            sa.text(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    admin.dispose()
    assert ended >= 1
    assert hub.engine.pool.checkedin() >= 1
    assert client.get("/api/v1/experiences", headers=headers).status_code == 200


def test_the_portal_shows_its_503_page_and_keeps_nothing_when_the_database_is_lost(
    hub, monkeypatch
):
    with transaction(hub.factory) as session:
        org = create_organisation(
            session,
            ACTOR,
            name="Portal Charity",
            kind="charity",
            condition_areas=["cancer"],
            valid_from=date(2020, 1, 1),
        )
        user = identity.create_user(
            session,
            ACTOR,
            organisation_id=org.id,
            email="volunteer@example.org",
            password=PASSWORD,
            role="uploader",
        )
    client = signed_in(hub.app, user)
    data = make_csv([good_row(i) for i in range(3)])
    cut = cut_once(monkeypatch, csv_upload, "submitter")

    failed = post_file(client, data)

    assert cut, "the fault was never injected"
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "5"
    page = failed.get_data(as_text=True)
    assert "Sorry, the service is unavailable" in page
    assert "govuk-heading-l" in page
    assert hub.count(Submission) == 0

    retried = post_file(client, data)
    assert retried.status_code == 302
    assert hub.count(Submission) == 1


# --- storage failing in the middle of a release upload ------------------------------------------


class FailingStorage(FileStorage):
    """File storage whose next upload fails after ``after`` bytes, running ``at_fault`` first."""

    def __init__(self, root, *, after: int, at_fault=lambda: None) -> None:
        super().__init__(root)
        self.after, self.at_fault, self.failures = after, at_fault, 1

    def put(self, key, stream, **kwargs):
        if not self.failures:
            return super().put(key, stream, **kwargs)
        self.failures -= 1
        storage = self

        class Breaking(io.RawIOBase):
            sent = 0

            def readable(self) -> bool:
                return True

            def read(self, size=-1):
                if self.sent >= storage.after:
                    storage.at_fault()
                    raise StorageError(f"{key}: the storage went away")
                chunk = stream.read(min(size, storage.after - self.sent) if size > 0 else -1)
                self.sent += len(chunk)
                return chunk

        return super().put(key, cast(BinaryIO, Breaking()), **kwargs)


def _table(rows: int) -> bytes:
    return b"org_code,score\n" + b"".join(b"X%06d,%d\n" % (i, i % 100) for i in range(rows))


def test_storage_failing_mid_release_leaves_no_release_and_the_retry_takes_the_next_version(
    hub, monkeypatch
):
    regulator = member(hub, "regulator", conditions=["cancer"])
    client = hub.client()
    headers = regulator.headers(client)
    url = "/api/v1/datasets/cancer-survey/releases"

    def publish(data: bytes):
        return client.post(
            url,
            data={
                "file": (io.BytesIO(data), "survey.csv"),
                "title": "Cancer survey",
                "condition_area": "cancer",
            },
            headers=headers,
            content_type="multipart/form-data",
        )

    assert publish(_table(10)).status_code == 201
    seen_mid_upload = []

    def read_while_uploading() -> None:
        # Another reader, mid-upload: the unfinished release must not show. (On SQLite a reader
        # waits for the writer to finish, so the look happens only on PostgreSQL.)
        if hub.engine.dialect.name == "postgresql":
            look = threading.Thread(
                target=lambda: seen_mid_upload.append(
                    hub.client().get(url, headers=headers).get_json()
                )
            )
            look.start()
            look.join(60)

    root = hub.ctx.settings.storage_url.removeprefix("file://")
    hub.ctx.storage = FailingStorage(root, after=100_000, at_fault=read_while_uploading)
    second = _table(20_000)  # about 260 kB: the fault comes part-way through
    failed = publish(second)

    assert failed.status_code == 503, failed.get_json()
    assert failed.get_json()["code"] == "service-unavailable"
    assert failed.headers["Retry-After"] == "5"
    if hub.engine.dialect.name == "postgresql":
        [listing] = seen_mid_upload
        assert [r["version"] for r in listing["items"]] == [1]
    assert [r["version"] for r in client.get(url, headers=headers).get_json()["items"]] == [1]
    assert hub.count(Release) == 1
    assert sorted(hub.ctx.storage.list("datasets/cancer-survey/")) == [
        "datasets/cancer-survey/v1/survey.csv"
    ]

    retried = publish(second)
    assert retried.status_code == 201, retried.get_json()
    assert retried.get_json()["version"] == 2
    stored = hub.ctx.storage.stat("datasets/cancer-survey/v2/survey.csv")
    assert stored is not None and stored.bytes == len(UTF8_BOM + second)
    with transaction(hub.factory) as session:
        released = session.scalars(
            sa.select(AuditEvent.details).where(AuditEvent.action == "dataset.released")
        ).all()
    assert [d["version"] for d in released] == [1, 2]


def test_an_s3_store_down_during_a_release_upload_leaves_no_release(
    settings, fresh_database_url, s3_endpoint_url
):
    """The S3 endpoint is down while a release is uploaded, then comes back (a server of its own;
    ``s3_endpoint_url`` is there for the dummy AWS credentials it sets)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=S3_REGION
    ).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION})
    running = True
    hub = committed_hub(
        settings,
        fresh_database_url,
        storage_url=f"s3://{bucket}/hub",
        s3_endpoint_url=endpoint,
        s3_region=S3_REGION,
    )
    try:
        regulator = member(hub, "regulator", conditions=["cancer"])
        client = hub.client()
        headers = regulator.headers(client)

        def publish(data: bytes):
            return client.post(
                "/api/v1/datasets/cancer-s3/releases",
                data={
                    "file": (io.BytesIO(data), "s.csv"),
                    "title": "S3",
                    "condition_area": "cancer",
                },
                headers=headers,
                content_type="multipart/form-data",
            )

        assert publish(_table(5)).status_code == 201
        server.stop()
        running = False
        failed = publish(_table(50))
        assert failed.status_code == 503, failed.get_json()
        assert failed.get_json()["code"] == "service-unavailable"
        assert hub.count(Release) == 1

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()  # moto keeps its buckets in the process: the store is back as it was
        running = True
        retried = publish(_table(50))
        assert retried.status_code == 201, retried.get_json()
        assert retried.get_json()["version"] == 2
        assert sorted(hub.ctx.storage.list("datasets/cancer-s3/")) == [
            "datasets/cancer-s3/v1/s.csv",
            "datasets/cancer-s3/v2/s.csv",
        ]
    finally:
        if running:
            server.stop()
        hub.engine.dispose()


# --- the job process killed in the middle of a run ----------------------------------------------

# Runs the real ``hub`` command with one change: the anonymise job stops dead when it starts on
# its second condition area (the first area's releases are committed by then) and says so. On
# PostgreSQL it stops inside that area's transaction, holding its locks; SQLite would then lock
# the test out of the database, so there it stops just before.
_STOP_AT_SECOND_AREA = """
import sys, threading
from hub.exchange.datasets import pooled
real = pooled.xact_lock
areas = []

def stop_at_second_area(session, name, **kwargs):
    areas.append(name)
    if len(areas) == 2:
        if session.get_bind().dialect.name == "postgresql":
            real(session, name, **kwargs)
        print("STOPPED", flush=True)
        threading.Event().wait()
    return real(session, name, **kwargs)

pooled.xact_lock = stop_at_second_area
from hub.cli import main
sys.argv = ["hub", *sys.argv[1:]]
main()
"""


def _hub_command(*args: str, prelude: str | None = None) -> list[str]:
    if prelude is None:
        return [sys.executable, "-c", "from hub.cli import main; main()", *args]
    return [sys.executable, "-c", prelude, *args]


def _releases_by_slug(session) -> dict[str, list[int]]:
    rows = session.execute(
        sa.select(Dataset.slug, Release.version)
        .join(Release, Release.dataset_id == Dataset.id)
        .order_by(Dataset.slug, Release.version)
    ).all()
    out: dict[str, list[int]] = {}
    for slug, version in rows:
        out.setdefault(slug, []).append(version)
    return out


def test_a_job_process_killed_mid_run_is_closed_and_finished_by_the_next_run(
    fresh_database_url, tmp_path
):
    engine = make_engine(fresh_database_url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        org = create_organisation(
            session,
            ACTOR,
            name="Pooled Charity",
            kind="charity",
            condition_areas=["cancer", "mental-health"],
            valid_from=date(2020, 1, 1),
        )
    with factory() as session:
        add_records(session, org.id, 10, condition_areas=("cancer",))
        add_records(session, org.id, 10, condition_areas=("mental-health",))
    env = {
        **os.environ,
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
        "HUB_SECRET_KEY": "test-secret-key-not-for-production",
    }
    command = ["jobs", "run", "anonymise", "--json"]
    doomed = subprocess.Popen(
        _hub_command(*command, prelude=_STOP_AT_SECOND_AREA),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = doomed.stdout.readline()  # type: ignore[union-attr]
        assert line == "STOPPED\n", line
        with transaction(factory) as session:
            [killed] = session.scalars(sa.select(JobRun).where(JobRun.job == "anonymise")).all()
            assert killed.status == "running"
            done = _releases_by_slug(session)
        # Areas go in order: cancer is finished (counts and quotes), mental health not started.
        assert done == {"experience-cancer": [1], "experience-quotes-cancer": [1]}
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(60)
        doomed.stdout.close()  # type: ignore[union-attr]
    assert doomed.returncode == -signal.SIGKILL

    # The killed process's job lock went with it: the next run is not skipped.
    rerun = subprocess.run(
        _hub_command(*command), env=env, capture_output=True, text=True, timeout=300
    )

    assert rerun.returncode == 0, rerun.stderr[-2000:]
    report = json.loads(rerun.stdout)
    assert report["status"] == "succeeded"
    assert (report["stats"]["releases_published"], report["stats"]["releases_unchanged"]) == (2, 2)
    with transaction(factory) as session:
        runs = {
            run.id == killed.id: run
            for run in session.scalars(sa.select(JobRun).where(JobRun.job == "anonymise"))
        }
        assert runs[True].status == "failed"
        assert (runs[True].error or "").startswith("interrupted")
        assert runs[True].finished_at is not None
        assert runs[False].status == "succeeded"
        # Each file published exactly once: the first area was not redone, the second done.
        assert _releases_by_slug(session) == {
            "experience-cancer": [1],
            "experience-mental-health": [1],
            "experience-quotes-cancer": [1],
            "experience-quotes-mental-health": [1],
        }
        released = session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "dataset.released")
        )
        assert released == 4
        assert verify(session).ok
    engine.dispose()
