"""The portal's forms in a real browser (Debian's chromium through Playwright), beside
test_portal_pages_browser.py: recording an outcome, publishing a release, the safeguarding queue's
filters and actions, finding a location, the spreadsheet help, the account and an organisation's
API clients.

Each page has no serious axe-core finding and its form works with JavaScript turned off. One hub
is served for the whole module: the tests sign in as different people and use different records.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hub.app import build_app
from hub.config import Settings
from hub.db import make_engine, transaction
from hub.identity import services as identity
from hub.migrate import upgrade
from hub.registry.models import Location
from tests.e2e.test_portal_browser import (
    AXE,
    PASSWORD,
    browser,  # noqa: F401 (the module's shared browser fixture)
    screenshot_on_failure,
    serious_violations,
    serving,
    sign_in,
)
from tests.factories import ACTOR, experience_record

pytestmark = pytest.mark.e2e

PARTNER = "Riverside Mind"
UPLOADER = "volunteer@riverside.example"
ADMIN = "admin@riverside.example"
ENGAGEMENT = "engagement@regulator.example"
INSPECTOR = "inspector@regulator.example"
LOCATION = "1-000000001"
DATASET = b"org_code,question_id,score\nXA1,Q6,86.0\nXB2,Q6,81.5\n"
# Words the safeguarding rules raise an alert for (physical harm, and a risk tonight).
AT_RISK = "The carer hit my mother and she is scared to be alone with him tonight."
OUTCOME_REFS = ("RM-2026-0001", "RM-2026-0002")


@pytest.fixture(scope="module")
def hub(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One hub served on loopback for the module: a mental-health charity (uploader and admin)
    that sent records about a registered ward, one of them raising a safeguarding alert; the
    regulator's engagement officer and inspector; and a mental-health dataset released."""
    from tests.conftest import create_pg_database

    tmp = tmp_path_factory.mktemp("pages")
    if database_url.startswith("sqlite"):
        url, drop = f"sqlite:///{tmp / 'hub.db'}", None
    else:
        url, drop = create_pg_database("hub_pages")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    settings = Settings(
        database_url=url,
        storage_url=f"file://{tmp / 'storage'}",
        instance_path=str(tmp / "instance"),
        secret_key="browser-test-secret",
        # Two-factor sign-in has its own tests; here every role signs in with a password.
        two_factor_required_kinds="",
        testing=True,
    )
    app = build_app(settings)
    ctx = app.extensions["hub"]
    with transaction(ctx.session_factory) as session:
        partner = identity.create_organisation(
            session, ACTOR, name=PARTNER, kind="charity", condition_areas=["mental-health"]
        )
        sender = identity.create_client(
            session, ACTOR, organisation_id=partner.id, scopes=["experiences:write"]
        )
        for email, role in ((UPLOADER, "uploader"), (ADMIN, "admin")):
            identity.create_user(
                session,
                ACTOR,
                organisation_id=partner.id,
                email=email,
                password=PASSWORD,
                role=role,
            )
        regulator = identity.create_organisation(
            session,
            ACTOR,
            name="The regulator",
            kind="regulator",
            condition_areas=["mental-health", "cancer"],
        )
        publisher = identity.create_client(
            session, ACTOR, organisation_id=regulator.id, scopes=["datasets:publish"]
        )
        for email, role in ((ENGAGEMENT, "engagement"), (INSPECTOR, "inspector")):
            identity.create_user(
                session,
                ACTOR,
                organisation_id=regulator.id,
                email=email,
                password=PASSWORD,
                role=role,
            )
        session.add(
            Location(
                id=LOCATION,
                name="Riverside Ward",
                name_search="riverside ward",
                address="1 River Road, Sampleford",
                postcode="SF1 2AB",
                region="London",
                service_types=["Hospital"],
                regulated_activities=[],
                inspection_categories=[],
            )
        )
        partner_id = str(partner.id)
        sender_credentials = (sender.client.client_id, sender.client_secret)
        publisher_credentials = (publisher.client.client_id, publisher.client_secret)
    api = app.test_client()

    def bearer(credentials: tuple[str, str]) -> dict[str, str]:
        answer = api.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials
        )
        assert answer.status_code == 200, answer.get_json()
        return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}

    records = [experience_record(partner_record_id=ref) for ref in OUTCOME_REFS] + [
        experience_record(partner_record_id="RM-2026-0099", narrative=AT_RISK)
    ]
    batch = api.post(
        "/api/v1/experiences/batch", json={"records": records}, headers=bearer(sender_credentials)
    )
    assert batch.status_code == 200, batch.get_json()
    released = api.post(
        "/api/v1/datasets/ward-survey/releases",
        data={
            "file": (io.BytesIO(DATASET), "ward-survey.csv"),
            "title": "Ward survey",
            "condition_area": "mental-health",
            "notes": "The first release.",
        },
        headers=bearer(publisher_credentials),
        content_type="multipart/form-data",
    )
    assert released.status_code == 201, released.get_json()
    try:
        with serving(app) as base:
            yield {"base": base, "partner": partner_id}
    finally:
        ctx.engine.dispose()
        if drop:
            drop()


def signed_in(
    chromium: Browser, base: str, email: str, *, javascript: bool = True
) -> tuple[BrowserContext, Page]:
    # axe is injected as an inline script, which the portal's own CSP rightly refuses.
    context = chromium.new_context(bypass_csp=True, java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, base, email=email)
    expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
    return context, page


def no_serious_violations(page: Page, path: str) -> None:
    """Visit ``path`` (answered 200) and check it with axe-core."""
    assert AXE.exists(), "run `make setup` (npm ci) to install axe-core"
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    assert serious_violations(page) == [], path


def test_partner_pages_have_no_serious_accessibility_problems(
    browser: Browser,  # noqa: F811
    hub: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    base = hub["base"]
    context, page = signed_in(browser, base, ADMIN)
    with screenshot_on_failure(page, request.node.name):
        for path in (
            "/portal/datasets",
            "/portal/help/spreadsheet",
            "/portal/find-location",
            "/portal/find-location?q=riverside",
            "/portal/find-location?postcode=zz",
            "/portal/account",
            "/portal/organisation",
            "/portal/notifications",
        ):
            no_serious_violations(page, f"{base}{path}")
    context.close()


def test_regulator_pages_have_no_serious_accessibility_problems(
    browser: Browser,  # noqa: F811
    hub: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    base = hub["base"]
    context, page = signed_in(browser, base, ENGAGEMENT)
    with screenshot_on_failure(page, request.node.name):
        for path in (
            "/portal/outcomes/new",
            "/portal/releases/new",
            "/portal/safeguarding",
            "/portal/safeguarding?status=all&category=physical&overdue=1",
            "/portal/safeguarding?status=bogus&page=x",
            "/portal/account",
        ):
            no_serious_violations(page, f"{base}{path}")
        # A form sent back with its errors is checked too.
        page.goto(f"{base}/portal/outcomes/new")
        page.get_by_role("button", name="Record the outcome").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        assert serious_violations(page) == []
        page.goto(f"{base}/portal/releases/new")
        page.get_by_role("button", name="Publish").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        assert serious_violations(page) == []
    context.close()


def test_without_javascript_engagement_records_an_outcome_by_references(
    browser: Browser,  # noqa: F811
    hub: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    context, page = signed_in(browser, hub["base"], ENGAGEMENT, javascript=False)
    with screenshot_on_failure(page, request.node.name):
        page.goto(f"{hub['base']}/portal/outcomes/new")
        page.get_by_label("Shared with the care provider").check()
        page.get_by_label("Summary for partners").fill(
            "We shared what people said about night staff with the ward's managers."
        )
        date = page.get_by_role("group", name="When was it done?")
        date.get_by_label("Day").fill("2")
        date.get_by_label("Month").fill("12")
        date.get_by_label("Year").fill("2026")
        page.get_by_label("Records a partner sent, by the partner's references").check()
        page.get_by_label("Partner", exact=True).select_option(label=PARTNER)
        page.get_by_label("The partner's references", exact=True).fill("\n".join(OUTCOME_REFS))
        page.get_by_role("button", name="Record the outcome").click()

        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            "Outcome recorded against 2 records"
        )
    context.close()
    # The partner reads it beside its own references.
    context, page = signed_in(browser, hub["base"], UPLOADER, javascript=False)
    page.goto(f"{hub['base']}/portal/outcomes")
    expect(page.get_by_text("Shared with the care provider")).to_be_visible()
    expect(page.get_by_text(", ".join(OUTCOME_REFS))).to_be_visible()
    context.close()


def test_without_javascript_engagement_publishes_a_release(
    browser: Browser,  # noqa: F811
    hub: dict[str, Any],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    upload = tmp_path / "ward-survey-2026.csv"
    upload.write_bytes(DATASET + b"XC3,Q6,79.0\n")
    context, page = signed_in(browser, hub["base"], ENGAGEMENT, javascript=False)
    with screenshot_on_failure(page, request.node.name):
        page.goto(f"{hub['base']}/portal/releases/new")
        page.get_by_label("Dataset", exact=True).select_option(label="Ward survey (ward-survey)")
        page.get_by_label("File", exact=True).set_input_files(str(upload))
        page.get_by_label("Notes for partners").fill("Adds a third trust.")
        page.get_by_role("button", name="Publish").click()

        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            "Version 2 of Ward survey is published"
        )
    context.close()


def test_without_javascript_the_safeguarding_queue_filters_and_acknowledges(
    browser: Browser,  # noqa: F811
    hub: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    context, page = signed_in(browser, hub["base"], INSPECTOR, javascript=False)
    with screenshot_on_failure(page, request.node.name):
        page.goto(f"{hub['base']}/portal/safeguarding")
        alert = page.locator(".govuk-summary-card", has_text="Riverside Ward")
        expect(alert).to_contain_text("hit my mother")

        page.get_by_label("Category").select_option(label="Financial or material abuse")
        page.get_by_role("button", name="Show alerts").click()
        expect(page).to_have_url(
            f"{hub['base']}/portal/safeguarding?status=to-do&category=financial"
        )
        expect(alert).to_have_count(0)

        page.get_by_label("Category").select_option(label="Physical abuse")
        page.get_by_role("button", name="Show alerts").click()
        expect(alert).to_contain_text("hit my mother")

        alert.get_by_role("button", name="Acknowledge").click()
        expect(page).to_have_url(
            re.compile(r"/portal/safeguarding\?status=to-do&category=physical")
        )
        expect(alert).to_contain_text("acknowledged")
    context.close()


def test_without_javascript_a_partner_finds_a_location_and_reads_the_help(
    browser: Browser,  # noqa: F811
    hub: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    context, page = signed_in(browser, hub["base"], UPLOADER, javascript=False)
    with screenshot_on_failure(page, request.node.name):
        page.goto(f"{hub['base']}/portal/find-location")
        page.get_by_label("Postcode").fill("not a postcode")
        page.get_by_role("button", name="Search").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a UK postcode")

        page.get_by_label("Postcode").fill("")
        page.get_by_label("Name or town").fill("sampleford")
        page.get_by_role("button", name="Search").click()
        row = page.get_by_role("row", name="Riverside Ward")
        expect(row).to_contain_text(LOCATION)

        page.goto(f"{hub['base']}/portal/help/spreadsheet")
        expect(page.get_by_role("heading", name="How to fill in the spreadsheet")).to_be_visible()
        expect(page.get_by_text("partner_record_id").first).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the blank template (CSV)").click()
        assert (
            Path(download.value.path())
            .read_bytes()
            .lstrip(b"\xef\xbb\xbf")
            .startswith(b"partner_record_id,")
        )
    context.close()


def test_without_javascript_an_admin_creates_an_api_client_and_sees_its_secret_once(
    browser: Browser,  # noqa: F811
    hub: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    context, page = signed_in(browser, hub["base"], ADMIN, javascript=False)
    with screenshot_on_failure(page, request.node.name):
        page.goto(f"{hub['base']}/portal/organisation")
        page.get_by_label("Name (optional)").fill("Our case system")
        page.locator("input[name=scopes][value='experiences:write']").check()
        page.get_by_role("button", name="Create client").click()
        expect(page.get_by_role("heading", name="API client created")).to_be_visible()
        expect(page.get_by_text("Client secret")).to_be_visible()
        page.get_by_role("link", name="Back to your organisation").click()
        expect(page.get_by_text("Our case system").first).to_be_visible()
    context.close()


def test_without_javascript_a_wrong_current_password_is_said_in_plain_english(
    browser: Browser,  # noqa: F811
    hub: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    context, page = signed_in(browser, hub["base"], UPLOADER, javascript=False)
    with screenshot_on_failure(page, request.node.name):
        page.goto(f"{hub['base']}/portal/account")
        page.get_by_label("Current password").fill("not the password")
        page.get_by_label("New password", exact=True).fill("another long passphrase")
        page.get_by_label("Confirm new password").fill("another long passphrase")
        page.get_by_role("button", name="Change password").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        # Still signed in, on the account page.
        expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    context.close()


def test_without_javascript_an_admin_turns_a_notification_email_off(
    browser: Browser,  # noqa: F811
    hub: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    context, page = signed_in(browser, hub["base"], ADMIN, javascript=False)
    with screenshot_on_failure(page, request.node.name):
        page.goto(f"{hub['base']}/portal/notifications")
        boxes = page.get_by_role("group", name="Emails your organisation receives").get_by_role(
            "checkbox"
        )
        expect(boxes.first).to_be_checked()  # every kind is on until turned off
        boxes.first.uncheck()
        page.get_by_role("button", name="Save").click()

        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            "Your notification settings have been saved"
        )
        expect(boxes.first).not_to_be_checked()
    context.close()
