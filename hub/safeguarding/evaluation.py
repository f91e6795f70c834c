"""Measuring the safeguarding engine on labelled narratives (``hub safeguarding evaluate``).

Each line of the input is ``{"narrative": str, "concern": bool, "category": str | "none"}`` (an
``immediate`` flag is used where present). Every narrative goes through exactly what intake runs
— :func:`classifier.classify`, then :func:`rules.assess` with no flags from a partner — and the
report gives recall and precision overall and per category, immediate recall where labelled, and
the misses. A concern of category X counts as caught for X when an alert is raised with X among
its categories; "raised at all" counts it when any alert is raised.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.safeguarding.classifier import classify, screen
from hub.safeguarding.findings import CATEGORIES, Classification
from hub.safeguarding.rules import Assessment

NONE = "none"
_QUOTE = 160


class EvaluationError(ValueError):
    """A line of the input that is not a labelled narrative; says which line and why."""


@dataclass(frozen=True, slots=True)
class Labelled:
    line: int
    narrative: str
    concern: bool
    category: str
    immediate: bool | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the engine made of one labelled narrative."""

    item: Labelled
    raised: bool
    categories: tuple[str, ...]
    immediate: bool


@dataclass(slots=True)
class Tally:
    labelled: int = 0  # narratives labelled with this category (or concerns, overall)
    caught: int = 0  # of those, raised with this category (overall: raised at all)
    raised_at_all: int = 0  # of those, raised with any category
    flagged: int = 0  # narratives the engine gave this category (overall: raised)
    right: int = 0  # of those, labelled so

    @property
    def recall(self) -> float | None:
        return self.caught / self.labelled if self.labelled else None

    @property
    def precision(self) -> float | None:
        return self.right / self.flagged if self.flagged else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "labelled": self.labelled,
            "caught": self.caught,
            "raised_at_all": self.raised_at_all,
            "flagged": self.flagged,
            "recall": _round(self.recall),
            "precision": _round(self.precision),
        }


@dataclass(slots=True)
class Report:
    narratives: int = 0
    overall: Tally = field(default_factory=Tally)
    categories: dict[str, Tally] = field(default_factory=lambda: {c: Tally() for c in CATEGORIES})
    immediate: Tally = field(default_factory=Tally)
    misses: list[dict[str, Any]] = field(default_factory=list)
    false_alarms: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "narratives": self.narratives,
            "concerns": self.overall.labelled,
            "recall": _round(self.overall.recall),
            "precision": _round(self.overall.precision),
            "overall": self.overall.as_dict(),
            "categories": {c: t.as_dict() for c, t in self.categories.items()},
            "immediate": self.immediate.as_dict(),
            "misses": self.misses,
            "false_alarms": self.false_alarms,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def parse(lines: Iterable[str]) -> list[Labelled]:
    """The labelled narratives of JSON Lines text; blank lines are skipped."""
    items = []
    allowed = {*CATEGORIES, NONE}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise EvaluationError(f"line {number}: expected a JSON object")
        narrative, concern = row.get("narrative"), row.get("concern")
        category, immediate = row.get("category", NONE), row.get("immediate")
        if not isinstance(narrative, str) or not narrative.strip():
            raise EvaluationError(f"line {number}: 'narrative' must be a non-empty string")
        if not isinstance(concern, bool):
            raise EvaluationError(f"line {number}: 'concern' must be true or false")
        if category not in allowed:
            raise EvaluationError(
                f"line {number}: 'category' must be one of {', '.join(sorted(allowed))}"
            )
        if concern == (category == NONE):
            raise EvaluationError(
                f"line {number}: a concern needs a category, and 'none' goes with false"
            )
        if immediate is not None and not isinstance(immediate, bool):
            raise EvaluationError(f"line {number}: 'immediate' must be true or false")
        items.append(Labelled(number, narrative, concern, category, immediate))
    return items


def run(text: str, classify_text: Callable[[str], Classification] = classify) -> Assessment | None:
    """What intake decides for a narrative with no flags from a partner."""
    return screen(text, classify_text=classify_text)


def evaluate(
    items: Sequence[Labelled], classify_text: Callable[[str], Classification] = classify
) -> Report:
    """Run the engine over labelled narratives and count."""
    report = Report()
    for item in items:
        assessment = run(item.narrative, classify_text)
        outcome = Outcome(
            item,
            assessment is not None,
            assessment.categories if assessment else (),
            bool(assessment and assessment.immediate),
        )
        _count(report, outcome)
    return report


def _count(report: Report, outcome: Outcome) -> None:
    item = outcome.item
    report.narratives += 1
    overall = report.overall
    if outcome.raised:
        overall.flagged += 1
        overall.right += item.concern
    for category in outcome.categories:
        if category in report.categories:
            tally = report.categories[category]
            tally.flagged += 1
            tally.right += item.category == category
    if item.concern:
        overall.labelled += 1
        overall.caught += outcome.raised
        overall.raised_at_all += outcome.raised
        tally = report.categories[item.category]
        tally.labelled += 1
        tally.raised_at_all += outcome.raised
        tally.caught += item.category in outcome.categories
        if item.immediate is not None:
            report.immediate.labelled += item.immediate
            report.immediate.caught += item.immediate and outcome.immediate
            report.immediate.raised_at_all += item.immediate and outcome.raised
    if outcome.immediate:
        report.immediate.flagged += 1
        report.immediate.right += bool(item.concern and item.immediate)
    if item.concern and item.category not in outcome.categories:
        report.misses.append(
            {
                "line": item.line,
                "category": item.category,
                "raised": outcome.raised,
                "categories": list(outcome.categories),
                "narrative": _short(item.narrative),
            }
        )
    elif not item.concern and outcome.raised:
        report.false_alarms.append(
            {
                "line": item.line,
                "categories": list(outcome.categories),
                "narrative": _short(item.narrative),
            }
        )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE else text[: _QUOTE - 1].rstrip() + "…"


def _pct(value: float | None) -> str:
    return "    -  " if value is None else f"{100 * value:5.1f}%"


def render(report: Report) -> str:
    """The report as plain text for a terminal."""
    o = report.overall
    lines = [
        f"{report.narratives} narratives, {o.labelled} concerns",
        f"overall: recall {_pct(o.recall)}  precision {_pct(o.precision)}"
        f"  ({o.caught} of {o.labelled} concerns raised; {o.flagged} raised in all)",
        "",
        f"{'category':<16}{'concerns':>9}{'caught':>8}{'recall':>9}{'raised':>9}"
        f"{'flagged':>9}{'precision':>11}",
    ]
    for name, t in report.categories.items():
        raised = t.raised_at_all / t.labelled if t.labelled else None
        lines.append(
            f"{name:<16}{t.labelled:>9}{t.caught:>8}{_pct(t.recall):>9}{_pct(raised):>9}"
            f"{t.flagged:>9}{_pct(t.precision):>11}"
        )
    imm = report.immediate
    lines += [
        "",
        f"immediate: recall {_pct(imm.recall)} ({imm.caught} of {imm.labelled} labelled immediate)"
        f"  precision {_pct(imm.precision)} ({imm.flagged} marked immediate)",
    ]
    if report.misses:
        lines += ["", f"misses ({len(report.misses)}):"]
        for miss in report.misses:
            got = ", ".join(miss["categories"]) if miss["raised"] else "not raised"
            lines.append(f"  line {miss['line']}: {miss['category']} → {got}: {miss['narrative']}")
    if report.false_alarms:
        lines += ["", f"false alarms ({len(report.false_alarms)}):"]
        for alarm in report.false_alarms:
            got = ", ".join(alarm["categories"])
            lines.append(f"  line {alarm['line']}: {got}: {alarm['narrative']}")
    return "\n".join(lines) + "\n"
