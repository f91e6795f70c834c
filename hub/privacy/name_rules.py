"""The rules that label words as names, kept apart from the detector's plumbing.

A :class:`Labeller` takes a text's words once and labels each as kept (a keep-list phrase or a
place such as "Grace Ward"), a name, or neither, in passes that each look at a word and a few
neighbours: place phrases, seeds (gazetteers and context), chains into neighbouring words,
lists, then every other mention of a name found. Words are compared folded (lower case, no
accents or apostrophes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hub.privacy.keep import KeepMatch
from hub.privacy.lexicon import Lexicon
from hub.privacy.name_words import (
    _LIST_GAP,
    _NUMBER_AFTER,
    _ROLE_GAP,
    _TITLE_GAP,
    _WORDLIKE,
    AMBIGUOUS_SUFFIXES,
    CALENDAR,
    CALENDAR_SHORT,
    FOLLOWERS,
    FUNCTION_WORDS,
    INTRODUCERS,
    LOCATIVES,
    NOT_NAMES,
    PLACE_LOCATIVES,
    PLACE_PREFIXES,
    PLACE_SUFFIXES,
    RELATIONS,
    ROLES,
    STRICT_FOLLOWERS,
    TITLES,
    WEAK_INTRODUCERS,
)
from hub.privacy.text import Word

Span = tuple[int, int]

KEEP = 1
NAME = 2


class Labeller:
    """Labels the words of one text; :meth:`names` returns the indexes of the names."""

    def __init__(
        self, text: str, ws: Sequence[Word], lex: Lexicon, kept: Iterable[KeepMatch]
    ) -> None:
        self.text = text
        self.ws = ws
        self.lex = lex
        self.label = [0] * len(ws)
        # Each word is looked up once; the passes below read these.
        self.given = [self._known(i, lex.given) for i in range(len(ws))]
        self.named = [g or self._known(i, lex.surnames) for i, g in enumerate(self.given)]
        self.weak_place = [False] * len(ws)
        for m in kept:
            if m.protected and not (m.first == m.last and self._titled(m.first)):
                for i in range(m.first, m.last + 1):
                    self.label[i] = KEEP
            elif m.first == m.last:
                self.weak_place[m.first] = True
                if m.first > 0 and self.ws[m.first - 1].key in PLACE_LOCATIVES:
                    self.label[m.first] = KEEP  # "in Lincoln"

    # --- what a word is -------------------------------------------------------------------

    def _given(self, i: int) -> bool:
        return self.given[i]

    def _name(self, i: int) -> bool:
        return self.named[i]

    def _known(self, i: int, table: frozenset[str]) -> bool:
        key = self.ws[i].key
        if key in table:
            return True
        parts = [p for p in key.split("-") if len(p) > 1]
        return len(parts) > 1 and all(p in table for p in parts)

    def _ordinary(self, i: int) -> bool:
        key = self.ws[i].key
        if key in self.lex.ordinary or key in NOT_NAMES:
            return True
        parts = [p for p in key.split("-") if len(p) > 1]
        return "-" in key and bool(parts) and all(p in self.lex.ordinary for p in parts)

    def _everyday(self, i: int) -> bool:
        """Everyday English of any kind, or a drug: never a name without context."""
        key = self.ws[i].key
        return (
            self._ordinary(i)
            or key in self.lex.frequent
            or key in self.lex.drugs
            or key in CALENDAR
            or len(key) < 2
            or _WORDLIKE.search(key) is not None
        )

    def _acronym(self, i: int) -> bool:
        w = self.ws[i]
        return w.shouted and len(w.text) <= 4

    def _numbered(self, i: int) -> bool:
        """ "Ward 7", "Bay 3": a word before a number names a thing, not a person."""
        return _NUMBER_AFTER.match(self.text, self.ws[i].end) is not None

    def _context_word(self, i: int) -> bool:
        key = self.ws[i].key
        return key in TITLES or key in ROLES or key in RELATIONS or key in CALENDAR

    def _sentence_start(self, i: int) -> bool:
        w = self.ws[i]
        if not w.sentence_start or i == 0:
            return w.sentence_start
        prev = self.ws[i - 1]
        # "Dr. Patel", "J. Patel": the full stop ends an abbreviation, not a sentence.
        return not (w.gap in {". ", "."} and (prev.key in TITLES or len(prev.text) == 1))

    def _titled(self, i: int) -> bool:
        return (
            i > 0
            and self.ws[i - 1].key in TITLES
            and _TITLE_GAP.fullmatch(self.ws[i].gap) is not None
        )

    def _after_role(self, i: int) -> bool:
        return (
            i > 0
            and (self.ws[i - 1].key in ROLES or self.ws[i - 1].key in RELATIONS)
            and _ROLE_GAP.fullmatch(self.ws[i].gap) is not None
        )

    def _introduced(self, i: int) -> bool:
        if i == 0 or _ROLE_GAP.fullmatch(self.ws[i].gap) is None:
            return False
        prev = self.ws[i - 1]
        if prev.key in INTRODUCERS or (prev.key == "name" and prev.possessive):
            return True
        return (
            prev.key in {"is", "was", "as", "by"}
            and i > 1
            and (self.ws[i - 2].key in {"name", "known", "goes", "go"})
        )

    def _next(self, i: int) -> Word | None:
        return self.ws[i + 1] if i + 1 < len(self.ws) else None

    def _ends_phrase(self, i: int) -> bool:
        """Nothing follows, or a comma, full stop or possessive: "my son will." is a name."""
        nxt = self._next(i)
        return (
            self.ws[i].possessive
            or nxt is None
            or nxt.sentence_start
            or nxt.comma_before
            or nxt.key in STRICT_FOLLOWERS
        )

    # --- passes ---------------------------------------------------------------------------

    def names(self, hints: Iterable[Span] = ()) -> list[int]:
        """Label every word and return the indexes of names, in order."""
        self._places()
        for i in range(len(self.ws)):
            if self.label[i] == 0 and self._seed(i):
                self.label[i] = NAME
        self._hinted(hints)
        self._chains()
        self._lists()
        self._chains()
        self._every_mention()
        return [i for i, lab in enumerate(self.label) if lab == NAME]

    def _places(self) -> None:
        ws = self.ws
        for i, w in enumerate(ws):
            if w.key in PLACE_SUFFIXES and i > 0 and w.tight_before and self.label[i - 1] == 0:
                first = i - 1
                while (
                    first > 0
                    and first > i - 4
                    and ws[first].tight_before
                    and (ws[first - 1].capitalised or ws[first - 1].key in PLACE_PREFIXES)
                    and ws[first - 1].key not in TITLES
                ):
                    first -= 1
                if self._place_head(first, w):
                    for j in range(first, i + 1):
                        self.label[j] = KEEP
            if w.key == "the" and w.capitalised and not self._sentence_start(i):
                j = i + 1  # "at The Laurels": a capital The starts a name of a place
                while j < len(ws) and j <= i + 3 and ws[j].capitalised and ws[j].tight_before:
                    self.label[j] = KEEP
                    j += 1
            elif self.weak_place[i] and w.capitalised and i + 1 < len(ws) and not self._name(i):
                nxt = ws[i + 1]  # "Blackpool Victoria"
                if nxt.capitalised and nxt.tight_before and self._name(i + 1):
                    self.label[i] = self.label[i + 1] = KEEP
            elif w.key in PLACE_PREFIXES and w.capitalised and not self._titled(i):
                j = i + 1
                while j < len(ws) and j <= i + 2 and ws[j].capitalised and ws[j].tight_before:
                    self.label[j] = KEEP
                    j += 1
                if j > i + 1:
                    self.label[i] = KEEP

    def _place_head(self, first: int, suffix: Word) -> bool:
        """Whether words from ``first`` up to a place suffix name a place ("on Grace Ward")."""
        ws = self.ws
        head = ws[first]
        # "Grace Ward", "grace ward", but not "Steve drive me" or "Nadine's house"
        if not ((head.capitalised and suffix.capitalised) or (head.lower and suffix.lower)):
            return False
        if self._titled(first):
            return False
        if head.key in ROLES or head.key in RELATIONS or head.key in LOCATIVES:
            return False
        if head.key in FUNCTION_WORDS:
            return False
        return suffix.key not in AMBIGUOUS_SUFFIXES or (
            (first > 0 and ws[first - 1].key in LOCATIVES)
            or (self._ordinary(first) and not self._after_role(first))
            or head.possessive
        )

    def _seed(self, i: int) -> bool:
        w = self.ws[i]
        key = w.key
        if self._context_word(i) or len(key) < 2:
            return False
        named = self._name(i)
        ordinary = self._ordinary(i)
        if self._titled(i):
            return (w.capitalised or w.shouted) or named or not ordinary
        if (self._after_role(i) or self._introduced(i)) and not self._acronym(i):
            if w.capitalised or w.shouted:
                return named or not self._everyday(i)
            if named and not ordinary:
                return True
            if named:  # "my son will." but not "my carer will come"
                return self._ends_phrase(i)
            return not self._everyday(i)
        if i > 0 and self.ws[i - 1].key in WEAK_INTRODUCERS and (named and not ordinary):
            return True
        if key in FUNCTION_WORDS or key in CALENDAR or key in CALENDAR_SHORT or key in NOT_NAMES:
            return False
        if self._acronym(i):
            return False
        if self.weak_place[i]:  # a known place, unless a person is plainly meant
            nxt = self._next(i)
            return (
                named
                and nxt is not None
                and (
                    nxt.key in STRICT_FOLLOWERS - {"and", "is"}
                    or (w.capitalised and self._beside_name(i))
                )
            )
        if self._given(i) and not ordinary:
            return True
        if named and not ordinary:
            return w.capitalised or w.shouted or key not in self.lex.frequent
        if named:  # a name that is also an everyday word: Grace, Will, Mark, Rose
            if not w.capitalised:
                return False
            if self._sentence_start(i):
                nxt = self._next(i)
                return (
                    w.possessive
                    or self._beside_name(i)
                    or (
                        nxt is not None
                        and not nxt.sentence_start
                        and (nxt.key in FOLLOWERS or nxt.comma_before)
                    )
                )
            return not (self._in_titled_phrase(i) or self._numbered(i))
        # a capitalised word nobody can place: err towards removal
        return w.capitalised and not self._everyday(i) and not self._numbered(i)

    def _beside_name(self, i: int) -> bool:
        """Followed by a capitalised name, or by nobody's word: "Bill Thornton"."""
        nxt = self._next(i)
        if nxt is None or not nxt.tight_before or not nxt.capitalised or self._context_word(i + 1):
            return False
        if nxt.key in PLACE_SUFFIXES or nxt.key in FUNCTION_WORDS:
            return False
        return self._name(i + 1) or not self._everyday(i + 1) or self.weak_place[i + 1]

    def _in_titled_phrase(self, i: int) -> bool:
        """ "Christmas Eve", "Rose Garden": a capitalised ordinary word beside it, not a name."""
        ws = self.ws
        if i > 0 and ws[i].tight_before:
            prev = ws[i - 1]
            if prev.key in CALENDAR or (
                prev.capitalised
                and not self._sentence_start(i - 1)
                and self._ordinary(i - 1)
                and not self._name(i - 1)
                and not self._context_word(i - 1)
            ):
                return True
        nxt = self._next(i)
        return (
            nxt is not None
            and nxt.tight_before
            and nxt.capitalised
            and self._ordinary(i + 1)
            and not self._name(i + 1)
            and not self._context_word(i + 1)
        )

    def _hinted(self, hints: Iterable[Span]) -> None:
        spans = sorted(hints)
        if not spans:
            return
        k = 0
        for i, w in enumerate(self.ws):
            while k < len(spans) and spans[k][1] <= w.start:
                k += 1
            hinted = k < len(spans) and spans[k][0] < w.end and self.label[i] == 0
            if hinted and not self._context_word(i) and len(w.key) > 1:
                self.label[i] = NAME

    def _joins(self, i: int, after: bool) -> bool:
        """Whether word i may continue a name beside it (``after``: it follows the name)."""
        w = self.ws[i]
        if self.label[i] != 0 or self._context_word(i) or w.key in NOT_NAMES:
            return False
        if w.key in FUNCTION_WORDS or w.key in CALENDAR or self._acronym(i) or self._numbered(i):
            return False
        if len(w.text) == 1:
            return w.text.isupper() and w.text != "I"  # an initial
        if w.capitalised or w.shouted:
            if after:  # a surname after a given name may be any capitalised word
                return w.key not in PLACE_SUFFIXES or not self._ordinary(i)
            return self._name(i) or not self._everyday(i)
        if self._name(i) and self._ordinary(i):  # "darren holt said", not "darren will come"
            return after and self._ends_phrase(i)
        return self._name(i) or not self._everyday(i)

    def _chains(self) -> None:
        ws = self.ws
        changed = True
        while changed:
            changed = False
            for i in range(len(ws)):
                if self.label[i] != NAME:
                    continue
                j = i + 1
                if j < len(ws) and ws[j].tight_before and self._joins(j, after=True):
                    self.label[j] = NAME
                    changed = True
                if i > 0 and ws[i].tight_before and self._joins(i - 1, after=False):
                    self.label[i - 1] = NAME
                    changed = True
                if i > 0 and ws[i].gap in {". ", "."} and self._initial(i - 1):
                    self.label[i - 1] = NAME  # "J. Patel"

    def _initial(self, i: int) -> bool:
        w = self.ws[i]
        return self.label[i] == 0 and len(w.text) == 1 and w.text.isupper() and w.text != "I"

    def _lists(self) -> None:
        """ "Tomasz, Joy and Ade": a known name listed beside a name is a name."""
        ws = self.ws
        for _ in range(2):
            for i in range(len(ws)):
                if self.label[i] != 0 or not self._name(i) or self._context_word(i):
                    continue
                if self._ordinary(i) and not (ws[i].capitalised or ws[i].shouted):
                    continue
                if self._listed_with_name(i, -1) or self._listed_with_name(i, 1):
                    self.label[i] = NAME

    def _listed_with_name(self, i: int, step: int) -> bool:
        ws = self.ws
        j = i + step
        if not 0 <= j < len(ws):
            return False
        right = ws[max(i, j)]
        if self.label[j] == NAME and right.comma_before and _LIST_GAP.fullmatch(right.gap):
            return True
        k = j + step
        if ws[j].key in {"and", "or"} and 0 <= k < len(ws) and self.label[k] == NAME:
            return ws[max(i, j)].tight_before and ws[max(j, k)].tight_before
        return False

    def _every_mention(self) -> None:
        found: set[str] = set()
        for i, lab in enumerate(self.label):
            if lab == NAME and len(self.ws[i].key) > 1:
                key = self.ws[i].key
                found.add(key)
                found.update(p for p in key.split("-") if len(p) > 2)
        if not found:
            return
        for i, w in enumerate(self.ws):
            if self.label[i] == 0 and w.key in found and not self._context_word(i):
                if self._numbered(i) or self._acronym(i):
                    continue
                if not self._ordinary(i) or w.capitalised or w.shouted:
                    self.label[i] = NAME
