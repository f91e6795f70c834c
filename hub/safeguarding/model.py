"""The statistical layer: a linear model over TF-IDF word and character n-grams, read from a file.

``model.json`` is written by ``scripts/train_safeguarding.py`` (scikit-learn, from the training
corpus) and read here with numpy alone. It holds, for each block of features, every feature with
its inverse document frequency and one weight per head (``concern``, ``immediate`` and one per
category), plus each head's intercept and the thresholds chosen by cross-validation. A narrative's
score for a head is the logistic of its L2-normalised, sublinear TF-IDF vector (per block) times
the weights, exactly as scikit-learn computes it.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from hub.safeguarding.features import BLOCKS

FORMAT = "hub-safeguarding-model/1"
# Words whose character n-gram rows are remembered (then the memory starts again).
_CACHE_WORDS = 50_000


@dataclass(frozen=True, slots=True)
class _Block:
    name: str
    index: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray  # features x heads


@dataclass(frozen=True, slots=True)
class Scores:
    """A narrative's probability under each head, and what is needed to explain it."""

    probabilities: Mapping[str, float]
    tokens: Sequence[str]
    # Feature look-ups made: a measure of the work, which grows linearly with the text.
    work: int
    # Per block: the rows of the features present and their TF-IDF values.
    _parts: tuple[tuple[np.ndarray, np.ndarray], ...]

    def __getitem__(self, head: str) -> float:
        return self.probabilities[head]


class Model:
    """A trained model (the parsed JSON of ``model.json``)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        if spec.get("format") != FORMAT:
            raise ValueError(f"model: expected format {FORMAT!r}")
        self.heads: tuple[str, ...] = tuple(spec["heads"])
        self._head_index = {h: n for n, h in enumerate(self.heads)}
        self.intercepts = np.asarray(spec["intercepts"], dtype=np.float64)
        self.thresholds: dict[str, float] = {k: float(v) for k, v in spec["thresholds"].items()}
        blocks = []
        for name, block in spec["blocks"].items():
            if name not in BLOCKS:
                raise ValueError(f"model: unknown feature block {name!r}")
            rows = block["features"]
            index = {row[0]: n for n, row in enumerate(rows)}
            idf = np.asarray([row[1] for row in rows], dtype=np.float64)
            weights = np.asarray([row[2] for row in rows], dtype=np.float64).reshape(
                len(rows), len(self.heads)
            )
            blocks.append(_Block(name, index, idf, weights))
        self._blocks = tuple(blocks)
        self._char_rows: dict[str, tuple[int, ...]] = {}
        self.spec = spec

    @classmethod
    def from_text(cls, text: str) -> Model:
        return cls(json.loads(text))

    def scores(self, tokens: Sequence[str]) -> Scores:
        """The probability under each head for a narrative's tokens (see text.token_texts)."""
        z = self.intercepts.copy()
        parts = []
        work = 0
        for block in self._blocks:
            rows, values, steps = self._vector(block, tokens)
            work += steps
            if len(rows):
                z += values @ block.weights[rows]
            parts.append((rows, values))
        probs = 1.0 / (1.0 + np.exp(-z))
        return Scores(
            dict(zip(self.heads, map(float, probs), strict=True)), tokens, work, tuple(parts)
        )

    def explain(
        self, scores: Scores, heads: Sequence[str], count: int
    ) -> dict[str, dict[int, float]]:
        """For each head, the ``count`` tokens (by index) that pushed it up most: each feature's
        weight times its value, shared among the places and words where it occurs."""
        columns = [self._head_index[h] for h in heads]
        size = len(scores.tokens)
        by_word = np.zeros((size + 1, len(columns)))
        for block, (rows, values) in zip(self._blocks, scores._parts, strict=True):
            if not len(rows):
                continue
            slot = {int(r): n for n, r in enumerate(rows)}
            slots, places = self._occurrences(block, scores.tokens, slot)
            if not slots:
                continue
            at = np.asarray(slots, dtype=np.int64)
            push = values[:, None] * block.weights[rows][:, columns]
            shares = push[at] / np.bincount(at, minlength=len(rows))[at][:, None]
            np.add.at(by_word, np.asarray(places, dtype=np.int64), shares)
        out: dict[str, dict[int, float]] = {}
        for k, head in enumerate(heads):
            column = by_word[:size, k]
            order = np.argsort(-column, kind="stable")[:count]
            out[head] = {int(i): float(column[i]) for i in order if column[i] > 0}
        return out

    def _occurrences(
        self, block: _Block, tokens: Sequence[str], slot: Mapping[int, int]
    ) -> tuple[list[int], list[int]]:
        """Each occurrence of a feature present: its slot in the vector and the word it covers
        (a pair of words counts once for each)."""
        slots: list[int] = []
        places: list[int] = []
        if block.name == "char":
            # Each word's rows, as _vector found them (the same cache, or worked out again).
            for position, word in enumerate(tokens):
                rows = self._char_rows.get(word)
                if rows is None:
                    grams = BLOCKS["char"]((word,))
                    rows = tuple(r for r in (block.index.get(f) for f, _ in grams) if r is not None)
                slots.extend(slot[r] for r in rows)
                places.extend([position] * len(rows))
            return slots, places
        for feature, position in BLOCKS[block.name](tokens):
            row = block.index.get(feature)
            if row is None:
                continue
            n = slot[row]
            slots.append(n)
            places.append(position)
            if block.name == "word" and " " in feature:
                slots.append(n)
                places.append(position + 1)
        return slots, places

    def _vector(self, block: _Block, tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
        """The rows and TF-IDF values of the block's features in ``tokens``, and the look-ups
        made to find them."""
        if block.name == "char":
            # A word's character n-grams never change: each word's rows are worked out once.
            cache = self._char_rows
            if len(cache) > _CACHE_WORDS:
                cache.clear()
            found: list[int] = []
            work = 0
            for word in tokens:
                rows = cache.get(word)
                if rows is None:
                    grams = BLOCKS["char"]((word,))
                    work += len(grams)
                    rows = tuple(r for r in (block.index.get(f) for f, _ in grams) if r is not None)
                    cache[word] = rows
                work += 1 + len(rows)
                found.extend(rows)
            counts = Counter(found)
        else:
            features = BLOCKS[block.name](tokens)
            work = len(features)
            counts = Counter(r for r in (block.index.get(f) for f, _ in features) if r is not None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0), work
        rows_array = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))
        values = tf * block.idf[rows_array]
        values /= math.sqrt(float(values @ values))
        return rows_array, values, work + len(counts)


def packaged_model_text() -> str:
    """The text of the packaged model.json."""
    return resources.files("hub.safeguarding").joinpath("model.json").read_text("utf-8")
