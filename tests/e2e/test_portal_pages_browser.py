"""The pages that run the exchange, in a real browser (Debian's chromium through Playwright):
each passes axe with no serious violations, and the withdrawal works without JavaScript."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from hub.app import build_app
from hub.config import Settings
from hub.db import transaction
from hub.identity import services as identity
from hub.registry.models import Location
from tests.e2e.test_portal_browser import (
    AXE,
    PASSWORD,
    browser,  # noqa: F401 (a fixture)
    screenshot_on_failure,
    serious_violations,
    serving,
    sign_in,
)
from tests.factories import ACTOR, experience_record

pytestmark = pytest.mark.e2e


@pytest.fixture
def hub_url(fresh_database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A partner (admin and uploader) that sent records, a dataset for it, the regulator's
    engagement officer and admin."""
    settings = Settings(
        database_url=fresh_database_url,
        storage_url=f"file://{tmp_path / 'storage'}",
        instance_path=str(tmp_path / "instance"),
        secret_key="browser-test-secret",
        testing=True,
        two_factor_required_kinds="",
    )
    app = build_app(settings)
    ctx = app.extensions["hub"]
    with transaction(ctx.session_factory) as session:
        partner = identity.create_organisation(
            session, ACTOR, name="Riverside Mind", kind="charity", condition_areas=["mental-health"]
        )
        client = identity.create_client(
            session, ACTOR, organisation_id=partner.id, scopes=["experiences:write"]
        )
        regulator = identity.create_organisation(
            session, ACTOR, name="The regulator", kind="regulator"
        )
        publisher = identity.create_client(
            session, ACTOR, organisation_id=regulator.id, scopes=["datasets:publish"]
        )
        for org, role, email in (
            (partner, "admin", "admin@riverside.example"),
            (partner, "uploader", "volunteer@riverside.example"),
            (regulator, "engagement", "engagement@regulator.example"),
            (regulator, "admin", "admin@regulator.example"),
        ):
            identity.create_user(
                session, ACTOR, organisation_id=org.id, email=email, password=PASSWORD, role=role
            )
        session.add(
            Location(
                id="1-000000001",
                name="Riverside Ward",
                name_search="riverside ward",
                region="London",
                service_types=[],
                regulated_activities=[],
                inspection_categories=[],
            )
        )
        partner_id = str(partner.id)
    api = app.test_client()

    def bearer(credentials: tuple[str, str]) -> dict[str, str]:
        answer = api.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials
        )
        return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}

    sent = api.post(
        "/api/v1/experiences/batch",
        json={"records": [experience_record(partner_record_id=f"RM-{n}") for n in range(3)]},
        headers=bearer((client.client.client_id, client.client_secret)),
    )
    assert sent.status_code == 200, sent.get_json()
    published = api.post(
        "/api/v1/datasets/mh-survey/releases",
        data={
            "file": (io.BytesIO(b"trust,score\nXA1,86\nXB2,*\n"), "mh.csv"),
            "title": "Mental health survey",
            "condition_area": "mental-health",
            "notes": "The first release.",
        },
        headers=bearer((publisher.client.client_id, publisher.client_secret)),
        content_type="multipart/form-data",
    )
    assert published.status_code == 201, published.get_json()
    try:
        with serving(app) as base:
            yield {"base": base, "partner": partner_id}
    finally:
        ctx.engine.dispose()


def test_the_new_pages_have_no_serious_accessibility_problems(
    browser: Browser,  # noqa: F811
    hub_url: dict[str, str],
    request: pytest.FixtureRequest,
) -> None:
    assert AXE.exists(), "run `make setup` (npm ci) to install axe-core"
    base = hub_url["base"]
    pages = {
        "admin@riverside.example": [
            "/portal/datasets",
            "/portal/records/withdraw",
            "/portal/records/withdraw?reference=nothing-like-it",
            "/portal/organisation",
        ],
        "engagement@regulator.example": ["/portal/outcomes/new", "/portal/releases/new"],
        "admin@regulator.example": ["/portal/partners", f"/portal/partners/{hub_url['partner']}"],
    }
    for email, paths in pages.items():
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        with screenshot_on_failure(page, f"{request.node.name}-{email.split('@')[0]}"):
            sign_in(page, base, email=email)
            expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
            for path in paths:
                response = page.goto(f"{base}{path}")
                assert response is not None and response.status in (200, 404), path
                assert serious_violations(page) == [], path
            # Each form's error messages are accessible too.
            if email.startswith("engagement"):
                page.goto(f"{base}/portal/outcomes/new")
                page.get_by_role("button", name="Record the outcome").click()
                expect(page.locator(".govuk-error-summary")).to_be_visible()
                assert serious_violations(page) == []
            if email == "admin@regulator.example":
                page.goto(f"{base}/portal/partners")
                page.get_by_role("button", name="Add the partner").click()
                expect(page.locator(".govuk-error-summary")).to_be_visible()
                assert serious_violations(page) == []
        context.close()


def test_a_volunteer_withdraws_a_record_without_javascript(
    browser: Browser,  # noqa: F811
    hub_url: dict[str, str],
    request: pytest.FixtureRequest,
) -> None:
    base = hub_url["base"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    with screenshot_on_failure(page, request.node.name):
        sign_in(page, base, email="volunteer@riverside.example")
        page.get_by_role("link", name="Withdraw a record").first.click()
        page.get_by_label("Your reference for the record").fill("RM-1")
        page.get_by_role("button", name="Find the record").click()
        expect(page.get_by_role("heading", name="Withdraw record RM-1")).to_be_visible()
        page.get_by_role("button", name="Withdraw this record").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Select why the record is being withdrawn"
        )
        page.get_by_label("The person asked us to withdraw what they told us").check()
        page.get_by_role("button", name="Withdraw this record").click()
        expect(page.get_by_role("heading", name="Record withdrawn")).to_be_visible()
        expect(page.locator(".govuk-panel strong")).to_have_text("RM-1")
        expect(page.get_by_text("seq=")).to_be_visible()
        # The download is the API's: a file with its sha256 as ETag.
        page.goto(f"{base}/portal/datasets")
        expect(page.get_by_text("The first release.")).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download version 1 of Mental health survey").click()
        assert download.value.suggested_filename == "mh.csv"
    context.close()
