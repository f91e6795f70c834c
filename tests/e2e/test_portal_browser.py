"""The portal in a real browser (Debian's chromium through Playwright) against a real server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from hub.app import build_app
from hub.config import Settings
from hub.db import transaction
from hub.identity import services as identity
from hub.registry.models import Location
from tests.factories import ACTOR, experience_record

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts"
EMAIL = "volunteer@riverside.example"
PASSWORD = "a long enough passphrase"


@pytest.fixture
def portal_url(fresh_database_url: str, tmp_path: Path) -> Iterator[str]:
    """A hub served over HTTP on loopback, with one uploader in a local Healthwatch."""
    settings = Settings(
        database_url=fresh_database_url,
        storage_url=f"file://{tmp_path / 'storage'}",
        instance_path=str(tmp_path / "instance"),
        secret_key="browser-test-secret",
        testing=True,
    )
    app = build_app(settings)
    ctx = app.extensions["hub"]
    with transaction(ctx.session_factory) as session:
        org = identity.create_organisation(
            session, ACTOR, name="Riverside Healthwatch", kind="healthwatch"
        )
        identity.create_user(
            session,
            ACTOR,
            organisation_id=org.id,
            email=EMAIL,
            password=PASSWORD,
            role="uploader",
        )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        ctx.engine.dispose()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def staff_portal_url(fresh_database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A hub with an auditor, a regulator engagement officer and a partner that sent records
    with equality monitoring about a London location."""
    settings = Settings(
        database_url=fresh_database_url,
        storage_url=f"file://{tmp_path / 'storage'}",
        instance_path=str(tmp_path / "instance"),
        secret_key="browser-test-secret",
        testing=True,
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
        for kind, role in (("auditor", "auditor"), ("regulator", "engagement")):
            org = identity.create_organisation(session, ACTOR, name=f"The {kind}", kind=kind)
            identity.create_user(
                session,
                ACTOR,
                organisation_id=org.id,
                email=f"{role}@{kind}.example",
                password=PASSWORD,
                role=role,
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
        credentials = (client.client.client_id, client.client_secret)
    api = app.test_client()
    token = api.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials
    ).get_json()["access_token"]
    batch = api.post(
        "/api/v1/experiences/batch",
        json={"records": [experience_record() for _ in range(30)]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert batch.status_code == 200, batch.get_json()
    try:
        with serving(app) as base:
            yield {"base": base, "partner": partner_id}
    finally:
        ctx.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@contextmanager
def screenshot_on_failure(page: Page, name: str) -> Iterator[None]:
    """Keep what the browser showed when a step failed, under test-artifacts/."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise


def sign_in(page: Page, base: str, password: str = PASSWORD, email: str = EMAIL) -> None:
    page.goto(f"{base}/portal/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def set_up_two_factor(page: Page, base: str) -> list[dict[str, Any]]:
    """Follow the portal to two-factor set-up as staff must, typing the key into an "app"
    (pyotp); axe's serious findings on the set-up page and on the recovery codes page."""
    expect(page).to_have_url(f"{base}/portal/account/two-factor")
    expect(page.locator("svg.hub-qr")).to_be_visible()
    found = serious_violations(page)
    key = page.locator("code.hub-key").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    expect(page.locator(".hub-recovery-codes li")).to_have_count(10)
    return found + serious_violations(page)


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_volunteer_signs_in_sees_home_and_signs_out(
    browser: Browser, portal_url: str, request: pytest.FixtureRequest
) -> None:
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    with screenshot_on_failure(page, request.node.name):
        page.goto(f"{portal_url}/portal")
        expect(page).to_have_url(f"{portal_url}/portal/sign-in?next=/portal")
        expect(page.locator("body")).to_have_class(
            "govuk-template__body js-enabled govuk-frontend-supported"
        )
        # GOV.UK Frontend's script ran under the strict CSP: the password reveal is on.
        expect(page.get_by_role("button", name="Show password")).to_be_visible()

        page.get_by_role("button", name="Sign in").click()
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_be_focused()
        summary.get_by_role("link", name="Enter your email address").click()
        expect(page.get_by_label("Email address")).to_be_focused()

        sign_in(page, portal_url, password="not the password")
        expect(summary).to_contain_text("The email address or password is not right")

        sign_in(page, portal_url)
        expect(page).to_have_url(f"{portal_url}/portal")
        expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
        expect(page.get_by_text("Riverside Healthwatch").first).to_be_visible()

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{portal_url}/portal/sign-in")
        expect(page.get_by_text("You have signed out.")).to_be_visible()
        page.goto(f"{portal_url}/portal")
        expect(page).to_have_url(f"{portal_url}/portal/sign-in?next=/portal")
        assert problems == [], problems
    context.close()


def test_portal_pages_have_no_serious_accessibility_problems(
    browser: Browser, portal_url: str, request: pytest.FixtureRequest
) -> None:
    assert AXE.exists(), "run `make setup` (npm ci) to install axe-core"
    # axe is injected as an inline script, which the portal's own CSP rightly refuses.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    with screenshot_on_failure(page, request.node.name):
        page.goto(f"{portal_url}/portal/sign-in")
        assert serious_violations(page) == []
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        assert serious_violations(page) == []
        sign_in(page, portal_url)
        expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
        assert serious_violations(page) == []
        for path in (
            "/portal/upload",
            "/portal/submissions",
            "/portal/records",
            "/portal/outcomes",
            "/portal/account",
            "/portal/account/two-factor",
        ):
            response = page.goto(f"{portal_url}{path}")
            assert response is not None and response.status == 200, path
            assert serious_violations(page) == [], path
        page.goto(f"{portal_url}/portal/no-such-page")
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        assert serious_violations(page) == []
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_text("You have signed out.")).to_be_visible()
        for path in ("/portal/password-reset", "/portal/password-reset/new?token=expired"):
            page.goto(f"{portal_url}{path}")
            assert serious_violations(page) == [], path
        page.goto(f"{portal_url}/portal/password-reset")
        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_role("button", name="Send the link").click()
        expect(
            page.get_by_text("If the address is registered, we have sent a link")
        ).to_be_visible()
        assert serious_violations(page) == []
    context.close()


def test_staff_pages_have_no_serious_accessibility_problems(
    browser: Browser, staff_portal_url: dict[str, str], request: pytest.FixtureRequest
) -> None:
    assert AXE.exists(), "run `make setup` (npm ci) to install axe-core"
    base = staff_portal_url["base"]
    pages = {
        "auditor@auditor.example": [
            "/portal/audit",
            "/portal/audit?from=not-a-date",
            "/portal/audit/chain",
            "/portal/audit/partners",
            f"/portal/audit/partners/{staff_portal_url['partner']}",
            "/portal/audit/jobs",
        ],
        "engagement@regulator.example": ["/portal/coverage", "/portal/coverage?region=London"],
    }
    for email, paths in pages.items():
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        with screenshot_on_failure(page, f"{request.node.name}-{email.split('@')[0]}"):
            sign_in(page, base, email=email)
            # Regulator and auditor staff set up two-factor sign-in before any other page.
            assert set_up_two_factor(page, base) == []
            page.goto(f"{base}/portal")
            expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
            for path in paths:
                response = page.goto(f"{base}{path}")
                assert response is not None and response.status == 200, path
                assert serious_violations(page) == [], path
        context.close()


def test_two_factor_set_up_and_sign_in_work_without_javascript(
    browser: Browser, portal_url: str, request: pytest.FixtureRequest
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    with screenshot_on_failure(page, request.node.name):
        sign_in(page, portal_url)
        page.goto(f"{portal_url}/portal/account")
        page.get_by_role("link", name="Set up two-factor sign-in").click()
        key = page.locator("code.hub-key").inner_text().replace(" ", "")
        app = pyotp.TOTP(key)
        page.get_by_label("Code from your authenticator app").fill(app.now())
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_text("You have signed out.")).to_be_visible()

        sign_in(page, portal_url)
        expect(page.get_by_role("heading", name="Enter the code from your authenticator app"))
        # The next step's code: the one just used at set-up is never accepted twice.
        page.get_by_label("Code").fill(app.at(datetime.now(UTC) + timedelta(seconds=30)))
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(f"{portal_url}/portal")
        expect(page.get_by_role("heading", name="What you can do")).to_be_visible()
    context.close()
