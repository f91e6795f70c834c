"""`hub safeguarding evaluate`'s service: reads the contract's JSON Lines, runs intake's path,
counts recall and precision overall, per category and for immediacy, and lists the misses."""

from __future__ import annotations

import json

import pytest

from hub.safeguarding.classifier import CATEGORIES, Classification, classify
from hub.safeguarding.evaluation import EvaluationError, evaluate, parse, render, run
from hub.safeguarding.rules import assess


def _line(narrative: str, concern: bool, category: str, **extra: object) -> str:
    return json.dumps({"narrative": narrative, "concern": concern, "category": category, **extra})


def _fake(answers: dict[str, Classification]):
    return lambda text: answers[text]


def _found(*categories: str, immediate: bool = False) -> Classification:
    return Classification(True, categories, immediate, ())


NOTHING = Classification(False, (), False, ())


def test_recall_and_precision_are_counted_overall_and_per_category() -> None:
    items = parse(
        [
            _line("a", True, "physical", immediate=True),
            _line("b", True, "physical"),
            _line("c", True, "neglect"),
            _line("d", False, "none"),
            "",
            _line("e", False, "none"),
        ]
    )
    answers = {
        "a": _found("physical", immediate=True),  # caught, immediate caught
        "b": _found("neglect"),  # raised, wrong category
        "c": NOTHING,  # missed
        "d": _found("neglect"),  # false alarm
        "e": NOTHING,
    }
    report = evaluate(items, _fake(answers))
    data = report.as_dict()
    assert data["narratives"] == 5 and data["concerns"] == 3
    assert data["overall"]["caught"] == 2 and data["overall"]["flagged"] == 3
    assert data["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert data["precision"] == pytest.approx(2 / 3, abs=1e-4)
    physical, neglect = data["categories"]["physical"], data["categories"]["neglect"]
    assert (physical["labelled"], physical["caught"], physical["raised_at_all"]) == (2, 1, 2)
    assert (physical["flagged"], physical["precision"]) == (1, 1.0)
    assert (neglect["labelled"], neglect["caught"], neglect["flagged"]) == (1, 0, 2)
    assert neglect["precision"] == 0.0
    assert data["immediate"]["labelled"] == 1 and data["immediate"]["caught"] == 1
    assert [m["line"] for m in data["misses"]] == [2, 3]
    assert data["misses"][0]["raised"] is True and data["misses"][1]["raised"] is False
    assert [a["line"] for a in data["false_alarms"]] == [4]
    assert set(data["categories"]) == set(CATEGORIES)
    text = render(report)
    assert "recall  66.7%" in text and "line 3: neglect → not raised" in text


def test_a_category_with_no_examples_has_no_recall_rather_than_zero() -> None:
    report = evaluate(parse([_line("a", False, "none")]), _fake({"a": NOTHING}))
    assert report.as_dict()["categories"]["sexual"]["recall"] is None
    assert report.as_dict()["recall"] is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 1: not JSON"),
        ("[1, 2]", "line 1: expected a JSON object"),
        (json.dumps({"concern": True, "category": "physical"}), "'narrative'"),
        (json.dumps({"narrative": "x", "concern": "yes", "category": "physical"}), "'concern'"),
        (json.dumps({"narrative": "x", "concern": True, "category": "hitting"}), "'category'"),
        (json.dumps({"narrative": "x", "concern": True, "category": "none"}), "needs a category"),
        (json.dumps({"narrative": "x", "concern": False, "category": "physical"}), "'none'"),
        (
            json.dumps({"narrative": "x", "concern": True, "category": "physical", "immediate": 1}),
            "'immediate'",
        ),
    ],
)
def test_a_bad_line_is_refused_with_its_number_and_the_reason(line: str, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        parse([line])


def test_the_default_run_is_exactly_what_intake_decides() -> None:
    texts = [
        "The carer keeps asking dad to lend him money.",
        "The food was cold and the parking was dear.",
        "She says she will kill herself tonight.",
    ]
    for text in texts:
        expected = assess(
            concern=False, immediate_risk=False, categories=(), classification=classify(text)
        )
        assert run(text) == expected


def test_self_harm_is_accepted_as_a_category() -> None:
    (item,) = parse([_line("she has a plan", True, "self-harm")])
    assert item.category == "self-harm"
