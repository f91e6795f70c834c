"""The rules that label words as names, kept apart from the detector's plumbing.

A :class:`Labeller` takes a text's words once and labels each as kept (a keep-list phrase or a
place such as "Grace Ward"), a name, or neither, in passes that each look at a word and a few
neighbours: place phrases (:mod:`hub.privacy.name_places`), seeds (gazetteers and context),
chains into neighbouring words, lists, a closing signature, then every other mention of a name
found. Words are compared folded (lower case, no accents or apostrophes).

What the word lists say of each word comes as flags (:mod:`hub.privacy.lexicon`): a given name,
a surname, an everyday word people write in lower case ("ordinary"), another everyday word, a
drug. A word in none of them is unknown: capitalised, it is taken for a name; in lower case,
it is one where a person is plainly meant ("i am mehrdad", "yiannis here", "thanks shaz") or
where no list knows it, not even the rarer English words ("went with tendai"), and it is not
one slip of the keyboard from an everyday word nor two run together.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.privacy.lexicon import EVERYDAY, RARE, WORDLIKE
from hub.privacy.name_places import label_places
from hub.privacy.name_spread import Spreader
from hub.privacy.name_view import KEEP, NAME
from hub.privacy.name_words import (
    BARE_VERBS,
    CALENDAR,
    CALENDAR_SHORT,
    FAMILY_WORDS,
    FOLLOWERS,
    FUNCTION_WORDS,
    LANGUAGES,
    NAME_FIELDS,
    NOT_NAMES,
    PERSON_NOUNS,
    PERSON_VERBS,
    PLACE_SUFFIXES,
    RELATIONS,
    ROLES,
    SEASONS,
    STRICT_FOLLOWERS,
    TEMPORAL,
)

Span = tuple[int, int]

__all__ = ["KEEP", "NAME", "Labeller"]

_ARTICLES = frozenset({"a", "an", "the"})
_DETERMINERS = _ARTICLES | {"my", "his", "her", "our", "their", "your", "me", "ma", "mi"}
_SPEECH = frozenset({"said", "says", "told", "tells", "asked", "rang", "phoned", "explained"})
_POSSESSIVES = frozenset({"my", "his", "her", "our", "their", "your"})
_MODALS = frozenset({"will", "may", "can", "might", "must", "shall"})
_DESCRIBED = ROLES | PERSON_NOUNS | RELATIONS


class Labeller(Spreader):
    """Labels the words of one text; :meth:`names` returns the indexes of the names."""

    def names(self, hints: Iterable[Span] = ()) -> list[int]:
        """Label every word and return the indexes of names, in order."""
        label_places(self)
        for i in range(len(self.ws)):
            if self.label[i] == 0 and self._seed(i):
                self.label[i] = NAME
        self._hinted(hints)
        self._chains()
        self._lists()
        self._chains()
        self._every_mention()
        # A signature is read once every other name is found, as it will be read again when
        # they are placeholders; what it adds spreads as any name does.
        if self._signoff():
            self._chains()
            self._every_mention()
        return [i for i, lab in enumerate(self.label) if lab == NAME]

    def _seed(self, i: int) -> bool:
        w = self.ws[i]
        key = w.key
        if self.context_word(i) or len(key) < 2:
            # "his wife June", "nurse April": a month that is a given name, after a person word
            return key in CALENDAR and w.capitalised and self.given(i) and self.after_role(i)
        named = self.name(i)
        ordinary = self.ordinary(i)
        if self.titled(i):
            return (w.capitalised or w.shouted) or named or not ordinary
        if (self.after_role(i) or self._introduced(i)) and not self._acronym(i):
            return self._after_person_word(i)
        if key in FUNCTION_WORDS or self._after_article(i):
            return False
        if key in SEASONS and i > 0 and self.ws[i - 1].key in TEMPORAL:
            return False  # "this winter", "last summer"
        if self.given(i) and not self.weak_place[i] and self._described(i):
            return True  # "paddy the tea man", "ruby his sister", "Joy, our carer"
        if self._greeted(i) and not self._acronym(i):
            if w.capitalised or w.shouted:  # "Thanks Hope!", "Cheers Pri!"
                return named or not ordinary or self._ends_phrase(i)
            if named and ordinary:  # "thanks to dee at the desk", not "thanks to will power"
                return self._person_follows(i) or self._placed(i)
            return named or (self.unknownish(i) and not self._numbered(i))
        if key in CALENDAR or key in CALENDAR_SHORT or key in NOT_NAMES or key in LANGUAGES:
            return False
        if key in NAME_FIELDS:  # "Forename: ..."
            return False
        if self._acronym(i):
            return False
        if self.weak_place[i]:  # a known place, unless a person is plainly meant
            nxt = self._next(i)
            if self.given(i) and w.capitalised and self.sentence_start(i):
                return self._named_at_start(i)  # "Mark at the pharmacy told me"
            if self.given(i) and w.capitalised and i > 0 and self.ws[i - 1].key == "by":
                return True  # "written by Hope", "seen by Ashley"
            return (
                named
                and nxt is not None
                and (
                    nxt.key in STRICT_FOLLOWERS - {"and", "is"}
                    or (w.capitalised and (self._beside_name(i) or nxt.key in FAMILY_WORDS))
                )
            )
        if w.lower and self._lower_subject(i):
            return True
        if self.given(i) and not ordinary:
            return True
        if named and not ordinary:
            return w.capitalised or w.shouted or not self.flags[i] & EVERYDAY
        if named:  # a name that is also an everyday word: Grace, Will, Mark, Rose
            if not w.capitalised:
                return False
            if self.sentence_start(i):
                return self._named_at_start(i)
            return not (self._in_titled_phrase(i) or self._numbered(i))
        # a capitalised word nobody can place: err towards removal
        if w.capitalised:
            return not self.everyday(i) and not self._numbered(i)
        return w.lower and self._stray(i)

    def _placed(self, i: int) -> bool:
        """ "thank sunny from the pharmacy", "thanks to grace at reception": a person placed
        where they work."""
        nxt = self._next(i)
        return (
            nxt is not None
            and not nxt.sentence_start
            and not nxt.comma_before
            and nxt.key in {"from", "at", "on", "in"}
        )

    def _after_article(self, i: int) -> bool:
        """ "the rota", "a bangle": a word in lower case after an article is a thing, unless it
        is a given name (people write "the" before a person's first name only with a capital)."""
        return (
            i > 0
            and self.ws[i].lower
            and self.ws[i - 1].key in _ARTICLES
            and self.ws[i].tight_before
            and not self.given(i)
        )

    def _stray(self, i: int) -> bool:
        """ "went with tendai to the chemist", "me and gurpreet waited": a word in lower case
        that no list knows, not even the rarer English words, is a name (what cannot be
        decided is removed), unless it is one slip from an everyday word ("apointment"), two
        everyday words run together ("keyworker") or a code ("ab12")."""
        key = self.ws[i].key
        if not self.unknownish(i) or self.name(i) or self.flags[i] & RARE:
            return False
        if not key.replace("-", "").isalpha() or self._numbered(i):
            return False
        return not (self.lex.misspelt(key) or self.lex.compound(key))

    def _after_person_word(self, i: int) -> bool:
        """After a role, a relation or "called": "my carer sandra", "her grandson Paddy"."""
        w = self.ws[i]
        named = self.name(i)
        if (w.capitalised or w.shouted) and w.key not in FUNCTION_WORDS and self._introduced(i):
            return True  # "known as Bunny", "a porter called Frank"
        if w.capitalised or w.shouted:
            if named or not self.everyday(i) or self.unknownish(i):
                return True
            return self._capital_after_role(i)
        if w.key in FUNCTION_WORDS or w.key in BARE_VERBS:
            return False
        if self.ws[i - 1].possessive and not self.given(i):
            return False  # "the GP's café", "the manager's office": a thing the person has
        if named and not self.ordinary(i):
            return True
        if named:  # "my son will." but not "my carer will come"
            if self._bare_relation(i - 1) and self._ends_phrase(i) and not w.possessive:
                return False  # "helped mum wash."
            return self._person_follows(i)
        return self.unknownish(i)

    def _bare_relation(self, j: int) -> bool:
        """ "helped mum wash": a relation with no "my", "her", "the" before it, used as a noun."""
        ws = self.ws
        if ws[j].key not in RELATIONS or ws[j].sentence_start or j == 0:
            return False
        return ws[j - 1].key not in _DETERMINERS

    def _capital_after_role(self, i: int) -> bool:
        """ "Receptionist Pinky is lovely", "Mum Hero Salih": an everyday word with a capital
        after a role is a name only where a person plainly follows (not "my mum Has dementia",
        "the manager Today")."""
        w = self.ws[i]
        if self.sentence_start(i) or w.key in FUNCTION_WORDS or w.key in PLACE_SUFFIXES:
            return False
        if self._numbered(i) or self.flags[i] & WORDLIKE:
            return False
        if self.ws[i - 1].capitalised and not self.sentence_start(i - 1):
            return False  # "Care Manager Team": a titled phrase
        nxt = self._next(i)
        if nxt is None or nxt.sentence_start:
            return False
        return w.possessive or nxt.key in PERSON_VERBS or self._beside_name(i)

    def _named_at_start(self, i: int) -> bool:
        """ "Grace said", "Hope the night nurse", "Mark at the pharmacy": a name, not a word."""
        w = self.ws[i]
        nxt = self._next(i)
        if w.possessive or self._beside_name(i):
            return True
        if nxt is None or nxt.sentence_start:
            return False
        if nxt.key in FOLLOWERS or nxt.comma_before or nxt.key in {"at", "from", "on"}:
            return True
        if nxt.lower and len(nxt.key) > 4 and nxt.key.endswith("ed"):
            return True  # "Precious fed", "Daisy cleaned the room"
        return self._described(i)  # apposition: "Hope the night nurse"

    def _described(self, i: int) -> bool:
        """ "Hope the night nurse", "paddy the tea man", "ruby his sister": a word set beside
        a description of a person (a role, a relation, "lady", "man") within three words."""
        ws = self.ws
        nxt = self._next(i)
        if ws[i].key in _MODALS or nxt is None or nxt.sentence_start:
            return False  # "Will his sister come?"
        if not (nxt.key == "the" or nxt.key in _POSSESSIVES):
            return False
        for j in range(i + 2, min(i + 5, len(ws))):
            if ws[j].sentence_start or (j > i + 2 and ws[j].comma_before):
                return False
            if ws[j].key in _DESCRIBED:
                return nxt.key == "the" or ws[j].key in RELATIONS or ws[j].key in ROLES
        return False

    def _lower_subject(self, i: int) -> bool:
        """ "yiannis here.", "jurgis from work told me", "kaz's the one": an unknown subject."""
        w = self.ws[i]
        if not self.unknownish(i) or (self.name(i) and not self.ordinary(i)):
            return False  # names are seeded anyway
        nxt = self._next(i)
        if w.sentence_start:
            plain = w.possessive or (
                nxt is not None
                and not nxt.sentence_start
                and (nxt.key in {"here", "from"} or nxt.key in PERSON_VERBS)
            )
        else:
            plain = nxt is not None and not nxt.sentence_start and nxt.key in _SPEECH
        if not plain and i > 1:
            before = self.ws[i - 2].key
            plain = self.ws[i - 1].key == "am" and before == "i"
        return plain and not self.lex.misspelt(w.key)

    def _beside_name(self, i: int) -> bool:
        """Followed by a capitalised name, or by nobody's word: "Bill Thornton"."""
        nxt = self._next(i)
        if nxt is None or not nxt.tight_before or not nxt.capitalised or self.context_word(i + 1):
            return False
        if nxt.key in PLACE_SUFFIXES or nxt.key in FUNCTION_WORDS:
            return False
        return self.name(i + 1) or not self.everyday(i + 1) or self.weak_place[i + 1]

    def _in_titled_phrase(self, i: int) -> bool:
        """ "Christmas Eve", "Rose Garden": a capitalised ordinary word beside it, not a name."""
        ws = self.ws
        if i > 0 and ws[i].tight_before:
            prev = ws[i - 1]
            if prev.key in CALENDAR or (
                prev.capitalised
                and not self.sentence_start(i - 1)
                and self.ordinary(i - 1)
                and not self.name(i - 1)
                and not self.context_word(i - 1)
            ):
                return True
        nxt = self._next(i)
        return (
            nxt is not None
            and nxt.tight_before
            and nxt.capitalised
            and self.ordinary(i + 1)
            and not self.name(i + 1)
            and not self.context_word(i + 1)
        )
