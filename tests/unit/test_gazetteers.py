"""The committed word lists are exactly what scripts/build_gazetteers.py makes of its sources."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "hub" / "privacy" / "data"


def load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "build_gazetteers", ROOT / "scripts" / "build_gazetteers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_script_rebuilds_the_committed_lists_byte_for_byte(tmp_path: Path) -> None:
    script = load_script()
    try:
        script.check_sources()
    except script.SourceMismatch as e:
        pytest.skip(f"cannot check the word lists here: {e}")
    assert script.main(["--out", str(tmp_path)]) == 0
    for name in script.FILES:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_every_committed_list_says_where_it_comes_from() -> None:
    script = load_script()
    for name in script.FILES:
        first = (DATA / name).read_text(encoding="utf-8").splitlines()[0]
        assert first == script.header(name).rstrip("\n")
        assert all(f"{pkg} {version}" in first for pkg, version in script.SOURCES.items())


def test_the_pinned_versions_match_the_hashed_requirements() -> None:
    script = load_script()
    pinned = (ROOT / "scripts" / "gazetteer-sources.txt").read_text(encoding="utf-8")
    for pkg, version in script.SOURCES.items():
        assert f"{pkg}=={version} --hash=sha256:" in pinned
