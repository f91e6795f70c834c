"""The data structures behind the rules' matching: a trie of phrases, and the spans of a term.

Both are read with a work counter (anything with a ``work`` attribute) so that the cost of
matching can be measured, never timed.
"""

from __future__ import annotations

import bisect
from typing import Protocol

Word = tuple[str, bool]  # (text, is a prefix)
Phrase = tuple[Word, ...]


# Distinct words whose first step in the trie is remembered (then the memory starts again).
_CACHE_WORDS = 50_000


class WorkCounter(Protocol):
    work: int


def add_hit(found: dict[int, Hits], term: int, start: int, end: int) -> None:
    """Note that ``term`` occurs over tokens [start, end)."""
    hits = found.get(term)
    if hits is None:
        hits = found[term] = Hits()
    hits.add(start, end)


class Node:
    """A trie of the rulebook's phrases, one level a token: exact words and word prefixes."""

    __slots__ = ("_cache", "exact", "lengths", "prefix", "terms")

    def __init__(self) -> None:
        self.exact: dict[str, Node] = {}
        self.prefix: dict[str, Node] = {}
        self.lengths: tuple[int, ...] = ()
        self.terms: list[int] = []
        self._cache: dict[str, list[Node]] = {}

    def step(self, text: str) -> list[Node]:
        """The children a token leads to: its exact word and every prefix of it."""
        out = []
        child = self.exact.get(text)
        if child is not None:
            out.append(child)
        for n in self.lengths:
            if n > len(text):
                break
            child = self.prefix.get(text[:n])
            if child is not None:
                out.append(child)
        return out

    def step_cached(self, text: str) -> list[Node]:
        """:meth:`step`, remembered for the root, where every token starts (bounded memory)."""
        found = self._cache.get(text)
        if found is None:
            if len(self._cache) > _CACHE_WORDS:
                self._cache.clear()
            found = self._cache[text] = self.step(text)
        return found

    def add(self, phrase: Phrase, term: int) -> None:
        node = self
        for text, is_prefix in phrase:
            branch = node.prefix if is_prefix else node.exact
            node = branch.setdefault(text, Node())
        if term not in node.terms:
            node.terms.append(term)

    def freeze(self) -> None:
        self.lengths = tuple(sorted({len(p) for p in self.prefix}))
        for child in (*self.exact.values(), *self.prefix.values()):
            child.freeze()


class Hits:
    """The spans where one term occurs, in order of start (the longest kept at each start)."""

    __slots__ = ("spans", "starts")

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []
        self.starts: list[int] = []

    def add(self, start: int, end: int) -> None:
        if self.starts and self.starts[-1] == start:
            if end > self.spans[-1][1]:
                self.spans[-1] = (start, end)
            return
        self.spans.append((start, end))
        self.starts.append(start)

    def between(self, low: int, high: int, counter: WorkCounter) -> list[tuple[int, int]]:
        """Spans starting at ``low`` to ``high`` inclusive."""
        i = bisect.bisect_left(self.starts, low)
        j = bisect.bisect_right(self.starts, high)
        counter.work += 1 + (j - i)
        return self.spans[i:j]

    def any_between(self, low: int, high: int, counter: WorkCounter) -> bool:
        return bool(self.between(low, high, counter))

    def last_before(self, position: int) -> tuple[int, int] | None:
        i = bisect.bisect_left(self.starts, position)
        return self.spans[i - 1] if i else None
