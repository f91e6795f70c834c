"""What each word of a text is, for the name rules: the lists' flags and its neighbours.

A :class:`WordView` looks every word up once (:meth:`hub.privacy.lexicon.Lexicon.flags`) and
answers the questions the rules ask of a word: a name? an everyday word? after a title, a role
or a relation? at the start of a sentence? It holds the labels the passes write: kept (a place,
a keep-list phrase), a name, or neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hub.privacy.keep import KeepMatch
from hub.privacy.lexicon import DRUG, EVERYDAY, FREQUENT, GIVEN, NAMED, ORDINARY, WORDLIKE, Lexicon
from hub.privacy.name_words import (
    _NUMBER_AFTER,
    _ROLE_GAP,
    _TITLE_GAP,
    CALENDAR,
    CALENDAR_SHORT,
    FUNCTION_WORDS,
    INTRODUCERS,
    NAME_FIELDS,
    NAME_KINDS,
    NOT_NAMES,
    PERSON_VERBS,
    PLACE_LOCATIVES,
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
_MODALS = frozenset({"will", "may", "can", "might", "must", "shall"})
_CONTEXT = TITLES | ROLES | RELATIONS | CALENDAR


class WordView:
    """The words of one text, what the lists say of each, and the labels given so far."""

    def __init__(
        self, text: str, ws: Sequence[Word], lex: Lexicon, kept: Iterable[KeepMatch]
    ) -> None:
        self.text = text
        self.ws = ws
        self.lex = lex
        self.label = [0] * len(ws)
        # Each word is looked up once; the passes below read these.
        self.flags = [lex.flags(w.key) for w in ws]
        self.weak_place = [False] * len(ws)
        for m in kept:
            if m.protected and not (m.first == m.last and self.titled(m.first)):
                for i in range(m.first, m.last + 1):
                    self.label[i] = KEEP
            elif m.first == m.last:
                self.weak_place[m.first] = True
                if m.first > 0 and self.ws[m.first - 1].key in PLACE_LOCATIVES:
                    self.label[m.first] = KEEP  # "in Lincoln", "at Preston"

    def given(self, i: int) -> bool:
        return bool(self.flags[i] & GIVEN)

    def name(self, i: int) -> bool:
        return bool(self.flags[i] & NAMED)

    def ordinary(self, i: int) -> bool:
        return bool(self.flags[i] & ORDINARY) or self.ws[i].key in NOT_NAMES

    def everyday(self, i: int) -> bool:
        """Everyday English of any kind, or a drug: never a name without context."""
        key = self.ws[i].key
        return bool(self.flags[i] & EVERYDAY) or key in NOT_NAMES or key in CALENDAR or len(key) < 2

    def unknownish(self, i: int) -> bool:
        """Unknown to the lists, or a name people seldom write in lower case ("kev", "shaz").

        Not an everyday word, a drug, or another word in everyday use that is no name (a brand
        or a place: "facebook", "whatsapp").
        """
        key = self.ws[i].key
        flags = self.flags[i]
        return (
            len(key) > 2
            and not flags & (ORDINARY | DRUG | WORDLIKE)
            and bool(flags & NAMED or not flags & FREQUENT)
            and key not in FUNCTION_WORDS
            and key not in CALENDAR
            and key not in CALENDAR_SHORT
            and key not in NOT_NAMES
            and not self.context_word(i)
            and not self.weak_place[i]
        )

    def _acronym(self, i: int) -> bool:
        w = self.ws[i]
        return w.shouted and len(w.text) <= 4

    def _numbered(self, i: int) -> bool:
        """ "Ward 7", "Bay 3": a word before a number names a thing, not a person."""
        return _NUMBER_AFTER.match(self.text, self.ws[i].end) is not None

    def context_word(self, i: int) -> bool:
        return self.ws[i].key in _CONTEXT

    def sentence_start(self, i: int) -> bool:
        w = self.ws[i]
        if not w.sentence_start or i == 0:
            return w.sentence_start
        # "Dr. Patel": the full stop ends an abbreviation, not a sentence. After an initial it
        # ends one ("J. Patel" is two names), as it will once the initial is a placeholder.
        return not (w.gap in {". ", "."} and self.ws[i - 1].key in TITLES)

    def titled(self, i: int) -> bool:
        ws = self.ws
        if i > 1 and len(ws[i - 1].text) == 1 and ws[i].gap in {".", ". "}:
            i -= 1  # "dr a.patel", "Mr Y. Patel": an initial between the title and the name
        return i > 0 and ws[i - 1].key in TITLES and _TITLE_GAP.fullmatch(ws[i].gap) is not None

    def after_role(self, i: int) -> bool:
        return (
            i > 0
            and (self.ws[i - 1].key in ROLES or self.ws[i - 1].key in RELATIONS)
            and _ROLE_GAP.fullmatch(self.ws[i].gap) is not None
        )

    def _introduced(self, i: int) -> bool:
        if i == 0 or _ROLE_GAP.fullmatch(self.ws[i].gap) is None:
            return False
        prev = self.ws[i - 1]
        if prev.key in INTRODUCERS or prev.key in NAME_FIELDS:
            return True
        if prev.key == "name" and (prev.possessive or (i > 1 and self.ws[i - 2].key in NAME_KINDS)):
            return True  # "first name Errol", "her maiden name Okafor"
        return (
            prev.key in {"is", "was", "as", "by"}
            and i > 1
            and (self.ws[i - 2].key in {"name", "known", "goes", "go"})
        )

    def _greeted(self, i: int) -> bool:
        """After "thanks", "cheers", "thank you", "thanks to", "shout out to", "i am"."""
        if i == 0 or self.ws[i].sentence_start:
            return False
        prev = self.ws[i - 1].key
        if prev in WEAK_INTRODUCERS or prev == "thank":  # "i want to thank sunny"
            return True
        before = self.ws[i - 2].key if i > 1 else ""
        return (
            (prev == "you" and before == "thank")
            or (prev == "to" and before in {"thanks", "out", "shoutout"})
            or (prev == "up" and before == "big")
            or (prev == "again" and before in {"thanks", "you"})  # "thanks again, amber"
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

    def _person_follows(self, i: int) -> bool:
        """A person is plainly meant: "my daughter jade did it", "my dad jimmy lee is in"."""
        if self._ends_phrase(i):
            return True
        if self.ws[i].key in _MODALS:
            return False  # "my carer will come"
        nxt = self._next(i)
        assert nxt is not None  # _ends_phrase covers the last word
        if nxt.key in PERSON_VERBS or (nxt.lower and nxt.key.endswith("ed")):
            return True
        return nxt.tight_before and self.name(i + 1) and not self.ordinary(i + 1)
