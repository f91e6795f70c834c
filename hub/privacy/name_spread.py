"""How a name found spreads: into neighbouring words, lists, a signature, every mention.

Passes over a :class:`hub.privacy.name_view.WordView` once seeds are labelled: "Sandra Okafor"
and "J. Patel" (chains), "Manuel dos Santos" (particles), "Tomasz, Joy and Ade" and "kaz and
bex" (lists), "... reads these. Glen" (a closing signature), and every other mention of a name
found, in any case. Each looks at a word and a few neighbours.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from hub.privacy.lexicon import DRUG, FREQUENT, SURNAME, WORDLIKE
from hub.privacy.name_view import NAME, WordView
from hub.privacy.name_words import (
    _LIST_GAP,
    CALENDAR,
    FUNCTION_WORDS,
    NOT_NAMES,
    PARTICLES,
    PLACE_SUFFIXES,
    SURNAMES_FIRST,
    TEMPORAL,
    TITLES,
    WEAK_INTRODUCERS,
)
from hub.privacy.text import SENTENCE_END

Span = tuple[int, int]

MAX_SIGNOFF_WORDS = 4
# After a name found, what makes its lower-case mention the name again: "will said".
_SAID_OF = frozenset({"said", "says", "told", "tells", "asked", "asks", "who", "was", "is", "has"})
# What follows two people named together: "sandra and grace were lovely".
_BOTH = frozenset({"were", "are", "have", "both", "came", "come", "helped", "did", "do", "said"})


class Spreader(WordView):
    """The passes that spread names found to the words that belong with them."""

    def _hinted(self, hints: Iterable[Span]) -> None:
        spans = sorted(hints)
        if not spans:
            return
        k = 0
        for i, w in enumerate(self.ws):
            while k < len(spans) and spans[k][1] <= w.start:
                k += 1
            hinted = k < len(spans) and spans[k][0] < w.end and self.label[i] == 0
            if hinted and not self.context_word(i) and len(w.key) > 1:
                self.label[i] = NAME

    def _joins(self, i: int, after: bool) -> bool:
        """Whether word i may continue a name beside it (``after``: it follows the name)."""
        w = self.ws[i]
        if self.label[i] != 0 or (self.context_word(i) and not self._month_name(i, after)):
            return False
        if w.key in NOT_NAMES or w.key in FUNCTION_WORDS or self._acronym(i) or self._numbered(i):
            return False
        if len(w.text) == 1:
            return w.text.isupper() and w.text != "I"  # an initial
        if w.capitalised or w.shouted:
            if after:  # a surname after a given name may be any capitalised word
                return w.key not in PLACE_SUFFIXES or not self.ordinary(i)
            return self.name(i) or not self.ordinary(i) or w.key in SURNAMES_FIRST
        if self.name(i) and self.ordinary(i):  # "darren holt said", not "darren will come"
            if not after:  # "grace okafor": a given name before a surname no word shares
                return self.given(i) and self._plain_surname(i + 1)
            return self._ends_phrase(i)
        return self.name(i) or not self.everyday(i)

    def _plain_surname(self, i: int) -> bool:
        return (
            i < len(self.ws)
            and self.label[i] == NAME
            and bool(self.flags[i] & SURNAME)
            and not self.given(i)
            and not self.ordinary(i)
        )

    def _month_name(self, i: int, after: bool) -> bool:
        """ "Mum (June Ellis)": a month that is a given name, before a name, not after "in"."""
        w = self.ws[i]
        if after or w.key not in CALENDAR or not self.given(i) or not w.capitalised:
            return False
        return i == 0 or self.ws[i - 1].key not in TEMPORAL

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
                elif (
                    j + 1 < len(ws)
                    and self._particle(j)
                    and (self.label[j + 1] == NAME or self._joins(j + 1, after=True))
                ):
                    self.label[j] = self.label[j + 1] = NAME  # "Manuel dos Santos"
                    changed = True
                if i > 0 and ws[i].tight_before and self._joins(i - 1, after=False):
                    self.label[i - 1] = NAME
                    changed = True
                if i > 0 and ws[i].gap in {". ", "."} and self._initial(i - 1):
                    self.label[i - 1] = NAME  # "J. Patel"
                first = i
                while (
                    first > 0
                    and i - first < 2
                    and self.label[first - 1] == 0
                    and ws[first - 1].lower
                    and ws[first - 1].key in PARTICLES
                    and ws[first].tight_before
                ):
                    first -= 1  # "Dr van der Merwe", "Mr de Souza": particles after a title
                if first < i and first > 0 and ws[first - 1].key in TITLES:
                    for k in range(first, i):
                        self.label[k] = NAME
                    changed = True

    def _particle(self, i: int) -> bool:
        w = self.ws[i]
        return (
            self.label[i] == 0
            and w.lower
            and w.key in PARTICLES
            and w.tight_before
            and self.ws[i + 1].tight_before
            and self.ws[i + 1].capitalised
        )

    def _initial(self, i: int) -> bool:
        w = self.ws[i]
        return self.label[i] == 0 and len(w.text) == 1 and w.text.isupper() and w.text != "I"

    def _lists(self) -> None:
        """ "Tomasz, Joy and Ade", "kaz and bex": a name listed beside a name is a name."""
        ws = self.ws
        for _ in range(2):
            # Only words up to two away from a name can be listed with it.
            names = [k for k, lab in enumerate(self.label) if lab == NAME]
            near = {j for k in names for j in range(max(0, k - 2), min(len(ws), k + 3))}
            for i in sorted(near):
                if self.label[i] != 0 or self.context_word(i):
                    continue
                if self.name(i):
                    if (
                        self.ordinary(i)
                        and not (ws[i].capitalised or ws[i].shouted)
                        and not self._pair_of_people(i)
                    ):
                        continue
                elif not (self.unknownish(i) or self._capital_word(i)) or self.lex.misspelt(
                    ws[i].key
                ):
                    continue
                if self._listed_with_name(i, -1) or self._listed_with_name(i, 1):
                    self.label[i] = NAME

    def _capital_word(self, i: int) -> bool:
        """ "Staff: Bola, Ife, Tunde": a word with a capital inside a sentence, which a list of
        names takes for one more name."""
        w = self.ws[i]
        return (
            w.capitalised
            and (not self.sentence_start(i) or w.gap.strip() == ":" or self._and_name(i))
            and w.key not in FUNCTION_WORDS
            and w.key not in PLACE_SUFFIXES
            and not self.flags[i] & (DRUG | WORDLIKE | FREQUENT)
        )

    def _and_name(self, i: int) -> bool:
        """ "Gift and Lorraine especially": followed by "and" and a name found."""
        ws = self.ws
        return (
            i + 2 < len(ws)
            and ws[i + 1].key == "and"
            and self.label[i + 2] == NAME
            and ws[i + 1].tight_before
            and ws[i + 2].tight_before
        )

    def _pair_of_people(self, i: int) -> bool:
        """ "sandra and grace were lovely": a name in lower case that is also a word, paired
        by "and" with a name found, where what follows speaks of both."""
        ws = self.ws
        for step in (-1, 1):
            j, k = i + step, i + 2 * step
            if not (0 <= k < len(ws)) or ws[j].key != "and" or self.label[k] != NAME:
                continue
            after = max(i, k) + 1
            if after >= len(ws) or ws[after].sentence_start or ws[after].comma_before:
                return True
            return ws[after].key in _BOTH
        return False

    def _listed_with_name(self, i: int, step: int) -> bool:
        ws = self.ws
        j = i + step
        if not 0 <= j < len(ws):
            return False
        right = ws[max(i, j)]
        if self.weak_place[i] and not self.given(i):
            return False  # "Sandra Okafor, Oxford"
        if (
            self.label[j] == NAME
            and right.comma_before
            and _LIST_GAP.fullmatch(right.gap)
            and not self.weak_place[i]
        ):
            return True
        k = j + step
        if ws[j].key in {"and", "or"} and 0 <= k < len(ws) and self.label[k] == NAME:
            return ws[max(i, j)].tight_before and ws[max(j, k)].tight_before
        return False

    def _signoff(self) -> bool:
        """ "... if anyone reads these. Glen", "- Sam", "thanks shaz": a closing signature.

        Returns whether it found a name.

        The words after the last sentence end (or " - "), when something came before and they
        are few and hold no everyday word in lower case. Names already found do not count, so
        the answer is the same once they are placeholders.
        """
        ws = self.ws
        text = self.text
        end = self._last_sentence_end()
        first = len(ws)
        while first > 0 and ws[first - 1].start > end:
            first -= 1
        tail = range(first, len(ws))
        before = text[: ws[first].start] if first < len(ws) else ""
        if not tail or not any(c.isalpha() for c in before):
            return False
        if sum(1 for j in tail if self.label[j] != NAME and ws[j].key) > MAX_SIGNOFF_WORDS:
            return False
        for j in tail:
            w = ws[j]
            if w.key in WEAK_INTRODUCERS or w.key in FUNCTION_WORDS or self.label[j] != 0:
                continue
            if len(w.key) < 3:
                continue  # "xx"
            if self.context_word(j) or self._placed_only(j) or self._acronym(j):
                continue
            if w.lower and not self.unknownish(j) and not self.after_role(j):
                return False  # an everyday word in lower case: a sentence, not a signature
            if w.capitalised and self.everyday(j) and not self.name(j) and not self._greeted(j):
                return False
        added = False
        for j in tail:
            w = ws[j]
            if self.label[j] != 0 or self.context_word(j) or self._placed_only(j):
                continue
            if w.key in WEAK_INTRODUCERS or w.key in FUNCTION_WORDS or self._acronym(j):
                continue
            if len(w.key) < 3 or (w.lower and self.lex.misspelt(w.key)):
                continue
            self.label[j] = NAME
            added = True
        return added

    def _placed_only(self, j: int) -> bool:
        """A known place, unless it is a given name with a capital signed alone: "Leeds" and
        "Anne Gorman, Chester" keep the town, a signature "Keith" (a town, and a name) goes."""
        w = self.ws[j]
        return self.weak_place[j] and not (self.given(j) and w.capitalised and not w.comma_before)

    def _last_sentence_end(self) -> int:
        """Where the last sentence ends (or " - " sets off a signature); -1 if nowhere.

        A full stop after a title ("Dr. Okafor") ends no sentence; past a few of those in a row
        the text is taken to have no clear last sentence, so the search stays linear in the
        text.
        """
        text = self.text
        starts = [w.start for w in self.ws]
        pos = len(text)
        for _ in range(MAX_ABBREVIATIONS):
            end = max(
                max(text.rfind(c, 0, pos) for c in SENTENCE_END),
                text.rfind(" - ", 0, pos),
                text.rfind(" \u2013 ", 0, pos),
            )
            if end < 0 or text[end] != ".":
                return end
            k = bisect_right(starts, end) - 1  # the word before the stop, if it touches it
            if k < 0 or self.ws[k].end != end or self.ws[k].key not in TITLES:
                return end
            pos = end
        return -1

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
            if self.label[i] == 0 and w.key in found and not self.context_word(i):
                if self._numbered(i) or self._acronym(i):
                    continue
                if not self.ordinary(i) or w.capitalised or w.shouted or self._said_of(i):
                    self.label[i] = NAME  # "Frank" and "FRANK", but "to be frank" stays

    def _said_of(self, i: int) -> bool:
        """ "grace's daughter", "will said": a found name in lower case that is also a word is
        the name again when possessive or followed by what is said of a person."""
        nxt = self.ws[i + 1] if i + 1 < len(self.ws) else None
        return self.ws[i].possessive or (
            nxt is not None
            and not nxt.sentence_start
            and not nxt.comma_before
            and nxt.key in _SAID_OF
        )


MAX_ABBREVIATIONS = 8
