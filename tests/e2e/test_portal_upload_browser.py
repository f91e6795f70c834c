"""A volunteer uploads a spreadsheet in a real browser and reads its report."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, expect
from werkzeug.serving import make_server

from hub.actor import Actor
from hub.app import build_app
from hub.config import Settings
from hub.db import transaction
from hub.exchange.csv.process import process_submission
from hub.exchange.csv.template import COLUMNS, EXAMPLE_ROWS, csv_line
from hub.exchange.csv.upload import accept_upload
from hub.exchange.records.config import IntakeConfig
from hub.identity import services as identity
from hub.identity.models import PortalUser
from tests.e2e.test_portal_browser import (  # noqa: F401 (fixtures)
    AXE,
    EMAIL,
    PASSWORD,
    browser,
    portal_url,
    screenshot_on_failure,
    serious_violations,
    sign_in,
)
from tests.factories import ACTOR

pytestmark = pytest.mark.e2e

POLL_LIMIT = 20


def spreadsheet(path: Path) -> Path:
    rows = []
    for i in range(6):
        row = {**EXAMPLE_ROWS[i % len(EXAMPLE_ROWS)], "partner_record_id": f"web-{i}"}
        if i == 2:
            row["experience_date"] = "31/02/2026"
        if i == 4:
            row["consent_regulator_use"] = "perhaps"
        rows.append(row)
    text = csv_line(COLUMNS) + "".join(csv_line(r.get(c, "") for c in COLUMNS) for r in rows)
    path.write_bytes(text.encode("utf-8-sig"))
    return path


def test_volunteer_uploads_a_file_and_reads_the_report(
    browser: Browser,  # noqa: F811
    portal_url: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    assert AXE.exists(), "run `make setup` (npm ci) to install axe-core"
    context = browser.new_context(bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    with screenshot_on_failure(page, request.node.name):
        sign_in(page, portal_url)
        page.get_by_role("link", name="Upload a spreadsheet").first.click()
        expect(page.get_by_role("heading", name="Upload a spreadsheet")).to_be_visible()
        assert serious_violations(page) == []

        with page.expect_download() as template:
            page.get_by_role("link", name="Download the blank template (CSV)").click()
        # A byte-order mark first, so Excel reads the file as UTF-8.
        data = Path(template.value.path()).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert data.decode("utf-8-sig").strip() == ",".join(COLUMNS)

        page.get_by_role("button", name="Upload file").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("Select a CSV file")
        assert serious_violations(page) == []

        page.get_by_label("Upload a file").set_input_files(str(spreadsheet(tmp_path / "june.csv")))
        page.get_by_role("button", name="Upload file").click()
        expect(page.get_by_role("heading", name="june.csv")).to_be_visible()
        for _ in range(POLL_LIMIT):
            if page.locator("#submission-status").inner_text().strip() != "Processing":
                break
            page.wait_for_timeout(500)
            page.reload()
        expect(page.locator("#submission-status")).to_have_text("Completed")
        expect(page.locator("#submission-progress")).to_have_text("6 rows done of 6")
        table = page.locator(".hub-error-table")
        expect(table).to_contain_text("experience_date")
        expect(table).to_contain_text("consent_regulator_use")
        assert serious_violations(page) == []

        with page.expect_download() as annotated:
            page.get_by_role("link", name="Download your file with an errors column (CSV)").click()
        lines = list(csv.reader(io.StringIO(Path(annotated.value.path()).read_text())))
        assert lines[0][-1] == "errors"
        assert [bool(line[-1]) for line in lines[1:]] == [False, False, True, False, True, False]

        page.get_by_role("link", name="Your uploads").first.click()
        expect(page.get_by_role("link", name="june.csv")).to_be_visible()
        assert serious_violations(page) == []

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_text("You have signed out.")).to_be_visible()
    context.close()


@pytest.fixture
def served_app(fresh_database_url: str, tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """Like ``portal_url``, but the test also gets the app to drive processing itself."""
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
            session, ACTOR, organisation_id=org.id, email=EMAIL, password=PASSWORD, role="uploader"
        )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        ctx.engine.dispose()


def test_the_status_page_follows_progress_with_javascript(
    browser: Browser,  # noqa: F811
    served_app: tuple[str, Flask],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    base, app = served_app
    ctx = app.extensions["hub"]
    data = spreadsheet(tmp_path / "slow.csv").read_bytes()
    with transaction(ctx.session_factory) as session:
        user = session.scalars(sa.select(PortalUser)).one()
        actor = Actor(kind="user", id=str(user.id), organisation_id=user.organisation_id)
        pending = accept_upload(session, actor, ctx.storage, io.BytesIO(data), "slow.csv")
    context = browser.new_context()
    page = context.new_page()
    with screenshot_on_failure(page, request.node.name):
        sign_in(page, base)
        page.goto(f"{base}/portal/submissions/{pending.id}")
        expect(page.locator("#submission-status")).to_have_text("Processing")
        expect(page.locator("#submission-progress")).to_have_text("0 rows done of 6")
        config = IntakeConfig.from_settings(ctx.settings, ctx.secret_key)
        process_submission(ctx.session_factory, ctx.storage, pending.id, config=config)
        # No reload here: the page's own script fetches the new state.
        expect(page.locator("#submission-status")).to_have_text("Completed", timeout=10_000)
        expect(page.locator(".hub-error-table")).to_contain_text("experience_date")
    context.close()
