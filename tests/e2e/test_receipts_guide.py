"""docs/receipts.md works as written: a partner fetches its receipt from a real hub, after the
audit-seal job, and verifies it offline with the repository's script."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import experience_record
from tests.fixtures.live_server import LiveHub

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "receipts.md").read_text()
VENV_BIN = Path(sys.executable).parent


def test_a_partner_verifies_its_own_receipt_with_the_documented_steps(
    session_live_hub: LiveHub, tmp_path: Path
) -> None:
    missing = [tool for tool in ("curl", "jq") if not shutil.which(tool)]
    assert not missing, f"the guide's commands need {', '.join(missing)}"
    party = session_live_hub.add_party("charity")
    token = session_live_hub.token(party)
    batch = session_live_hub.http.post(
        f"{session_live_hub.url}/api/v1/experiences/batch",
        json={"records": [experience_record(), experience_record()]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert batch.status_code == 200, batch.text
    assert session_live_hub.cli("jobs", "run", "audit-seal")["status"] == "succeeded"
    shutil.copy(ROOT / "scripts" / "verify_receipt.py", tmp_path / "verify_receipt.py")

    script = "set -euo pipefail\n" + "\n".join(
        re.findall(r"```sh\n(.*?)```", GUIDE, flags=re.DOTALL)
    )
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env={
            **os.environ,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
            "HUB": session_live_hub.url,
            "TOKEN": token,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert f'"seq": {batch.json()["receipt"]["audit_seq"]},' in done.stdout
    assert '"action": "submission.completed"' in done.stdout
    assert "VERIFIED" in done.stdout
