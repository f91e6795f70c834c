"""The features the statistical model reads: word n-grams and character n-grams of words.

Training (scikit-learn's ``TfidfVectorizer`` with these functions as its analyser) and inference
(hub.safeguarding.model) call the same functions, so both see exactly the same features. Each
feature comes with the index of the word it was read from, which is how the model's reasons are
mapped back to the words of the narrative. The number of features is linear in the text: at most
two per word and three per character of a word.
"""

from __future__ import annotations

from collections.abc import Sequence

# Character n-gram lengths, read inside words padded with a space on each side (as
# scikit-learn's "char_wb" analyser reads them), so "brusies" still shares "bru" and "ses ".
CHAR_SIZES = (3, 4, 5)


def word_features(words: Sequence[str]) -> list[tuple[str, int]]:
    """Each word, and each pair of neighbouring words, with the index of its first word."""
    out = [(w, i) for i, w in enumerate(words)]
    out.extend((f"{a} {b}", i) for i, (a, b) in enumerate(zip(words, words[1:], strict=False)))
    return out


def char_features(words: Sequence[str]) -> list[tuple[str, int]]:
    """Character n-grams of each word padded with spaces, as scikit-learn's ``char_wb`` reads
    them (a padded word no longer than n gives itself once)."""
    out: list[tuple[str, int]] = []
    append = out.append
    for i, word in enumerate(words):
        padded = f" {word} "
        length = len(padded)
        for n in CHAR_SIZES:
            if length <= n:
                append((padded, i))
                break
            for start in range(length - n + 1):
                append((padded[start : start + n], i))
    return out


BLOCKS = {"word": word_features, "char": char_features}
