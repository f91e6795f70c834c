"""Measuring de-identification on labelled texts (CONTRACT §6, ``hub privacy evaluate``).

Each line of the file is ``{"narrative": str, "identifiers": [{"kind": ..., "value": str}],
"keep": [str]}``. The narratives go through :func:`hub.privacy.redaction.redact_many`, exactly
as at intake, and the figures say, per kind, the share of planted identifiers removed, and the
share of ``keep`` phrases lost.

* A name is leaked if any of its words of three or more letters survives as a whole word, in
  any case. Other identifiers are leaked if their text survives in any case, or, for NHS
  numbers, phones and postcodes, if their characters survive with spaces, dashes and brackets
  taken out of both texts.
* A keep phrase is lost if it no longer appears, exactly as written, in the redacted text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from hub.privacy.keep import KeepList
from hub.privacy.redaction import RedactionResult

KINDS = ("name", "nhs", "phone", "email", "postcode", "dob")
_SQUASHED_KINDS = frozenset({"nhs", "phone", "postcode"})
_SQUASH = re.compile(r"[\s\-().]")
_NAME_WORD = re.compile(r"[^\W\d_]{3,}")

Redact = Callable[[Sequence[str], KeepList | None], list[RedactionResult]]


class CorpusError(ValueError):
    """A line of the file is not a labelled narrative; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Identifier:
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled narrative."""

    line: int
    narrative: str
    identifiers: tuple[Identifier, ...]
    keep: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Leak:
    line: int
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Lost:
    line: int
    keep: str


@dataclass(frozen=True, slots=True)
class KindFigures:
    total: int
    removed: int

    @property
    def share(self) -> float | None:
        return self.removed / self.total if self.total else None


@dataclass(frozen=True)
class Evaluation:
    """The figures of one run, and every leak and loss behind them."""

    narratives: int
    kinds: dict[str, KindFigures]
    keep_total: int
    leaks: list[Leak] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)

    @property
    def keep_lost_share(self) -> float | None:
        return len(self.lost) / self.keep_total if self.keep_total else None

    def to_dict(self) -> dict[str, Any]:
        """The figures as one JSON-ready object."""
        return {
            "narratives": self.narratives,
            "kinds": {
                kind: {"total": f.total, "removed": f.removed, "share_removed": f.share}
                for kind, f in self.kinds.items()
            },
            "keep": {
                "total": self.keep_total,
                "lost": len(self.lost),
                "share_lost": self.keep_lost_share,
            },
            "leaks": [asdict(leak) for leak in self.leaks],
            "lost": [asdict(lost) for lost in self.lost],
        }


def parse_cases(lines: Iterable[str]) -> list[Case]:
    """The labelled narratives of a JSON Lines file; blank lines are skipped."""
    cases = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise CorpusError(f"line {n}: not JSON ({e.msg})") from None
        cases.append(_case(n, obj))
    return cases


def _case(n: int, obj: Any) -> Case:
    if not isinstance(obj, dict) or not isinstance(obj.get("narrative"), str):
        raise CorpusError(f"line {n}: expected an object with a string 'narrative'")
    ids = obj.get("identifiers", [])
    keep = obj.get("keep", [])
    if not isinstance(ids, list) or not isinstance(keep, list):
        raise CorpusError(f"line {n}: 'identifiers' and 'keep' must be lists")
    found = []
    for item in ids:
        if not isinstance(item, dict) or item.get("kind") not in KINDS:
            raise CorpusError(f"line {n}: each identifier needs a kind, one of {', '.join(KINDS)}")
        if not isinstance(item.get("value"), str) or not item["value"]:
            raise CorpusError(f"line {n}: each identifier needs a non-empty string 'value'")
        found.append(Identifier(item["kind"], item["value"]))
    if not all(isinstance(k, str) and k for k in keep):
        raise CorpusError(f"line {n}: 'keep' must hold non-empty strings")
    return Case(n, obj["narrative"], tuple(found), tuple(keep))


def leaked(kind: str, value: str, redacted: str) -> bool:
    """Whether an identifier survives in a redacted text, by the rules above."""
    if kind == "name":
        return any(
            re.search(rf"(?<!\w){re.escape(word)}(?!\w)", redacted, re.IGNORECASE)
            for word in _NAME_WORD.findall(value)
        )
    if value.casefold() in redacted.casefold():
        return True
    if kind in _SQUASHED_KINDS:
        squashed = _SQUASH.sub("", value).casefold()
        return bool(squashed) and squashed in _SQUASH.sub("", redacted).casefold()
    return False


def evaluate(cases: Sequence[Case], redact: Redact, keep: KeepList | None = None) -> Evaluation:
    """Run the redactor over every narrative and count what was removed and what was lost."""
    results = redact([c.narrative for c in cases], keep)
    totals = dict.fromkeys(KINDS, 0)
    removed = dict.fromkeys(KINDS, 0)
    leaks: list[Leak] = []
    lost: list[Lost] = []
    keep_total = 0
    for case, result in zip(cases, results, strict=True):
        for ident in case.identifiers:
            totals[ident.kind] += 1
            if leaked(ident.kind, ident.value, result.text):
                leaks.append(Leak(case.line, ident.kind, ident.value))
            else:
                removed[ident.kind] += 1
        for phrase in case.keep:
            keep_total += 1
            if phrase not in result.text:
                lost.append(Lost(case.line, phrase))
    kinds = {kind: KindFigures(totals[kind], removed[kind]) for kind in KINDS}
    return Evaluation(len(cases), kinds, keep_total, leaks, lost)


def report(evaluation: Evaluation) -> str:
    """The figures as plain text for a person to read."""

    def pct(share: float | None) -> str:
        return "-" if share is None else f"{share:.1%}"

    lines = [f"{evaluation.narratives} narratives", "", "kind       removed   share"]
    for kind, f in evaluation.kinds.items():
        lines.append(f"{kind:<10} {f.removed:>4}/{f.total:<4} {pct(f.share):>6}")
    lines.append(
        f"keep words lost: {len(evaluation.lost)}/{evaluation.keep_total} "
        f"({pct(evaluation.keep_lost_share)})"
    )
    if evaluation.leaks:
        lines += ["", "leaked:"]
        lines += [f"  line {x.line}: {x.kind} {x.value!r}" for x in evaluation.leaks]
    if evaluation.lost:
        lines += ["", "keep words lost:"]
        lines += [f"  line {x.line}: {x.keep!r}" for x in evaluation.lost]
    return "\n".join(lines)
