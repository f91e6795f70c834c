"""The API reference page in a real browser: Swagger UI under the strict CSP, nothing fetched
from elsewhere, and a partner can authorise with client credentials and try an operation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from hub.api.docs import SWAGGER_UI
from tests.fixtures.live_server import LiveHub

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    assert (SWAGGER_UI / "swagger-ui-bundle.js").exists(), "run `make setup` to install Swagger UI"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def test_a_partner_authorises_and_tries_an_operation_on_the_reference_page(
    browser: Browser, session_live_hub: LiveHub
) -> None:
    party = session_live_hub.add_party("charity", conditions=["cancer"])
    operations = sum(
        method in {"get", "post", "put", "patch", "delete"}
        for item in json.loads(SPEC.read_text())["paths"].values()
        for method in item
    )
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith((session_live_hub.url, "data:")) else elsewhere.append(r.url)
        ),
    )
    try:
        page.goto(f"{session_live_hub.url}/api/v1/docs")
        page.wait_for_selector(".opblock", timeout=30_000)
        assert page.locator(".opblock").count() == operations

        page.get_by_role("button", name="Authorize").first.click()
        dialog = page.locator(".modal-ux")
        dialog.locator("#client_id_clientCredentials").fill(party.client_id)
        dialog.locator("#client_secret_clientCredentials").fill(party.client_secret)
        dialog.locator("button.authorize").click()
        dialog.get_by_text("Authorized", exact=True).wait_for()
        dialog.locator("button.btn-done").click()

        me = page.locator("#operations-me-getMe")
        me.locator(".opblock-summary").click()
        me.get_by_role("button", name="Try it out").click()
        me.get_by_role("button", name="Execute").click()
        status = me.locator(".live-responses-table .response .response-col_status")
        status.wait_for(timeout=15_000)
        assert status.inner_text().strip() == "200"
        assert party.client_id in me.locator(".live-responses-table .microlight").first.inner_text()
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "api-reference-page.png"), full_page=True)
        raise
    finally:
        context.close()
    # A Content-Security-Policy violation is reported as a console error.
    assert errors == []
    assert elsewhere == []
