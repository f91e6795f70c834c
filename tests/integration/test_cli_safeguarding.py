"""``hub safeguarding evaluate`` as a regulator runs it on its own labelled texts (CONTRACT §4):
recall and precision overall and per category, immediate recall and the misses, measured on
exactly what intake decides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.actor import Actor
from hub.cli import main
from hub.exchange.records import intake
from hub.exchange.records.config import IntakeConfig
from hub.safeguarding.evaluation import run as evaluated
from hub.safeguarding.models import SafeguardingAlert
from tests.factories import experience_record

CASES = [
    {
        "narrative": "mum had bruises on both arms nobody could explain and she flinches now",
        "concern": True,
        "category": "physical",
    },
    {
        "narrative": "the carer keeps asking dad to lend him money, dad gave him £400 last month",
        "concern": True,
        "category": "financial",
    },
    {
        "narrative": "she told me she has a plan and has been saving her tablets, tonight she said",
        "concern": True,
        "category": "self-harm",
        "immediate": True,
    },
    {
        "narrative": "The wait in A&E was long but the nurses were lovely and the tea was hot.",
        "concern": False,
        "category": "none",
    },
]


def corpus(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_json_prints_one_object_with_recall_precision_per_category_and_the_misses(tmp_path):
    missed = {"narrative": "Lovely staff, thank you.", "concern": True, "category": "neglect"}
    lines = [json.dumps(c) for c in [*CASES, missed]]
    result = run("safeguarding", "evaluate", "--json", corpus(tmp_path, lines))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # exactly one object
    assert report["narratives"] == 5 and report["concerns"] == 4
    assert report["recall"] == 0.75 and report["precision"] == 1.0
    assert report["categories"]["physical"]["caught"] == 1
    assert report["categories"]["financial"]["recall"] == 1.0
    assert report["categories"]["self-harm"]["recall"] == 1.0
    assert report["categories"]["neglect"] == {
        "labelled": 1,
        "caught": 0,
        "raised_at_all": 0,
        "flagged": 0,
        "recall": 0.0,
        "precision": None,
    }
    assert report["immediate"]["labelled"] == 1 and report["immediate"]["caught"] == 1
    assert [(m["line"], m["raised"]) for m in report["misses"]] == [(5, False)]
    assert report["false_alarms"] == []


def test_the_text_report_gives_the_figures_and_names_each_miss(tmp_path):
    missed = {"narrative": "Lovely staff, thank you.", "concern": True, "category": "neglect"}
    lines = [json.dumps(c) for c in [*CASES, missed]]
    result = run("safeguarding", "evaluate", corpus(tmp_path, lines))
    assert result.exit_code == 0, result.output
    assert "5 narratives, 4 concerns" in result.output
    assert "overall: recall  75.0%  precision 100.0%" in result.output
    assert "self-harm" in result.output and "immediate: recall 100.0%" in result.output
    assert "line 5: neglect → not raised: Lovely staff, thank you." in result.output


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([json.dumps(CASES[0]), "{oops"], "line 2: not JSON"),
        ([json.dumps({**CASES[0], "category": "bullying"})], "line 1: 'category' must be one of"),
        ([json.dumps({"narrative": "x", "concern": "yes"})], "line 1: 'concern' must be"),
        ([""], "the file holds no labelled narratives"),
    ],
)
def test_a_bad_file_is_refused_in_plain_words_not_a_traceback(tmp_path, lines, message):
    result = run("safeguarding", "evaluate", corpus(tmp_path, lines))
    assert result.exit_code == 1
    assert message in result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"narrative": "caf\xe9", "concern": false, "category": "none"}\n')
    result = run("safeguarding", "evaluate", str(path))
    assert result.exit_code == 1
    assert "not UTF-8" in result.output


def test_what_is_measured_is_what_intake_stores(db_session, make_org):
    org = make_org("charity")
    actor = Actor(
        kind="client",
        id="hub_test",
        organisation_id=org.id,
        organisation_kind="charity",
        scopes=frozenset({"experiences:write"}),
    )
    config = IntakeConfig(digest_key=b"d" * 32, fingerprint_key=b"f" * 32)
    records = [experience_record(narrative=c["narrative"]) for c in CASES]
    answer = intake.submit_batch(db_session, actor, {"records": records}, config=config)
    stored = {a.experience_id: a for a in db_session.scalars(sa.select(SafeguardingAlert)).all()}
    for case, result in zip(CASES, answer.results, strict=True):
        expected = evaluated(str(case["narrative"]))
        alert = stored.get(result.id)
        if expected is None:
            assert alert is None
        else:
            assert alert is not None
            assert (tuple(alert.categories), alert.immediate) == (
                expected.categories,
                expected.immediate,
            )
    assert len(stored) == 3
