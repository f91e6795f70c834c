"""What `make run` prints is true: every address it names answers."""

from __future__ import annotations

import re
from pathlib import Path

MAKEFILE = (Path(__file__).resolve().parents[2] / "Makefile").read_text()


def test_every_address_make_run_prints_answers(client):
    printed = [line for line in MAKEFILE.splitlines() if line.strip().startswith("@echo")]
    paths = re.findall(r"http://\$\(HOST\):\$\(PORT\)(/[^\s,)\"]*)", "\n".join(printed))
    assert "/" in paths and len(paths) >= 3
    for path in paths:
        answer = client.get(path)
        assert answer.status_code in (200, 302), (path, answer.status_code)
