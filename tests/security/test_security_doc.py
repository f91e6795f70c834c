"""docs/security.md names a test for every control, and every test it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "security.md").read_text()
CITED = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def control_rows() -> list[str]:
    table = DOC.split("## Controls", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    return rows[1:]  # the header row; the separator starts with "|-"


def test_every_control_names_a_test():
    rows = control_rows()
    assert len(rows) >= 20
    for row in rows:
        assert CITED.search(row.split(" | ")[-1]), f"no test named for: {row[:80]}"


def test_every_named_test_exists():
    cited = CITED.findall(DOC)
    assert cited
    missing = []
    for path, name in cited:
        source = ROOT / path
        if not source.exists():
            missing.append(f"{path} (no such file)")
            continue
        tree = ast.parse(source.read_text())
        names = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if name not in names:
            missing.append(f"{path}::{name}")
    assert missing == []


def test_the_readme_links_here():
    assert "docs/security.md" in (ROOT / "README.md").read_text()
