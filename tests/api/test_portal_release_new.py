"""Publishing a dataset release in the portal (engagement staff, who hold datasets:publish):
the API's service, audit event and webhook; who downloaded what."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from hub.audit.models import AuditEvent
from hub.exchange.datasets.models import Release
from hub.exchange.datasets.rules import UTF8_BOM
from hub.exchange.notify.models import WebhookDelivery
from tests.api.test_datasets import CANCER_V1, CANCER_V2, create
from tests.api.test_portal_upload import signed_in, token

PATH = "/portal/releases/new"


@pytest.fixture
def publisher(make_user):
    return make_user("engagement", kind="regulator")


def post(portal, data: bytes | None, name: str = "survey.csv", **fields):
    body = {"csrf_token": token(portal, PATH), **fields}
    if data is not None:
        body["file"] = (io.BytesIO(data), name)
    return portal.post(PATH, data=body, content_type="multipart/form-data")


def test_a_new_dataset_then_its_next_version_with_notes(app, publisher, db_session):
    portal = signed_in(app, publisher)

    first = post(
        portal,
        CANCER_V1,
        dataset="new",
        slug="cancer-portal",
        title="Cancer survey",
        condition_area="cancer",
        notes="First release.",
    )
    assert first.status_code == 302, first.get_data(as_text=True)
    assert "Version 1 of Cancer survey is published" in portal.get(PATH).get_data(as_text=True)

    second = post(portal, CANCER_V2, dataset="cancer-portal", notes="Two more trusts.")
    assert second.status_code == 302, second.get_data(as_text=True)

    releases = db_session.scalars(sa.select(Release).order_by(Release.version)).all()
    assert [(r.version, r.notes, r.bytes) for r in releases] == [
        (1, "First release.", len(UTF8_BOM + CANCER_V1)),
        (2, "Two more trusts.", len(UTF8_BOM + CANCER_V2)),
    ]
    events = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "dataset.released")
    ).all()
    assert [e.actor for e in events] == [f"user:{publisher.id}"] * 2


def test_the_partners_entitled_are_told_by_webhook(
    app, publisher, client, make_party, auth_headers, db_session
):
    cancer = make_party("charity", conditions=["cancer"])
    hook = client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example.org/hub", "events": ["dataset.released"]},
        headers=auth_headers(cancer),
    )
    assert hook.status_code == 201, hook.get_json()
    portal = signed_in(app, publisher)

    posted = post(
        portal, CANCER_V1, dataset="new", slug="cancer-hook", title="T", condition_area="cancer"
    )

    assert posted.status_code == 302
    queued = db_session.scalars(sa.select(WebhookDelivery)).all()
    assert [d.event for d in queued] == ["dataset.released"]


def test_who_downloaded_what(app, publisher, client, make_party, auth_headers, make_org, make_user):
    reg = auth_headers(make_party("regulator"))
    assert create(client, reg, "cancer-dl").status_code == 201
    charity = make_org("charity", name="Cancer Friends", conditions=["cancer"])
    partner = signed_in(app, make_user("uploader", org=charity))
    assert partner.get("/portal/datasets/cancer-dl/releases/1/file").status_code == 200

    html = signed_in(app, publisher).get(PATH).get_data(as_text=True)

    downloads = html.split("Who downloaded what", 1)[1]
    assert "Cancer Friends" in downloads
    assert "Cancer-Dl" in downloads
    assert "A portal user" in downloads


def test_mistakes_are_said_in_plain_english_and_nothing_is_published(app, publisher, db_session):
    portal = signed_in(app, publisher)
    cases = [
        (
            {"dataset": "new", "title": "T", "condition_area": "cancer"},
            CANCER_V1,
            "Enter a short name",
        ),
        (
            {"dataset": "new", "slug": "Bad Slug", "title": "T", "condition_area": "cancer"},
            CANCER_V1,
            "lower-case letters, digits and hyphens",
        ),
        (
            {"dataset": "new", "slug": "cancer-x", "condition_area": "cancer"},
            CANCER_V1,
            "A new dataset needs a title",
        ),
        (
            {"dataset": "new", "slug": "cancer-x", "title": "T", "condition_area": "cancer"},
            b"",
            "The file is empty",
        ),
        ({"dataset": "new", "slug": "cancer-x", "title": "T"}, None, "Select the file to publish"),
        ({"dataset": ""}, CANCER_V1, "Choose a dataset"),
        ({"dataset": "not-listed"}, CANCER_V1, "Choose a dataset"),
    ]
    for fields, data, message in cases:
        answer = post(portal, data, **fields)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, fields
        assert "There is a problem" in html, fields
        assert message in html, (fields, message)
        assert "Not a valid choice" not in html, fields
    unknown_format = post(
        portal,
        CANCER_V1,
        name="survey.exe",
        dataset="new",
        slug="cancer-x",
        title="T",
        condition_area="cancer",
    )
    assert "Give a format" in unknown_format.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Release)) == 0


def test_a_post_without_its_csrf_token_publishes_nothing(app, publisher, db_session):
    portal = signed_in(app, publisher)
    answer = portal.post(
        PATH,
        data={"file": (io.BytesIO(CANCER_V1), "s.csv"), "dataset": "new", "slug": "cancer-z"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Release)) == 0


def test_condition_areas_are_offered_and_shown_by_their_labels(app, publisher):
    portal = signed_in(app, publisher)
    assert '<option value="mental-health">Mental health</option>' in portal.get(PATH).get_data(
        as_text=True
    )

    made = post(
        portal,
        CANCER_V1,
        dataset="new",
        slug="community-survey",
        title="Community survey",
        condition_area="mental-health",
    )

    assert made.status_code == 302, made.get_data(as_text=True)
    html = portal.get(PATH).get_data(as_text=True)
    assert "Partners whose agreement covers Mental health can download it now." in html
    assert '<td class="govuk-table__cell">Mental health</td>' in html
    assert "mental-health</" not in html
