"""Dataset services on a real database and real storage: versions, entitlement, demo data."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from datetime import date

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.actor import system
from hub.db import make_engine, make_session_factory, transaction
from hub.demo.datasets import COLUMNS, SURVEYS, publish_demo_datasets
from hub.errors import ServiceUnavailable, ValidationFailed
from hub.exchange.datasets.models import Dataset, Release
from hub.exchange.datasets.publish import entitled_organisation_ids, publish_release
from hub.exchange.datasets.rules import UTF8_BOM
from hub.identity import services as identity
from hub.storage import FileStorage
from tests.factories import ACTOR


def test_concurrent_publishers_get_distinct_versions(fresh_database_url, tmp_path):
    engine = make_engine(fresh_database_url)
    factory = make_session_factory(engine)
    storage = FileStorage(tmp_path / "store")
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def publish(n: int) -> None:
        start.wait()
        try:
            with transaction(factory) as session:
                publish_release(
                    session,
                    system(f"publisher-{n}"),
                    storage,
                    slug="cancer-race",
                    stream=io.BytesIO(f"a\n{n}\n".encode()),
                    filename="race.csv",
                    title="Race",
                    condition_area="cancer",
                )
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with transaction(factory) as session:
        releases = session.scalars(sa.select(Release).order_by(Release.version)).all()
        assert [r.version for r in releases] == [1, 2, 3, 4]
        for release in releases:
            stored = storage.stat(release.storage_key)
            assert stored is not None and stored.sha256 == release.sha256
        assert len({r.published_by for r in releases}) == 4
    engine.dispose()


def test_publish_stores_under_a_versioned_key(db_session, tmp_path):
    storage = FileStorage(tmp_path)
    data = b'org_code,question_text\r\nXA1,"multi\r\nline"\r\n\r\nXB2,plain'
    release = publish_release(
        db_session,
        ACTOR,
        storage,
        slug="maternity-keys",
        stream=io.BytesIO(data),
        filename="../Maternity Results.CSV",
        title="Maternity",
        condition_area="maternity",
        description="About births.",
    )
    assert release.storage_key == "datasets/maternity-keys/v1/Maternity-Results.csv"
    # Served as stored: a UTF-8 byte order mark in front, as every CSV the hub serves.
    served = UTF8_BOM + data
    assert (release.format, release.rows, release.bytes) == ("csv", 2, len(served))
    with storage.open(release.storage_key) as stream:
        assert stream.read() == served
    assert release.sha256 == hashlib.sha256(served).hexdigest()

    report = publish_release(
        db_session,
        ACTOR,
        storage,
        slug="maternity-keys",
        stream=io.BytesIO(b"%PDF-1.7 ..."),
        filename="summary.pdf",
    )
    assert (report.version, report.format, report.rows) == (2, "pdf", None)
    assert report.storage_key == "datasets/maternity-keys/v2/summary.pdf"


def test_a_failed_publish_leaves_nothing_even_if_the_caller_commits(db_session, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ServiceUnavailable):
        publish_release(
            db_session,
            ACTOR,
            FileStorage(blocker / "store"),
            slug="cancer-broken",
            stream=io.BytesIO(b"a\n1\n"),
            filename="x.csv",
            title="Broken",
            condition_area="cancer",
        )
    storage = FileStorage(tmp_path / "store")
    with pytest.raises(ValidationFailed):
        publish_release(
            db_session,
            ACTOR,
            storage,
            slug="cancer-broken",
            stream=io.BytesIO(b""),
            filename="x.csv",
            title="Broken",
            condition_area="cancer",
        )
    db_session.commit()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Release)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Dataset)) == 0
    assert list(storage.list()) == []
    assert not db_session.info.get("audit_pending")


def test_entitled_organisations_follow_agreements_in_force(make_org, db_session):
    regulator = make_org("regulator", conditions=[])
    cancer = make_org("charity", conditions=["cancer", "end-of-life"])
    make_org("charity", conditions=["mental-health"])
    lapsed = make_org(
        "charity", conditions=["cancer"], valid_from=date(2020, 1, 1), valid_to=date(2020, 12, 31)
    )
    moved_on = make_org("healthwatch", conditions=["cancer"], valid_from=date(2020, 1, 1))
    identity.add_agreement(
        db_session,
        ACTOR,
        moved_on,
        condition_areas=["dementia"],
        purposes=["improving-care"],
        valid_from=date(2024, 1, 1),
    )
    entitled = entitled_organisation_ids(db_session, "cancer", date(2026, 3, 1))
    assert entitled >= {regulator.id, cancer.id}
    assert lapsed.id not in entitled
    assert moved_on.id not in entitled
    assert lapsed.id in entitled_organisation_ids(db_session, "cancer", date(2020, 6, 1))


def test_demo_datasets_are_synthetic_survey_tables(db_session, tmp_path):
    storage = FileStorage(tmp_path)
    releases = publish_demo_datasets(db_session, ACTOR, storage)
    assert sorted(r.dataset.condition_area for r in releases) == [
        "cancer",
        "maternity",
        "mental-health",
    ]
    for release in releases:
        with storage.open(release.storage_key) as stream:
            rows = list(csv.DictReader(io.StringIO(stream.read().decode("utf-8-sig"))))
        assert list(rows[0]) == COLUMNS
        assert len(rows) == release.rows > 100
        assert "SYNTHETIC" in release.dataset.description
        for row in rows:
            suppressed = row["suppressed"] == "true"
            assert suppressed == (int(row["n_respondents"]) < 10)
            if suppressed:
                assert row["score"] == row["ci_low"] == row["ci_high"] == ""
            else:
                assert float(row["ci_low"]) <= float(row["score"]) <= float(row["ci_high"])
        assert {r["org_level"] for r in rows} == {"national", "trust"}
    assert publish_demo_datasets(db_session, ACTOR, storage) == []
    assert len(SURVEYS) == 3


@pytest.fixture
def cli_env(fresh_database_url, tmp_path):
    return {
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
    }


def test_datasets_publish_command(cli_env, tmp_path):
    from hub.cli import main
    from hub.cli.datasets import datasets

    if "datasets" not in main.commands:
        main.add_command(datasets)
    table = tmp_path / "cancer.csv"
    table.write_bytes(b"org_code,score\nXA1,80\nXB2,70\n")
    runner = CliRunner()

    first = runner.invoke(
        main,
        [
            "datasets",
            "publish",
            "cancer-cli",
            str(table),
            "--title",
            "Cancer",
            "--condition-area",
            "cancer",
            "--json",
        ],
        env=cli_env,
    )
    assert first.exit_code == 0, first.output
    payload = json.loads(first.output)
    assert (payload["version"], payload["rows"]) == (1, 2)
    assert payload["sha256"] == hashlib.sha256(UTF8_BOM + table.read_bytes()).hexdigest()
    assert (
        tmp_path / "storage/datasets/cancer-cli/v1/cancer.csv"
    ).read_bytes() == UTF8_BOM + table.read_bytes()

    second = runner.invoke(main, ["datasets", "publish", "cancer-cli", str(table)], env=cli_env)
    assert second.exit_code == 0, second.output
    assert "cancer-cli v2" in second.output

    refused = runner.invoke(main, ["datasets", "publish", "new-one", str(table)], env=cli_env)
    assert refused.exit_code == 1
    assert "title" in refused.output
