"""Signs-based safeguarding rules: the signs a duty officer looks for, matched word by word.

A rulebook (``signs.json``) names **terms** — lists of words and phrases, ``bruis*`` for any word
beginning so, ``@NAME`` for a list from its ``lexicon`` — and **signs** built from them: ``seq``
(terms in order, at most ``gap`` tokens apart, within one sentence) or ``near`` (two terms in
either order, at most ``window`` tokens apart, within one sentence). A sign that fires is set
aside when its words are:

- negated ("no one has ever hit him"): a negation up to ``negation_window`` tokens before the
  sign, or between its terms, in the same clause, unless it is a pseudo-negation ("not only",
  "couldn't believe");
- the condition of a hypothetical ("if anyone hit her I would complain"): a conditional before
  the sign in its sentence with no consequent between them — so the consequence of a condition
  stays a concern ("if she presses the buzzer nobody will come", "if you tell he'll hurt her");
- a worry the writer then dispels ("I was worried they wouldn't feed her, but they did");
- or next to words that make them about something else (``unless_next``: "neglected *to*
  mention"; ``unless_before``: "a poster about modern slavery").

Matching is one pass over the tokens with dictionary look-ups, then a bounded search per sign, so
the work is linear in the narrative; :class:`Reading` counts it, and a regression test holds it
to a constant per token on the worst inputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.safeguarding.scope import Scope
from hub.safeguarding.text import Token, tokens
from hub.safeguarding.trie import Hits, Node, Phrase, Word, add_hit

_NAME = re.compile(r"[a-z][a-z0-9-]*")
_LEXICON_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_MAX_GAP = 8
_MAX_WINDOW = 12

SCOPE_LISTS = (
    "negation",
    "pseudo_negation",
    "terminators",
    "conditional",
    "consequent",
    "worry",
    "reassurance",
)


@dataclass(frozen=True, slots=True)
class Sign:
    """One sign of a rulebook, compiled."""

    key: str
    category: str
    kind: str  # "seq" or "near"
    terms: tuple[int, ...]
    reach: int  # the gap (seq) or window (near), in tokens
    immediate: bool
    weak: bool
    scoped: bool
    unless_next: int | None
    unless_before: int | None


@dataclass(frozen=True, slots=True)
class SignHit:
    """Where a sign fired: token range [first, last) and character range [start, end)."""

    sign: Sign
    first: int
    last: int
    start: int
    end: int
    # The token indices of the sign's own words (the rest are gaps between its terms).
    words: tuple[int, ...]


@dataclass(slots=True)
class Reading:
    """The result of reading one narrative: its tokens, the signs that fired, the work done."""

    tokens: list[Token]
    hits: list[SignHit] = field(default_factory=list)
    work: int = 0


def _as_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return value
    raise ValueError(f"{where}: expected a word, a phrase or a non-empty list of them")


def _phrase(text: str, where: str) -> Phrase:
    """A phrase of the rulebook as the tokens it must match ("didn't" is "did" + "n't")."""
    words: list[Word] = []
    for piece in text.split():
        if piece.startswith("~") and len(piece) > 2:
            # A masked word as the tokenizer writes it: "~n*" is "n*****", "~p*i" is "p*ki".
            words.append((piece[1:].lower(), False))
            continue
        if piece.startswith("'") and len(piece) > 1:
            # A clitic as the tokenizer splits it off: "'s", "'ll", "n't" (written "n't").
            words.append((piece.lower(), False))
            continue
        if piece.endswith("*"):
            stem = piece[:-1].lower()
            if (len(stem) < 2 and stem != "£") or "*" in stem:
                raise ValueError(f"{where}: a prefix needs two characters or more: {piece!r}")
            words.append((stem, True))
            continue
        parts = [t.text for t in tokens(piece)]
        if not parts or any(not (p[0].isalnum() or p[0] in "£'" or p == "n't") for p in parts):
            raise ValueError(f"{where}: not a word: {piece!r}")
        words.extend((p, False) for p in parts)
    if not words:
        raise ValueError(f"{where}: empty phrase")
    return tuple(words)


class Rulebook:
    """A compiled rulebook (the parsed JSON of ``signs.json``)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        if not isinstance(spec, Mapping):
            raise ValueError("rulebook: expected a JSON object")
        lexicon = spec.get("lexicon", {})
        if not isinstance(lexicon, Mapping):
            raise ValueError("rulebook: 'lexicon' must be an object")
        for name in lexicon:
            if not isinstance(name, str) or not _LEXICON_NAME.fullmatch(name):
                raise ValueError(f"rulebook: bad lexicon name {name!r}")
        self._lexicon = lexicon
        self._expanded: dict[str, tuple[Phrase, ...]] = {}
        self._term_ids: dict[tuple[Phrase, ...], int] = {}
        self._trie = Node()
        scope = spec.get("scope", {})
        if not isinstance(scope, Mapping):
            raise ValueError("rulebook: 'scope' must be an object")
        missing = [n for n in SCOPE_LISTS if n not in scope]
        if missing:
            raise ValueError(f"rulebook: scope needs the lists {missing}")
        self.scope = {n: self._term(scope[n], f"scope.{n}") for n in SCOPE_LISTS}
        window = scope.get("negation_window", 4)
        if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= 8:
            raise ValueError("rulebook: scope.negation_window must be 1 to 8")
        self.negation_window = window
        groups = spec.get("signs")
        if not isinstance(groups, Mapping) or not groups:
            raise ValueError("rulebook: 'signs' must be a non-empty object")
        signs: list[Sign] = []
        for category, entries in groups.items():
            if not isinstance(category, str) or not _NAME.fullmatch(category):
                raise ValueError(f"rulebook: bad category name {category!r}")
            if not isinstance(entries, list):
                raise ValueError(f"rulebook: signs.{category} must be a list")
            signs.extend(self._sign(category, entry) for entry in entries)
        keys = [s.key for s in signs]
        if len(set(keys)) != len(keys):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            raise ValueError(f"rulebook: duplicate sign ids {dupes}")
        self.signs = tuple(signs)
        self._starting: dict[int, list[int]] = {}
        for n, sign in enumerate(self.signs):
            self._starting.setdefault(sign.terms[0], []).append(n)
        self.categories = tuple(sorted({s.category for s in signs} - {"immediate"}))
        self._trie.freeze()

    # -- compiling -----------------------------------------------------------------------------

    def _alternatives(self, value: Any, where: str, seen: tuple[str, ...] = ()) -> list[Phrase]:
        out: list[Phrase] = []
        for item in _as_list(value, where):
            if item.startswith("@"):
                name = item[1:]
                if name not in self._lexicon:
                    raise ValueError(f"{where}: unknown lexicon entry {item}")
                if name in seen:
                    raise ValueError(f"{where}: lexicon entry {item} refers to itself")
                if name not in self._expanded:
                    self._expanded[name] = tuple(
                        self._alternatives(self._lexicon[name], f"lexicon.{name}", (*seen, name))
                    )
                out.extend(self._expanded[name])
            else:
                out.append(_phrase(item, where))
        return out

    def _term(self, value: Any, where: str) -> int:
        phrases = tuple(sorted(set(self._alternatives(value, where))))
        known = self._term_ids.get(phrases)
        if known is not None:
            return known
        term = len(self._term_ids)
        self._term_ids[phrases] = term
        for phrase in phrases:
            self._trie.add(phrase, term)
        return term

    def _sign(self, category: str, entry: Any) -> Sign:
        if not isinstance(entry, Mapping):
            raise ValueError(f"rulebook: signs.{category} entries must be objects")
        sign_id = entry.get("id")
        if not isinstance(sign_id, str) or not _NAME.fullmatch(sign_id):
            raise ValueError(f"rulebook: bad sign id {sign_id!r} in {category}")
        key = f"{category}:{sign_id}"
        known = {"id", "seq", "near", "gap", "window", "immediate", "weak", "scoped"}
        known |= {"unless_next", "unless_before", "note"}
        unknown = set(entry) - known
        if unknown:
            raise ValueError(f"rulebook: {key}: unknown fields {sorted(unknown)}")
        if ("seq" in entry) == ("near" in entry):
            raise ValueError(f"rulebook: {key}: give exactly one of 'seq' and 'near'")
        kind = "seq" if "seq" in entry else "near"
        parts = entry[kind]
        if not isinstance(parts, list) or not parts:
            raise ValueError(f"rulebook: {key}: '{kind}' must be a non-empty list of terms")
        if kind == "near" and len(parts) != 2:
            raise ValueError(f"rulebook: {key}: 'near' takes exactly two terms")
        terms = tuple(self._term(p, f"{key}[{n}]") for n, p in enumerate(parts))
        limit = _MAX_GAP if kind == "seq" else _MAX_WINDOW
        reach = entry.get("gap" if kind == "seq" else "window", 2 if kind == "seq" else 8)
        if not isinstance(reach, int) or isinstance(reach, bool) or not 0 <= reach <= limit:
            raise ValueError(f"rulebook: {key}: gap/window must be 0 to {limit}")
        flags = {}
        for flag, default in (("immediate", False), ("weak", False), ("scoped", True)):
            value = entry.get(flag, default)
            if not isinstance(value, bool):
                raise ValueError(f"rulebook: {key}: '{flag}' must be true or false")
            flags[flag] = value
        if category == "immediate" and not flags["immediate"]:
            flags["immediate"] = True
        unless = {
            name: (self._term(entry[name], f"{key}.{name}") if name in entry else None)
            for name in ("unless_next", "unless_before")
        }
        return Sign(
            key=key,
            category=category,
            kind=kind,
            terms=terms,
            reach=reach,
            immediate=flags["immediate"],
            weak=flags["weak"],
            scoped=flags["scoped"],
            unless_next=unless["unless_next"],
            unless_before=unless["unless_before"],
        )

    # -- reading -------------------------------------------------------------------------------

    def read(self, text: str) -> Reading:
        """Every sign that fires in ``text`` (the first place each fires, after scoping)."""
        toks = tokens(text)
        reading = Reading(toks)
        hits = self._term_hits(toks, reading)
        if not hits:
            return reading
        scope = Scope(self, toks, hits, reading)
        # Only signs whose first term occurs can fire; they are tried in the rulebook's order.
        candidates = sorted({n for term in hits for n in self._starting.get(term, ())})
        for n in candidates:
            sign = self.signs[n]
            reading.work += 1
            if not all(t in hits for t in sign.terms):
                continue
            found = self._seq(sign, toks, hits, scope) if sign.kind == "seq" else None
            if sign.kind == "near":
                found = self._near(sign, toks, hits, scope)
            if found is not None:
                reading.hits.append(found)
        return reading

    def _term_hits(self, toks: Sequence[Token], reading: Reading) -> dict[int, Hits]:
        """For each term, where it occurs: from each token, one walk down the trie of phrases
        (as deep as the longest phrase, along the few branches the words allow)."""
        found: dict[int, Hits] = {}
        count = len(toks)
        first = self._trie.step_cached
        for i in range(count):
            sentence = toks[i].sentence
            reading.work += 1
            frontier = first(toks[i].text)
            j = i + 1
            for node in frontier:
                for term in node.terms:
                    add_hit(found, term, i, j)
            while frontier and j < count and toks[j].sentence == sentence:
                text = toks[j].text
                following: list[Node] = []
                for node in frontier:
                    reading.work += 1 + len(node.lengths)
                    following.extend(node.step(text))
                j += 1
                for node in following:
                    for term in node.terms:
                        add_hit(found, term, i, j)
                frontier = following
        return found

    def _seq(
        self, sign: Sign, toks: Sequence[Token], hits: dict[int, Hits], scope: Scope
    ) -> SignHit | None:
        first, *rest = sign.terms
        for start, end in hits[first].spans:
            scope.reading.work += 1
            sentence = toks[start].sentence
            # Each reachable end of the chain so far, with the words it used.
            frontier: dict[int, tuple[int, ...]] = {end: tuple(range(start, end))}
            for term in rest:
                following: dict[int, tuple[int, ...]] = {}
                for at, used in frontier.items():
                    for s, e in hits[term].between(at, at + sign.reach, scope.reading):
                        if toks[e - 1].sentence == sentence and e not in following:
                            following[e] = used + tuple(range(s, e))
                frontier = following
                if not frontier:
                    break
            if not frontier:
                continue
            last = min(frontier)
            hit = SignHit(sign, start, last, toks[start].start, toks[last - 1].end, frontier[last])
            if scope.allows(hit):
                return hit
        return None

    def _near(
        self, sign: Sign, toks: Sequence[Token], hits: dict[int, Hits], scope: Scope
    ) -> SignHit | None:
        one, two = sign.terms
        for start, end in hits[one].spans:
            scope.reading.work += 1
            sentence = toks[start].sentence
            low, high = start - sign.reach - 4, end + sign.reach
            for s, e in hits[two].between(max(low, 0), high, scope.reading):
                if toks[s].sentence != sentence or toks[e - 1].sentence != sentence:
                    continue
                if (e <= start and start - e > sign.reach) or (s >= end and s - end > sign.reach):
                    continue
                if s < end and e > start:
                    continue  # the same words cannot be both terms
                first, last = min(start, s), max(end, e)
                used = tuple(sorted({*range(start, end), *range(s, e)}))
                hit = SignHit(sign, first, last, toks[first].start, toks[last - 1].end, used)
                if scope.allows(hit):
                    return hit
                break
        return None
