"""``hub privacy evaluate`` as a regulator runs it on its own labelled texts (CONTRACT §6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.registry.keep_list import forget_registry_keep_list

CASES = [
    {
        "narrative": "My carer sandra never came. Ring 07700 900123. Chidozie Meadows was clean.",
        "identifiers": [
            {"kind": "name", "value": "sandra"},
            {"kind": "phone", "value": "07700 900123"},
        ],
        "keep": ["Chidozie Meadows"],
    },
    {
        "narrative": "Dr Okonkwo at Leeds was kind. NHS number 943 476 5919.",
        "identifiers": [
            {"kind": "name", "value": "Okonkwo"},
            {"kind": "nhs", "value": "943 476 5919"},
        ],
        "keep": ["Leeds"],
    },
]


@pytest.fixture(autouse=True)
def fresh_cache():
    forget_registry_keep_list()
    yield
    forget_registry_keep_list()


@pytest.fixture
def env(fresh_database_url, tmp_path):
    return {
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
    }


def corpus(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def run(env, *args):
    return CliRunner().invoke(main, list(args), env=env)


def test_json_prints_one_object_with_the_share_removed_per_kind_and_keep_words_lost(env, tmp_path):
    registry = tmp_path / "locations.csv"
    registry.write_text(
        "location_id,name,postcode,registration_status\n"
        "1-300000001,Chidozie Meadows,LS1 4AP,Registered\n",
        encoding="utf-8",
    )
    assert run(env, "registry", "import", str(registry)).exit_code == 0
    result = run(env, "privacy", "evaluate", "--json", corpus(tmp_path, map(json.dumps, CASES)))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # exactly one object
    assert report["narratives"] == 2
    assert report["kinds"]["name"] == {"total": 2, "removed": 2, "share_removed": 1.0}
    assert report["kinds"]["phone"]["share_removed"] == 1.0
    assert report["kinds"]["nhs"]["share_removed"] == 1.0
    assert report["kinds"]["email"] == {"total": 0, "removed": 0, "share_removed": None}
    # the registry's location name is kept, as at intake
    assert report["keep"] == {"total": 2, "lost": 0, "share_lost": 0.0}
    assert report["registry_names"] == 1


def test_the_text_report_names_every_leak_and_loss(env, tmp_path):
    leaky = {
        "narrative": "Thanks to the team at Oakfield.",
        "identifiers": [{"kind": "name", "value": "Oakfield"}],
        "keep": ["the team"],
    }
    result = run(env, "privacy", "evaluate", corpus(tmp_path, [json.dumps(leaky)]))
    assert result.exit_code == 0, result.output
    assert "name          0/1      0.0%" in result.output
    assert "line 1: name 'Oakfield'" in result.output
    assert "keep words lost: 0/1" in result.output


def test_a_line_that_is_not_a_labelled_narrative_is_named(env, tmp_path):
    result = run(env, "privacy", "evaluate", corpus(tmp_path, [json.dumps(CASES[0]), "{oops"]))
    assert result.exit_code == 1
    assert "line 2: not JSON" in result.output
    bad_kind = {"narrative": "x", "identifiers": [{"kind": "address", "value": "1 High St"}]}
    result = run(env, "privacy", "evaluate", corpus(tmp_path, [json.dumps(bad_kind)]))
    assert result.exit_code == 1
    assert "line 1: each identifier needs a kind" in result.output


def test_without_a_readable_registry_it_says_so_and_still_prints_one_object(tmp_path):
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'hub.db'}"}
    result = run(env, "privacy", "evaluate", "--json", corpus(tmp_path, [json.dumps(CASES[1])]))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["registry_names"] is None
    assert "the registry could not be read" in result.stderr
