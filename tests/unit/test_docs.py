"""The README stays true to the code it documents."""

from __future__ import annotations

from pathlib import Path

from hub.config import settings_table

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    block = README.split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert [line.split()[0:2] for line in block] == [["make", "run"], ["make", "test"]]


def test_readme_documents_every_setting():
    missing = [name for name, _, _ in settings_table() if f"`{name}`" not in README]
    assert missing == []
