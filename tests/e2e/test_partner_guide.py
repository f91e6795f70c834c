"""docs/partners.md works as written: its commands, run in order against a real hub, succeed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from hub.exchange.notify.rules import sign
from tests.fixtures.live_server import LiveHub

pytestmark = pytest.mark.e2e

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "partners.md").read_text()
VENV_BIN = Path(sys.executable).parent
REGISTRY_CSV = (
    "location_id,provider_id,name,postcode,region,local_authority,registration_status,"
    "service_types,predecessor_id\n"
    "1-545611283,1-101674321,St Elsewhere Hospital,SW1A 1AA,London,Westminster,Registered,"
    "Acute services with overnight beds,\n"
)
RELEASE_CSV = "trust,question,score\nRXQ,Q12,0.87\n"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE, flags=re.DOTALL)


def console_command(starting: str) -> str:
    """The command of a ``$ ...`` line of the guide (with its continuation lines)."""
    match = re.search(rf"^\$ ({re.escape(starting)}.*?)(?<!\\)$", GUIDE, re.MULTILINE | re.DOTALL)
    assert match, starting
    return match.group(1)


@pytest.fixture(scope="module")
def guide_hub(module_live_hub: LiveHub, tmp_path_factory: pytest.TempPathFactory) -> LiveHub:
    """One hub for the module with the guide's location and cancer dataset."""
    missing = [tool for tool in ("curl", "jq", "openssl", "sha256sum") if not shutil.which(tool)]
    assert not missing, f"the guide's commands need {', '.join(missing)}: apt-get install -y them"
    folder = tmp_path_factory.mktemp("guide")
    registry = folder / "locations.csv"
    registry.write_text(REGISTRY_CSV)
    module_live_hub.cli("registry", "import", str(registry))
    release = folder / "release.csv"
    release.write_text(RELEASE_CSV)
    module_live_hub.publish(
        "cancer-patient-experience",
        release,
        title="Cancer patient experience by trust",
        condition_area="cancer",
    )
    return module_live_hub


@pytest.fixture
def partner_env(guide_hub: LiveHub) -> dict[str, str]:
    """The guide's starting point: the credentials of a cancer charity of this test's own."""
    party = guide_hub.add_party(
        "charity", name=f"Example Cancer Charity {uuid.uuid4().hex[:6]}", conditions=["cancer"]
    )
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "HUB": guide_hub.url,
        "CLIENT_ID": party.client_id,
        "CLIENT_SECRET": party.client_secret,
    }


def test_every_shell_step_of_the_guide_succeeds_in_order(
    partner_env: dict[str, str], tmp_path: Path
) -> None:
    script = "set -euo pipefail\n" + "\n".join(blocks("sh"))
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=partner_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "sha256 matches" in lines
    assert "304" in lines
    assert '  "organisation_kind": "charity",' in lines


def test_the_generated_client_example_runs_against_the_hub(
    partner_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "batch.json").write_text(
        '{"records": [{"partner_record_id": "guide-1", "location_id": "1-545611283",'
        ' "experience_date": "2026-05", "narrative": "Kind staff.",'
        ' "consent": {"scopes": ["regulator_use"]}}]}'
    )
    (tmp_path / "example.py").write_text(blocks("python")[1])
    for command in (console_command("openapi-python-client generate"), "python example.py"):
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=partner_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["1 accepted, 0 rejected", "['guide-1']"]


def test_the_guides_signature_checks_agree_with_the_hub(tmp_path: Path) -> None:
    namespace: dict[str, Any] = {}
    exec(blocks("python")[0], namespace)  # noqa: S102 - the guide's own example
    verify = namespace["verify"]
    body = b'{"data":{},"event":"dataset.released","id":"e1","occurred_at":"2026-03-02T09:00:00"}'
    now = int(time.time())
    header = sign("whsec_test", now, body)
    assert verify("whsec_test", header, body)
    assert not verify("whsec_other", header, body)
    assert not verify("whsec_test", header, body + b" ")
    assert not verify("whsec_test", sign("whsec_test", now - 3600, body), body)

    (tmp_path / "body.json").write_bytes(body)
    openssl = subprocess.run(
        ["bash", "-c", console_command("printf")],
        cwd=tmp_path,
        env={**os.environ, "T": str(now), "WEBHOOK_SECRET": "whsec_test"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert openssl.returncode == 0, openssl.stderr
    assert f"t={now},v1={openssl.stdout.strip()}" == header
