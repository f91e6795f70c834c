"""The features the statistical model reads: word n-grams and character n-grams of words.

Training (scikit-learn's ``TfidfVectorizer`` with these functions as its analyser) and inference
(hub.safeguarding.model) call the same functions, so both see exactly the same features. Each
feature comes with the index of the word it was read from, which is how the model's reasons are
mapped back to the words of the narrative. The number of features is linear in the text: at most
two per token and three per character of a word.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.safeguarding.text import is_word

# Character n-gram lengths, read inside words padded with a space on each side (as
# scikit-learn's "char_wb" analyser reads them), so "brusies" still shares "bru" and "ses ".
CHAR_SIZES = (3, 4, 5)


# A word after one of these, up to three words on in its clause, is read as negated ("¬fed"), so
# "never been left alone" and "left alone" are different features.
NEGATIONS = frozenset(
    {"not", "n't", "never", "no", "nobody", "noone", "nothing", "none", "without", "neither",
     "nor", "cannot"}
)  # fmt: skip
_SCOPE_ENDS = frozenset({"but", "and", "however", "although", "though", "because", "so"})
_NEGATION_REACH = 3


def word_features(items: Sequence[str]) -> list[tuple[str, int]]:
    """Each word (marked "¬" inside a negation's reach) and each pair of neighbouring words in a
    clause, with the index of its (first) token; ``items`` are token texts, marks included."""
    out: list[tuple[str, int]] = []
    previous = -1
    reach = 0
    for i, word in enumerate(items):
        if not is_word(word):
            previous, reach = -1, 0
            continue
        if word in _SCOPE_ENDS:
            reach = 0
        out.append((f"¬{word}" if reach else word, i))
        reach = _NEGATION_REACH if word in NEGATIONS else max(reach - 1, 0)
        if previous >= 0:
            out.append((f"{items[previous]} {word}", previous))
        previous = i
    return out


def char_features(items: Sequence[str]) -> list[tuple[str, int]]:
    """Character n-grams of each word padded with spaces, as scikit-learn's ``char_wb`` reads
    them (a padded word no longer than n gives itself once)."""
    out: list[tuple[str, int]] = []
    append = out.append
    for i, word in enumerate(items):
        if not is_word(word):
            continue
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
