"""Whether a sign's words are meant: negation, hypotheticals, dispelled worries, and words that
make them about something else (see hub.safeguarding.signs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hub.safeguarding.text import Token
from hub.safeguarding.trie import Hits

if TYPE_CHECKING:
    from hub.safeguarding.signs import Reading, Rulebook, SignHit

# How far back a conditional or a worry reaches, in tokens.
SCOPE_REACH = 15


class Scope:
    """Negation, hypotheticals and dispelled worries, for one narrative."""

    def __init__(
        self, book: Rulebook, toks: Sequence[Token], hits: dict[int, Hits], reading: Reading
    ) -> None:
        self.book, self.toks, self.hits, self.reading = book, toks, hits, reading
        empty = Hits()
        self.lists = {name: hits.get(term, empty) for name, term in book.scope.items()}

    def allows(self, hit: SignHit) -> bool:
        sign = hit.sign
        self.reading.work += 1
        after = self.hits.get(sign.unless_next) if sign.unless_next is not None else None
        if after is not None and after.any_between(hit.last, hit.last, self.reading):
            return False
        if sign.unless_before is not None and sign.unless_before in self.hits:
            before = self.hits[sign.unless_before].between(
                max(hit.first - 4, 0), hit.first - 1, self.reading
            )
            if any(self.toks[s].sentence == self.toks[hit.first].sentence for s, _ in before):
                return False
        if not sign.scoped:
            return True
        return not (self._negated(hit) or self._hypothetical(hit) or self._dispelled(hit))

    def _negated(self, hit: SignHit) -> bool:
        toks, clause = self.toks, self.toks[hit.first].clause
        low = max(hit.first - self.book.negation_window, 0)
        own = set(hit.words)
        pseudo = self.lists["pseudo_negation"]
        for s, e in self.lists["negation"].between(low, hit.last - 1, self.reading):
            if s in own or e > hit.last or toks[s].clause != clause:
                continue
            if pseudo.any_between(s, s, self.reading):
                continue
            # A terminator ("but", "because") between the negation and the sign ends its scope.
            if s < hit.first and self.lists["terminators"].any_between(
                e, hit.first - 1, self.reading
            ):
                continue
            return True
        return False

    def _hypothetical(self, hit: SignHit) -> bool:
        toks = self.toks
        sentence = toks[hit.first].sentence
        cue = self.lists["conditional"].last_before(hit.first)
        self.reading.work += 1
        if cue is None or toks[cue[0]].sentence != sentence:
            return False
        if hit.first - cue[1] > SCOPE_REACH:
            return False
        # The consequence of a condition ("..., nobody will come") is meant, not supposed.
        if self.lists["consequent"].any_between(cue[1], hit.last - 1, self.reading):
            return False
        return not any(toks[k].text in ",;" for k in range(cue[1], hit.first))

    def _dispelled(self, hit: SignHit) -> bool:
        toks = self.toks
        sentence = toks[hit.first].sentence
        worry = self.lists["worry"].last_before(hit.first)
        self.reading.work += 1
        if worry is None or toks[worry[0]].sentence != sentence:
            return False
        if hit.first - worry[1] > SCOPE_REACH:
            return False
        # Reassurance later in the sentence, or in the next one.
        for s, _ in self.lists["reassurance"].between(hit.last, hit.last + 25, self.reading):
            if toks[s].sentence in (sentence, sentence + 1):
                return True
        return False
