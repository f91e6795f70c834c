"""Rule-based safeguarding classifier for narratives (Care Act 2014 categories).

The phrase patterns live in ``phrases.json`` so the regulator can extend them without a code
change. A phrase that fires is ignored when a negation ("no one hit him") or a hypothetical
("if anyone hit her ...") governs it, so ordinary complaints do not raise alarms.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

CARE_ACT_CATEGORIES: tuple[str, ...] = (
    "physical",
    "domestic-abuse",
    "sexual",
    "psychological",
    "financial",
    "modern-slavery",
    "discriminatory",
    "organisational",
    "neglect",
    "self-neglect",
)

IMMEDIATE = "immediate"

_NAME = re.compile(r"[a-z][a-z0-9-]*")
_RULE_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
_MACRO = re.compile(r"%([A-Z][A-Z0-9_]*)%")
_MAX_MACRO_DEPTH = 8

# Typographic apostrophes and dashes are folded so one pattern covers every keyboard.
_FOLD = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "`": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": " - ",
        "\u2014": " - ",
    }
)
_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")
_SENTENCE_BREAK = re.compile(r"[.!?]+(?=\s|$)")
_PUNCT_BREAK = r"[,;:()\[\]\"]| - "
# Negations and hypotheticals govern nearby words only; a bounded look-back also keeps long
# run-on narratives linear.
_LOOK_BACK = 240


@dataclass(frozen=True, slots=True)
class Classification:
    """The outcome for one narrative; ``matches`` names the rules that fired, never the text."""

    concern: bool
    categories: tuple[str, ...]
    immediate: bool
    matches: tuple[str, ...]


NO_CONCERN = Classification(concern=False, categories=(), immediate=False, matches=())


@dataclass(frozen=True, slots=True)
class _Rule:
    key: str
    category: str
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class _Clause:
    start: int
    end: int
    sentence: int
    contrast_after: bool


@dataclass(frozen=True, slots=True)
class _Hit:
    key: str
    category: str
    sentence: int


def _normalise(text: str) -> str:
    folded = _LINE_BREAK.sub(" . ", text.translate(_FOLD).lower())
    return " ".join(folded.split())


def _alternatives(value: Any, where: str) -> str:
    if isinstance(value, str):
        parts = [value]
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        parts = value
    else:
        raise ValueError(f"{where}: expected a pattern string or a non-empty list of them")
    return "|".join(f"(?:{p})" for p in parts)


def _words(patterns: Any, where: str) -> re.Pattern[str] | None:
    """Compile a list of word-bounded alternatives, or None when the list is empty."""
    if not patterns:
        return None
    body = _alternatives(patterns, where)
    try:
        return re.compile(rf"(?<![\w'-])(?:{body})(?![\w'-])", re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"{where}: {exc}") from exc


class Classifier:
    """Applies one phrasebook (the parsed JSON of ``phrases.json``) to narratives."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        if not isinstance(spec, Mapping):
            raise ValueError("phrasebook: expected a JSON object")
        self._macros = self._load_macros(spec.get("macros", {}))
        categories = spec.get("categories")
        if not isinstance(categories, Mapping) or not categories:
            raise ValueError("phrasebook: 'categories' must be a non-empty object")
        rules: list[_Rule] = []
        for name, entries in categories.items():
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise ValueError(f"phrasebook: bad category name {name!r}")
            rules.extend(self._load_rules(name, entries))
        self._rules = tuple(rules)
        self._categories = tuple(sorted(categories))
        immediate = spec.get("immediate", {})
        if not isinstance(immediate, Mapping):
            raise ValueError("phrasebook: 'immediate' must be an object")
        self._risk_to_life = self._load_rules(IMMEDIATE, immediate.get("risk_to_life", []))
        self._with_concern = self._load_rules(IMMEDIATE, immediate.get("with_concern", []))
        seen = {r.key for r in self._risk_to_life}
        clash = seen.intersection(r.key for r in self._with_concern)
        if clash:
            raise ValueError(f"phrasebook: duplicate rule ids {sorted(clash)}")
        self._load_language(spec.get("language", {}))

    @classmethod
    def from_file(cls, path: str | Path) -> Classifier:
        """Build a classifier from a phrasebook JSON file (same shape as phrases.json)."""
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh))

    @property
    def categories(self) -> tuple[str, ...]:
        """The category names this phrasebook can report, sorted."""
        return self._categories

    # -- loading -------------------------------------------------------------------------------

    @staticmethod
    def _load_macros(raw: Any) -> dict[str, str]:
        if not isinstance(raw, Mapping):
            raise ValueError("phrasebook: 'macros' must be an object")
        for name, value in raw.items():
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", str(name)) or not isinstance(value, str):
                raise ValueError(f"phrasebook: bad macro {name!r}")
        return dict(raw)

    def _expand(self, pattern: str, where: str) -> str:
        for _ in range(_MAX_MACRO_DEPTH):
            if not _MACRO.search(pattern):
                return pattern
            unknown = [m for m in _MACRO.findall(pattern) if m not in self._macros]
            if unknown:
                raise ValueError(f"{where}: unknown macro %{unknown[0]}%")
            pattern = _MACRO.sub(lambda m: self._macros[m.group(1)], pattern)
        raise ValueError(f"{where}: macros nest too deeply")

    def _load_rules(self, category: str, entries: Any) -> tuple[_Rule, ...]:
        if not isinstance(entries, list):
            raise ValueError(f"phrasebook: {category} must be a list of rules")
        rules: list[_Rule] = []
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise ValueError(f"phrasebook: {category} rules must be objects")
            rule_id = entry.get("id")
            if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
                raise ValueError(f"phrasebook: bad rule id {rule_id!r} in {category}")
            key = f"{category}:{rule_id}"
            if any(r.key == key for r in rules):
                raise ValueError(f"phrasebook: duplicate rule id {key}")
            body = self._expand(_alternatives(entry.get("pattern"), key), key)
            try:
                regex = re.compile(rf"(?<![\w'-])(?:{body})(?![\w-])", re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"phrasebook: {key}: {exc}") from exc
            rules.append(_Rule(key=key, category=category, regex=regex))
        return tuple(rules)

    def _load_language(self, raw: Any) -> None:
        if not isinstance(raw, Mapping):
            raise ValueError("phrasebook: 'language' must be an object")
        window = raw.get("negation_window", 5)
        if not isinstance(window, int) or isinstance(window, bool) or window < 1:
            raise ValueError("phrasebook: negation_window must be a positive integer")
        self._window = window
        self._negation = _words(raw.get("negation"), "language.negation")
        self._pseudo = _words(raw.get("pseudo_negation"), "language.pseudo_negation")
        self._terminators = _words(raw.get("negation_terminators"), "language.terminators")
        self._conditional = _words(raw.get("conditional"), "language.conditional")
        self._worry = _words(raw.get("worry"), "language.worry")
        contrast = _words(raw.get("clause_breaks"), "language.clause_breaks")
        self._contrast = contrast
        breaks = _PUNCT_BREAK if contrast is None else f"{_PUNCT_BREAK}|{contrast.pattern}"
        self._clause_break = re.compile(breaks, re.IGNORECASE)

    # -- classifying ---------------------------------------------------------------------------

    def classify(self, text: str) -> Classification:
        """Classify one narrative."""
        norm = _normalise(text)
        if not norm:
            return NO_CONCERN
        clauses = self._clauses(norm)
        starts = [c.start for c in clauses]
        hits = self._hits(self._rules, norm, clauses, starts)
        life = self._hits(self._risk_to_life, norm, clauses, starts)
        categories = tuple(sorted({h.category for h in hits}))
        keys = {h.key for h in hits} | {h.key for h in life}
        near_concern = False
        if categories:
            flagged = {h.sentence for h in hits}
            for cue in self._hits(self._with_concern, norm, clauses, starts):
                if any(abs(cue.sentence - s) <= 1 for s in flagged):
                    near_concern = True
                    keys.add(cue.key)
        concern = bool(categories) or bool(life)
        if not concern:
            return NO_CONCERN
        return Classification(
            concern=True,
            categories=categories,
            immediate=bool(life) or near_concern,
            matches=tuple(sorted(keys)),
        )

    def classify_many(self, texts: Iterable[str]) -> list[Classification]:
        """Classify several narratives, in order."""
        return [self.classify(t) for t in texts]

    def _clauses(self, norm: str) -> list[_Clause]:
        clauses: list[_Clause] = []
        sentence_start = 0
        ends = [m.end() for m in _SENTENCE_BREAK.finditer(norm)]
        if not ends or ends[-1] < len(norm):
            ends.append(len(norm))
        for index, sentence_end in enumerate(ends):
            breaks = list(self._clause_break.finditer(norm, sentence_start, sentence_end))
            contrast_at = [
                b.start()
                for b in breaks
                if self._contrast is not None and self._contrast.fullmatch(b.group())
            ]
            cursor = sentence_start
            for b in [*breaks, None]:
                end = sentence_end if b is None else b.start()
                if norm[cursor:end].strip():
                    after = any(pos >= end for pos in contrast_at)
                    clauses.append(_Clause(cursor, end, index, after))
                if b is not None:
                    cursor = b.end()
            sentence_start = sentence_end
        return clauses

    def _hits(
        self,
        rules: Sequence[_Rule],
        norm: str,
        clauses: Sequence[_Clause],
        starts: Sequence[int],
    ) -> list[_Hit]:
        hits: list[_Hit] = []
        for rule in rules:
            for m in rule.regex.finditer(norm):
                at = bisect.bisect_right(starts, m.start()) - 1
                if at < 0:
                    continue
                clause = clauses[at]
                # A phrase straddling a clause break joins unrelated statements.
                if m.end() > clause.end:
                    continue
                prefix = norm[max(clause.start, m.start() - _LOOK_BACK) : m.start()]
                if self._discounted(prefix, clause):
                    continue
                hits.append(_Hit(rule.key, rule.category, clause.sentence))
                break
        return hits

    def _discounted(self, prefix: str, clause: _Clause) -> bool:
        """Tell whether a negation or hypothetical in the clause governs the phrase after it."""
        scoped = prefix
        if self._pseudo is not None:
            scoped = self._pseudo.sub(" ", scoped)
        if self._terminators is not None:
            ends = [t.end() for t in self._terminators.finditer(scoped)]
            if ends:
                scoped = scoped[ends[-1] :]
        window = " ".join(scoped.split()[-self._window :])
        if self._negation is not None and self._negation.search(window):
            return True
        if self._conditional is not None and self._conditional.search(scoped):
            return True
        # "I was worried he might ..., but staff were great": a worry the narrator then dispels.
        return bool(
            clause.contrast_after and self._worry is not None and self._worry.search(prefix)
        )


_default: Classifier | None = None
_default_lock = threading.Lock()


def default_classifier() -> Classifier:
    """The classifier built from the packaged phrases.json (loaded once)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                raw = (
                    resources.files("hub.safeguarding").joinpath("phrases.json").read_text("utf-8")
                )
                _default = Classifier(json.loads(raw))
    return _default


def classify(text: str) -> Classification:
    """Classify one narrative with the packaged phrasebook."""
    return default_classifier().classify(text)
