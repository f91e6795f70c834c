"""Measuring de-identification: the leak and loss rules of CONTRACT §6, on the intake's code."""

from __future__ import annotations

import json

import pytest

from hub.privacy.evaluation import CorpusError, evaluate, leaked, parse_cases
from hub.privacy.redaction import redact_many


def lines(*objs: object) -> list[str]:
    return [json.dumps(o) for o in objs]


@pytest.mark.parametrize(
    ("kind", "value", "redacted", "leaks"),
    [
        ("name", "Gintaras Petrauskas", "the manager, [NAME] Petrauskas, said", True),
        ("name", "Gintaras Petrauskas", "the manager, [NAME], said", False),
        ("name", "sandra", "SANDRA was there", True),  # any case
        ("name", "Jo", "Jo was there", False),  # only words of three letters or more count
        ("name", "Will", "I will ring", True),  # a whole word in any case survives
        ("name", "Will", "Willow Ward", False),  # not part of another word
        ("phone", "07700 900123", "ring 07700900123", True),  # spacing does not hide it
        ("nhs", "943 476 5919", "no [NHS_NUMBER]", False),
        ("email", "Jo@Example.com", "mail jo@example.com", True),
        ("dob", "17 Apr 59", "DOB [DATE_OF_BIRTH]", False),
    ],
)
def test_what_counts_as_a_leak(kind: str, value: str, redacted: str, leaks: bool) -> None:
    assert leaked(kind, value, redacted) is leaks


def test_figures_per_kind_and_keep_words_come_from_the_intake_redactor() -> None:
    cases = parse_cases(
        lines(
            {
                "narrative": "My carer sandra (07700 900123) took me to Grace Ward in Leeds.",
                "identifiers": [
                    {"kind": "name", "value": "sandra"},
                    {"kind": "phone", "value": "07700 900123"},
                ],
                "keep": ["Grace Ward", "Leeds"],
            },
            {
                "narrative": "Dr Brown was kind to my wife Zelda.",
                "identifiers": [{"kind": "name", "value": "Brown"}],
                "keep": ["kind", "my wife Zelda"],  # the second cannot survive: it holds a name
            },
        )
    )
    result = evaluate(cases, redact_many)
    assert result.narratives == 2
    assert (result.kinds["name"].total, result.kinds["name"].removed) == (2, 2)
    assert result.kinds["phone"].share == 1.0
    assert result.kinds["email"].share is None  # none planted
    assert result.keep_total == 4
    assert [(lost.line, lost.keep) for lost in result.lost] == [(2, "my wife Zelda")]
    assert result.leaks == []
    figures = result.to_dict()
    assert figures["keep"] == {"total": 4, "lost": 1, "share_lost": 0.25}
    assert json.loads(json.dumps(figures)) == figures


def test_a_leak_is_reported_with_its_line() -> None:
    cases = parse_cases(
        ["", *lines({"narrative": "will do", "identifiers": [{"kind": "name", "value": "Will"}]})]
    )
    result = evaluate(cases, redact_many)
    assert [(x.line, x.kind, x.value) for x in result.leaks] == [(2, "name", "Will")]
    assert result.kinds["name"].share == 0.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 1: not JSON"),
        ('{"identifiers": []}', "string 'narrative'"),
        ('{"narrative": "x", "identifiers": [{"kind": "address", "value": "x"}]}', "kind"),
        ('{"narrative": "x", "identifiers": [{"kind": "nhs", "value": ""}]}', "'value'"),
        ('{"narrative": "x", "keep": [1]}', "'keep'"),
    ],
)
def test_a_bad_line_is_named_in_a_clear_error(line: str, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        parse_cases([line])
