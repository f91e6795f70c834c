"""Rule-based safeguarding classifier for narratives (Care Act 2014 categories).

The phrase patterns live in ``phrases.json`` so the regulator can extend them without a code
change. A phrase that fires is ignored when a negation ("no one hit him") or a hypothetical
("if anyone hit her ...") governs it, so ordinary complaints do not raise alarms.
"""

from __future__ import annotations

import _sre as _sre_c
import bisect
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

# The regular-expression parser, read (never changed) to prove that a pattern means the same with
# and without re.IGNORECASE on lower-case ASCII text; see _case_neutral.
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
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
    # The same pattern for lower-case ASCII text: compiled without re.IGNORECASE when
    # _case_neutral proves that changes nothing (it is faster), otherwise ``regex`` itself.
    ascii_regex: re.Pattern[str]
    backrefs: bool
    # For case-neutral rules: strings one of which every match contains (see _required), so
    # a lower-case ASCII text containing none of them cannot match; None: always try the rule.
    literals: tuple[str, ...] | None


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


_UPPER = range(ord("A"), ord("Z") + 1)


def _neutral_char(code: int) -> bool:
    # Under re.IGNORECASE an ASCII letter also matches its other case and a few non-ASCII
    # look-alikes (long s, dotless i, Kelvin sign), and a character without case (digits, £,
    # punctuation) only itself. On text whose letters are lower-case ASCII, a pattern character
    # that is ASCII and not an upper-case letter, or has no case at all, matches what it matches
    # without the flag.
    if code < 128:
        return code not in _UPPER
    return not _sre_c.unicode_iscased(code)


def _neutral_items(items: Any) -> tuple[bool, bool]:
    """(case-neutral, uses back-references) for a parsed pattern; unknown constructs are not."""
    neutral, backrefs = True, False
    for op, av in items:
        if op in (_sre.LITERAL, _sre.NOT_LITERAL):
            ok, refs = _neutral_char(av), False
        elif op is _sre.IN:
            ok, refs = all(_neutral_set_item(o, a) for o, a in av), False
        elif op in (_sre.ANY, _sre.AT, _sre.CATEGORY):
            ok, refs = True, False
        elif op is _sre.BRANCH:
            parts = [_neutral_items(p) for p in av[1]]
            ok, refs = all(p[0] for p in parts), any(p[1] for p in parts)
        elif op is _sre.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            ok, refs = _neutral_items(sub)
            ok = ok and not add_flags and not del_flags
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            ok, refs = _neutral_items(av[2])
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            ok, refs = _neutral_items(av[1])
        elif op is _sre.ATOMIC_GROUP:
            ok, refs = _neutral_items(av)
        elif op is _sre.GROUPREF:
            # Compares with the group's own text, case-folded under the flag: the same on
            # lower-case ASCII text.
            ok, refs = True, True
        elif op is _sre.GROUPREF_EXISTS:
            parts = [_neutral_items(p) for p in av[1:] if p is not None]
            ok, refs = all(p[0] for p in parts), True
        else:
            ok, refs = False, True
        neutral, backrefs = neutral and ok, backrefs or refs
    return neutral, backrefs


def _neutral_set_item(op: Any, av: Any) -> bool:
    if op is _sre.LITERAL:
        return _neutral_char(av)
    if op is _sre.RANGE:
        low, high = av
        return high - low < 0x10000 and all(_neutral_char(c) for c in range(low, high + 1))
    return op in (_sre.NEGATE, _sre.CATEGORY)


def _case_neutral(pattern: str) -> tuple[bool, bool]:
    """Whether ``pattern`` matches lower-case ASCII text exactly as it does with IGNORECASE,
    and whether it uses back-references (which a combined pattern would renumber)."""
    try:
        parsed = _sre_parse.parse(pattern, 0)
    except re.error:
        return False, True
    neutral, backrefs = _neutral_items(parsed)
    return neutral and not (parsed.state.flags & ~re.UNICODE), backrefs


def _required(items: Any) -> frozenset[str] | None:
    """Strings one of which every match of the parsed pattern contains; None when unknown.

    A sequence needs what any one of its parts needs (the longest such part is taken), an
    alternation one of what its branches need, a repeat of at least once what its body needs;
    look-arounds, classes and the like need nothing known. Only for case-neutral patterns,
    matched on lower-case ASCII text (where matching is case-sensitive in effect).
    """
    options: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in [*items, (None, None)]:
        if op is _sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            options.append(frozenset({"".join(run)}))
            run = []
        need: frozenset[str] | None = None
        if op is _sre.SUBPATTERN and not av[1] and not av[2]:
            need = _required(av[3])
        elif op is _sre.ATOMIC_GROUP:
            need = _required(av)
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            need = _required(av[2])
        elif op is _sre.BRANCH:
            branches = [_required(b) for b in av[1]]
            if all(b is not None for b in branches):
                need = frozenset().union(*(b for b in branches if b is not None))
        if need:
            options.append(need)
    if not options:
        return None
    return max(options, key=lambda o: (min(map(len, o)), -len(o)))


def _literals(pattern: str) -> tuple[str, ...] | None:
    try:
        need = _required(_sre_parse.parse(pattern, 0))
    except re.error:
        return None
    if not need:
        return None
    # A string containing a shorter one adds nothing.
    return tuple(sorted(s for s in need if not any(o != s and o in s for o in need)))


def _prefilter(rules: Sequence[_Rule]) -> re.Pattern[str] | None:
    """One alternation of every rule: it finds nothing exactly when no rule matches anywhere.

    An alternation matches at a position when one of its branches does, and each branch is a
    rule's whole pattern (look-arounds included), so a failed search proves that every rule's
    own search fails. None (no prefilter) when a rule uses back-references, which would be
    renumbered, or when the alternation does not compile.
    """
    if not rules or any(r.backrefs for r in rules):
        return None
    try:
        return re.compile("|".join(f"(?:{r.regex.pattern})" for r in rules), re.IGNORECASE)
    except re.error:
        return None


def _candidates(rules: Sequence[_Rule], norm: str) -> list[_Rule]:
    """The rules that may match lower-case ASCII ``norm``: those whose literals it contains."""
    contains = norm.__contains__
    return [r for r in rules if r.literals is None or any(map(contains, r.literals))]


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
        # Without a match of a concern or risk-to-life rule there is nothing to report (the
        # "with concern" cues count only next to a concern), so most narratives stop here.
        concerns = (*self._rules, *self._risk_to_life)
        self._prefilter = _prefilter(concerns)

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
            pattern = rf"(?<![\w'-])(?:{body})(?![\w-])"
            try:
                regex = re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(f"phrasebook: {key}: {exc}") from exc
            neutral, backrefs = _case_neutral(pattern)
            ascii_regex = re.compile(pattern) if neutral else regex
            literals = _literals(pattern) if neutral else None
            rules.append(_Rule(key, category, regex, ascii_regex, backrefs, literals))
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
        # Lower-cased ASCII text has no upper-case letters, so case-neutral rules can skip
        # re.IGNORECASE (see _case_neutral); any other text uses the rules as written.
        ascii_text = norm.isascii()
        if ascii_text:
            rules: Sequence[_Rule] = _candidates(self._rules, norm)
            risk_to_life: Sequence[_Rule] = _candidates(self._risk_to_life, norm)
            if not rules and not risk_to_life:
                return NO_CONCERN
        else:
            # One alternation of every rule is cheaper than each rule with re.IGNORECASE.
            if self._prefilter is not None and self._prefilter.search(norm) is None:
                return NO_CONCERN
            rules, risk_to_life = self._rules, self._risk_to_life
        clauses = self._clauses(norm)
        starts = [c.start for c in clauses]
        hits = self._hits(rules, norm, clauses, starts, ascii_text)
        life = self._hits(risk_to_life, norm, clauses, starts, ascii_text)
        categories = tuple(sorted({h.category for h in hits}))
        keys = {h.key for h in hits} | {h.key for h in life}
        near_concern = False
        if categories:
            flagged = {h.sentence for h in hits}
            for cue in self._hits(self._with_concern, norm, clauses, starts, ascii_text):
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
        ascii_text: bool = False,
    ) -> list[_Hit]:
        hits: list[_Hit] = []
        for rule in rules:
            regex = rule.ascii_regex if ascii_text else rule.regex
            for m in regex.finditer(norm):
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
