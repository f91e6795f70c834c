"""``hub demo`` gives every feature something to show at once: "you said, we did" outcomes
partners can read, a seal so a receipt verifies without waiting for the hourly job, and the
locations the API reference's examples name."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.app import build_app
from hub.cli import main
from hub.config import Settings
from hub.exchange.csv.template import EXAMPLE_ROWS, example_csv

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, database_url):
    """One demo, loaded by the command, on a fresh database of the backend under test."""
    from tests.conftest import create_pg_database

    tmp = tmp_path_factory.mktemp("demo")
    if database_url.startswith("sqlite"):
        url, drop = f"sqlite:///{tmp / 'demo.db'}", None
    else:
        url, drop = create_pg_database("hub_demo")
    env = {
        "HUB_DATABASE_URL": url,
        "HUB_INSTANCE_PATH": str(tmp / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp}/storage",
    }
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    loaded = runner.invoke(main, ["demo", "--json"], env=env)
    assert loaded.exit_code == 0, loaded.output
    settings = Settings(
        database_url=url,
        storage_url=env["HUB_STORAGE_URL"],
        instance_path=env["HUB_INSTANCE_PATH"],
        secret_key="demo-test",
        testing=True,
    )
    app = build_app(settings)
    yield app, json.loads(loaded.output), tmp
    app.extensions["hub"].engine.dispose()
    if drop:
        drop()


def headers(client, org) -> dict[str, str]:
    basic = base64.b64encode(f"{org['client_id']}:{org['client_secret']}".encode()).decode()
    answer = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


def partners(credentials):
    return [
        o
        for o in credentials["organisations"]
        if o["kind"] in ("charity", "healthwatch", "community_group")
    ]


def test_every_partner_has_you_said_we_did(demo):
    app, credentials, _ = demo
    client = app.test_client()
    for org in partners(credentials):
        outcomes = client.get("/api/v1/outcomes", headers=headers(client, org)).get_json()
        assert outcomes["items"], org["name"]


def test_a_receipt_of_the_demo_verifies_at_once(demo):
    app, credentials, tmp = demo
    client = app.test_client()
    auth = headers(client, partners(credentials)[0])
    submission = client.get("/api/v1/submissions", headers=auth).get_json()["items"][0]
    receipt = client.get(f"/api/v1/receipts/{submission['receipt']['audit_seq']}", headers=auth)
    assert receipt.status_code == 200
    assert receipt.get_json()["sealed"] is True
    (tmp / "receipt.json").write_text(receipt.get_data(as_text=True))
    key = client.get(
        "/api/v1/audit/public-key", headers={**auth, "Accept": "application/x-pem-file"}
    )
    assert key.status_code == 200
    (tmp / "key.pem").write_text(key.get_data(as_text=True))

    checked = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "verify_receipt.py"),
            str(tmp / "receipt.json"),
            "--public-key",
            str(tmp / "key.pem"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
    assert "VERIFIED" in checked.stdout


def _example_location_ids(node) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("location_id", "current_location_id") and isinstance(value, str):
                found.add(value)
            elif key == "predecessor_ids" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
            else:
                found |= _example_location_ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= _example_location_ids(value)
    return found


def test_the_api_reference_examples_name_locations_of_the_demo(demo):
    app, credentials, _ = demo
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    named = _example_location_ids(document["paths"]) | _example_location_ids(
        document.get("components", {})
    )
    assert "1-545611283" in named
    auth = headers(client, partners(credentials)[0])
    for location_id in sorted(named):
        answer = client.get(f"/api/v1/locations/{location_id}", headers=auth)
        assert answer.status_code == 200, location_id


def test_the_auditor_sees_a_full_check_of_the_demo_chain(demo):
    """The demo's seal is made by the audit-seal job, so the auditor's pages show its check."""
    from hub.jobs.history import last_check

    app, _credentials, _tmp = demo
    with app.extensions["hub"].session_factory() as session:
        checked = last_check(session)
        assert checked is not None
        assert checked.status == "succeeded"
        assert checked.stats["events"] > 0


def test_the_csv_example_file_is_taken_whole_by_a_demo_partner(demo):
    """A volunteer's first try is the example file: against the demo every row is taken,
    with nothing to warn about (its locations and postcodes are in the demo registry)."""
    app, credentials, _ = demo
    client = app.test_client()
    auth = headers(client, partners(credentials)[0])
    sent = client.post(
        "/api/v1/submissions/csv",
        data={"file": (io.BytesIO(example_csv().encode()), "experiences-example.csv")},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert sent.status_code == 202, sent.get_json()
    got = client.get(f"/api/v1/submissions/{sent.get_json()['submission_id']}", headers=auth)
    report = got.get_json()
    assert report["status"] == "completed"
    assert (report["accepted"], report["rejected"]) == (len(EXAMPLE_ROWS), 0)
    assert (report["errors"], report["warnings"]) == ([], [])
