"""Publishing dataset releases and receiving them, as the regulator and partners use the API."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
import requests
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.datasets.models import Dataset, Delivery, Release
from hub.exchange.datasets.rules import UTF8_BOM

CANCER_V1 = b'org_code,question_id,question_text,score\nXA1,Q6,"Told sensitively, kindly",86.0\n'
CANCER_V2 = CANCER_V1 + b'XB2,Q6,"Two\nlines",81.5\r\nXC3,Q6,plain,79.0\n'


def served(body: bytes) -> bytes:
    """A CSV as the hub serves it: a UTF-8 byte order mark in front (CONTRACT §5)."""
    return UTF8_BOM + body


def publish(client, headers, slug, data, filename="results.csv", **fields):
    return client.post(
        f"/api/v1/datasets/{slug}/releases",
        data={"file": (io.BytesIO(data), filename), **fields},
        headers=headers,
        content_type="multipart/form-data",
    )


def create(client, headers, slug, data=CANCER_V1, area="cancer"):
    """Publish the first release of a new dataset."""
    return publish(client, headers, slug, data, title=slug.title(), condition_area=area)


@pytest.fixture
def regulator(make_party):
    return make_party("regulator")


@pytest.fixture
def cancer_charity(make_party):
    return make_party("charity", conditions=["cancer"])


@pytest.fixture
def mh_charity(make_party):
    return make_party("charity", conditions=["mental-health"])


def test_cancer_releases_on_s3_reach_only_the_cancer_charity(
    make_app, s3_settings, auth_headers, regulator, cancer_charity, mh_charity, db_session
):
    client = make_app(**s3_settings).test_client()
    reg = auth_headers(regulator)

    first = create(client, reg, "cancer-experience")
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["version"] == 1
    second = publish(client, reg, "cancer-experience", CANCER_V2, filename="results-v2.csv")
    assert second.status_code == 201, second.get_json()
    body = second.get_json()
    assert body["version"] == 2
    assert body["sha256"] == hashlib.sha256(served(CANCER_V2)).hexdigest()
    assert (body["bytes"], body["rows"], body["format"]) == (len(served(CANCER_V2)), 3, "csv")
    assert second.headers["Location"] == "/api/v1/datasets/cancer-experience/releases/2/file"

    cancer = auth_headers(cancer_charity)
    listed = client.get("/api/v1/datasets", headers=cancer).get_json()
    assert [d["slug"] for d in listed["items"]] == ["cancer-experience"]
    assert listed["items"][0]["latest_version"] == 2
    releases = client.get("/api/v1/datasets/cancer-experience/releases", headers=cancer)
    assert [r["version"] for r in releases.get_json()["items"]] == [2, 1]

    download = client.get("/api/v1/datasets/cancer-experience/releases/2/file", headers=cancer)
    assert download.status_code == 302
    assert download.headers["ETag"] == f'"{body["sha256"]}"'
    fetched = requests.get(download.headers["Location"], timeout=10)
    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).hexdigest() == body["sha256"]
    assert "attachment" in fetched.headers["Content-Disposition"]

    other = auth_headers(mh_charity)
    assert client.get("/api/v1/datasets", headers=other).get_json()["items"] == []
    for path in ("releases", "releases/1/file", "releases/2/file"):
        answer = client.get(f"/api/v1/datasets/cancer-experience/{path}", headers=other)
        assert answer.status_code == 404, path
        assert answer.get_json()["code"] == "not-found"

    deliveries = db_session.scalars(sa.select(Delivery)).all()
    assert [(d.organisation_id, d.via) for d in deliveries] == [(cancer_charity.id, "presigned")]
    downloaded = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "dataset.downloaded")
    ).all()
    assert [(e.organisation_id, e.details["version"]) for e in downloaded] == [
        (cancer_charity.id, 2)
    ]


def test_file_storage_streams_with_etag_and_304(
    client, auth_headers, regulator, cancer_charity, db_session
):
    create(client, auth_headers(regulator), "cancer-results")
    headers = auth_headers(cancer_charity)
    url = "/api/v1/datasets/cancer-results/releases/1/file"
    etag = f'"{hashlib.sha256(served(CANCER_V1)).hexdigest()}"'

    full = client.get(url, headers=headers)
    assert full.status_code == 200
    assert full.data == served(CANCER_V1)
    assert full.headers["ETag"] == etag
    assert full.headers["Content-Type"].startswith("text/csv")
    assert full.headers["Content-Disposition"].startswith('attachment; filename="results.csv"')

    assert client.get(url, headers={**headers, "If-None-Match": etag}).status_code == 304
    weak = client.get(url, headers={**headers, "If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    assert weak.data == b""
    assert client.get(url, headers={**headers, "If-None-Match": '"stale"'}).status_code == 200
    assert client.head(url, headers=headers).status_code == 200

    # Two full downloads were deliveries; the 304s and the HEAD were not.
    vias = db_session.scalars(
        sa.select(Delivery.via).where(Delivery.organisation_id == cancer_charity.id)
    ).all()
    assert vias == ["download", "download"]


def test_storage_failure_leaves_no_release(make_app, tmp_path, auth_headers, regulator, db_session):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    client = make_app(storage_url=f"file://{blocker}/storage").test_client()
    answer = create(client, auth_headers(regulator), "cancer-x")
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "service-unavailable"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Release)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Dataset)) == 0


def test_new_dataset_needs_title_and_known_condition_area(client, auth_headers, regulator):
    reg = auth_headers(regulator)
    missing = publish(client, reg, "cancer-new", CANCER_V1)
    assert missing.status_code == 422
    assert set(missing.get_json()["errors"]) == {"title", "condition_area"}

    unknown = publish(client, reg, "cancer-new", CANCER_V1, title="T", condition_area="oncology")
    assert unknown.status_code == 422
    assert "condition_area" in unknown.get_json()["errors"]

    bad_slug = publish(client, reg, "Bad_Slug", CANCER_V1, title="T", condition_area="cancer")
    assert bad_slug.status_code == 422
    assert "slug" in bad_slug.get_json()["errors"]

    no_format = publish(
        client, reg, "cancer-new", b"x", filename="blob", title="T", condition_area="cancer"
    )
    assert "format" in no_format.get_json()["errors"]

    empty = publish(client, reg, "cancer-new", b"", title="T", condition_area="cancer")
    assert empty.status_code == 422
    assert "file" in empty.get_json()["errors"]

    no_file = client.post(
        "/api/v1/datasets/cancer-new/releases",
        data={"title": "T", "condition_area": "cancer"},
        headers=reg,
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422
    assert "file" in no_file.get_json()["errors"]

    as_json = client.post("/api/v1/datasets/cancer-new/releases", json={"title": "T"}, headers=reg)
    assert as_json.status_code == 415
    assert as_json.get_json()["code"] == "unsupported-media-type"


def test_a_release_cannot_move_a_dataset_to_another_area(client, auth_headers, regulator):
    reg = auth_headers(regulator)
    assert create(client, reg, "cancer-y").status_code == 201
    moved = publish(client, reg, "cancer-y", CANCER_V2, condition_area="maternity")
    assert moved.status_code == 422
    same = publish(client, reg, "cancer-y", CANCER_V2, condition_area="cancer", format="csv")
    assert same.get_json()["version"] == 2


def test_only_the_publish_scope_publishes(client, auth_headers, cancer_charity):
    answer = create(client, auth_headers(cancer_charity), "cancer-z")
    assert answer.status_code == 403
    assert answer.get_json()["code"] == "insufficient-scope"


def test_regulator_sees_every_dataset_and_lapsed_partners_none(
    client, auth_headers, regulator, make_party
):
    reg = auth_headers(regulator)
    create(client, reg, "cancer-a")
    create(client, reg, "maternity-b", area="maternity")
    page = client.get("/api/v1/datasets?limit=1", headers=reg).get_json()
    assert [d["slug"] for d in page["items"]] == ["cancer-a"]
    rest = client.get(f"/api/v1/datasets?cursor={page['next_cursor']}", headers=reg).get_json()
    assert [d["slug"] for d in rest["items"]] == ["maternity-b"]
    assert rest["next_cursor"] is None

    lapsed = make_party(
        "charity", conditions=["cancer"], valid_from=date(2020, 1, 1), valid_to=date(2021, 1, 1)
    )
    answer = client.get("/api/v1/datasets", headers=auth_headers(lapsed))
    assert answer.status_code == 403
    assert answer.get_json()["code"] == "agreement-required"


def test_feed_gives_entitled_releases_newer_than_since(
    client, auth_headers, regulator, cancer_charity
):
    reg = auth_headers(regulator)
    create(client, reg, "cancer-feed")
    create(client, reg, "mh-feed", area="mental-health")
    publish(client, reg, "cancer-feed", CANCER_V2)
    cancer = auth_headers(cancer_charity)

    everything = client.get("/api/v1/datasets/feed", headers=cancer).get_json()
    assert [(r["slug"], r["version"]) for r in everything["items"]] == [
        ("cancer-feed", 1),
        ("cancer-feed", 2),
    ]
    assert everything["next_cursor"] is None
    since = everything["next_since"]
    assert (
        client.get(f"/api/v1/datasets/feed?since={since}", headers=cancer).get_json()["items"] == []
    )

    publish(client, reg, "cancer-feed", CANCER_V1 + b"XD4,Q6,x,1\n")
    newer = client.get(f"/api/v1/datasets/feed?since={since}", headers=cancer).get_json()
    assert [r["version"] for r in newer["items"]] == [3]

    first_time = everything["items"][0]["published_at"]
    after_first = client.get(
        "/api/v1/datasets/feed", query_string={"since": first_time}, headers=cancer
    ).get_json()
    assert [r["version"] for r in after_first["items"]] == [2, 3]

    paged = client.get("/api/v1/datasets/feed?limit=2", headers=cancer).get_json()
    assert len(paged["items"]) == 2 and paged["next_cursor"]
    last = client.get(
        f"/api/v1/datasets/feed?limit=2&cursor={paged['next_cursor']}", headers=cancer
    ).get_json()
    assert [r["version"] for r in last["items"]] == [3]

    bad = client.get("/api/v1/datasets/feed?since=yesterday", headers=cancer)
    assert bad.status_code == 422
    assert "since" in bad.get_json()["errors"]


def test_publishing_queues_a_webhook_for_entitled_endpoints_only(
    client, auth_headers, regulator, cancer_charity, mh_charity
):
    endpoints = {}
    for party in (cancer_charity, mh_charity):
        made = client.post(
            "/api/v1/webhooks",
            json={"url": "https://partner.example/hook", "events": ["dataset.released"]},
            headers=auth_headers(party),
        )
        endpoints[party.id] = made.get_json()["id"]
    create(client, auth_headers(regulator), "cancer-hook")

    cancer_log = client.get(
        f"/api/v1/webhooks/{endpoints[cancer_charity.id]}/deliveries",
        headers=auth_headers(cancer_charity),
    ).get_json()["items"]
    assert [(d["event"], d["status"]) for d in cancer_log] == [("dataset.released", "pending")]
    assert cancer_log[0]["body"]["data"]["slug"] == "cancer-hook"
    assert cancer_log[0]["body"]["data"]["sha256"] == hashlib.sha256(served(CANCER_V1)).hexdigest()
    mh_log = client.get(
        f"/api/v1/webhooks/{endpoints[mh_charity.id]}/deliveries", headers=auth_headers(mh_charity)
    ).get_json()["items"]
    assert mh_log == []


def test_release_is_audited(client, auth_headers, regulator, db_session):
    answer = create(client, auth_headers(regulator), "cancer-audit")
    event = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "dataset.released")
    ).one()
    assert event.organisation_id == regulator.id
    assert event.details["sha256"] == answer.get_json()["sha256"]
    assert event.details["version"] == 1


def test_release_notes_are_published_and_listed(client, auth_headers, regulator, cancer_charity):
    reg = auth_headers(regulator)
    assert create(client, reg, "cancer-notes").status_code == 201
    second = publish(client, reg, "cancer-notes", CANCER_V2, notes="Two more trusts.")
    assert second.status_code == 201, second.get_json()
    assert second.get_json()["notes"] == "Two more trusts."
    too_long = publish(client, reg, "cancer-notes", CANCER_V2, notes="x" * 5001)
    assert too_long.status_code == 422

    listed = client.get(
        "/api/v1/datasets/cancer-notes/releases", headers=auth_headers(cancer_charity)
    ).get_json()["items"]

    assert [(r["version"], r["notes"]) for r in listed] == [(2, "Two more trusts."), (1, "")]
