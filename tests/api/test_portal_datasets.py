"""Data from the regulator in the portal: what a partner's agreement entitles it to, downloads
recorded exactly as the API records them, and what the disclosure-control marks mean."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import sqlalchemy as sa

from hub.actor import Actor
from hub.audit.models import AuditEvent
from hub.exchange.datasets.models import Delivery
from hub.exchange.datasets.rules import UTF8_BOM
from hub.exchange.ledger.services import ledger
from tests.api.test_datasets import CANCER_V1, CANCER_V2, create, publish
from tests.api.test_portal_upload import signed_in


def served(body: bytes) -> bytes:
    """A CSV as the hub serves it: a UTF-8 byte order mark in front (CONTRACT §5)."""
    return UTF8_BOM + body


@pytest.fixture
def published(client, make_party, auth_headers):
    """A cancer dataset in two releases (the second with notes) and a maternity one."""
    reg = auth_headers(make_party("regulator"))
    assert create(client, reg, "cancer-survey").status_code == 201
    second = publish(
        client, reg, "cancer-survey", CANCER_V2, notes="Adds two trusts that joined in May."
    )
    assert second.status_code == 201, second.get_json()
    assert create(client, reg, "maternity-survey", area="maternity").status_code == 201
    return second.get_json()


@pytest.fixture
def cancer_user(make_org, make_user):
    return make_user("uploader", org=make_org("charity", conditions=["cancer"]))


def test_a_partner_sees_the_releases_its_agreement_covers_and_what_the_marks_mean(
    app, published, cancer_user
):
    page = signed_in(app, cancer_user).get("/portal/datasets")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Cancer-Survey" in html
    assert "Maternity-Survey" not in html
    assert "Your agreement covers: Cancer." in html
    assert published["sha256"] in html
    assert hashlib.sha256(served(CANCER_V1)).hexdigest() in html
    assert "Adds two trusts that joined in May." in html
    assert f"{len(served(CANCER_V2))} bytes" in html
    assert "/portal/datasets/cancer-survey/releases/2/file" in html
    # The disclosure-control marks are explained on the page.
    assert "Between 1 and 7 people" in html
    assert "rounded to the nearest 5" in html


def test_condition_areas_are_shown_by_their_labels_not_their_codes(
    app, client, make_party, auth_headers, make_org, make_user
):
    reg = auth_headers(make_party("regulator"))
    assert create(client, reg, "community-survey", area="mental-health").status_code == 201
    partner = make_org("charity", conditions=["mental-health", "learning-disability-autism"])

    html = (
        signed_in(app, make_user("uploader", org=partner))
        .get("/portal/datasets")
        .get_data(as_text=True)
    )

    assert "Your agreement covers: Learning disability and autism, Mental health." in html
    assert '<span class="govuk-caption-m govuk-!-display-inline">Mental health</span>' in html
    assert "mental-health" not in html


def test_a_download_is_a_delivery_in_the_ledger_with_an_audited_receipt(
    app, published, cancer_user, db_session
):
    portal = signed_in(app, cancer_user)

    download = portal.get("/portal/datasets/cancer-survey/releases/2/file")

    assert download.status_code == 200
    assert download.data == served(CANCER_V2)
    assert download.headers["ETag"] == f'"{published["sha256"]}"'
    assert "attachment" in download.headers["Content-Disposition"]
    receipt = download.headers["Hub-Receipt"]
    delivery = db_session.scalars(sa.select(Delivery)).one()
    assert delivery.organisation_id == cancer_user.organisation_id
    assert delivery.actor == f"user:{cancer_user.id}"
    event = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "dataset.downloaded")
    ).one()
    assert receipt == f"seq={event.seq}, hash={event.hash}"
    assert event.details["delivery_id"] == str(delivery.id)
    assert event.details["version"] == 2
    assert event.actor == f"user:{cancer_user.id}"
    regulator = Actor(kind="system", id="tests", scopes=frozenset({"regulator:read"}))
    months = ledger(db_session, regulator, organisation_id=cancer_user.organisation_id)["months"]
    assert sum(m["releases_received"] for m in months) == 1


def test_a_release_outside_the_agreement_is_not_found_and_not_delivered(
    app, published, cancer_user, db_session
):
    portal = signed_in(app, cancer_user)

    answer = portal.get("/portal/datasets/maternity-survey/releases/1/file")

    assert answer.status_code == 404
    assert "Page not found" in answer.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0


def test_a_partner_whose_agreement_has_ended_is_told_why_in_plain_english(
    app, published, make_org, make_user
):
    lapsed = make_org("charity", conditions=["cancer"], valid_to=date(2021, 1, 1))
    portal = signed_in(app, make_user("admin", org=lapsed))

    page = portal.get("/portal/datasets")

    assert page.status_code == 403
    assert "no data-sharing agreement in force" in page.get_data(as_text=True)
    assert portal.get("/portal/datasets/cancer-survey/releases/1/file").status_code == 403
