"""Text primitives for de-identification: folding, words, chunks. All linear in the input.

Every step that looks at a narrative goes through these, so the cost of redaction grows with the
length of the text and nothing else: the word pattern never backtracks (a run of letters, then
optional joined runs), gaps between words are classified once, and anything that might not be
linear (a third-party pattern, a spaCy pipeline) is only ever handed bounded chunks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

# Letters not decomposed by NFKD, folded as people type them without the keyboard for it.
_SPECIAL = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ı": "i", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th"}
)
_APOSTROPHES = str.maketrans("", "", "'’‘`´")


def fold(word: str) -> str:
    """Lower-case, strip accents and apostrophes: 'Wiśniewski' and 'wisniewski' look alike."""
    if word.isascii():
        return word.lower().replace("'", "").replace("`", "")
    lowered = word.lower().translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", lowered)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.translate(_APOSTROPHES)


# A word: letters, optionally joined by an apostrophe or hyphen to more letters (O'Neill,
# Ji-woo, Smith-Jones). Letter runs cannot overlap the joiners, so matching never backtracks.
WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
# Runs of BLANK stand where an identifier or placeholder was blanked out: each reads as one
# word with an empty key, which no rule takes for a name.
BLANK = "_"
_WORD_OR_BLANK = re.compile(WORD.pattern + "|_+")
SENTENCE_END = frozenset(".!?\n:;•*")
MAX_GAP = 6


class Word(NamedTuple):
    """One word of a text: its span (possessive ending excluded) and how it stands."""

    start: int
    end: int
    text: str
    key: str  # folded, for look-ups
    possessive: bool
    sentence_start: bool  # first word, or after . ! ? : ; a bullet or a line break
    comma_before: bool  # a comma separates it from the previous word
    tight_before: bool  # only spaces (or a hyphen) separate it from the previous word
    gap: str  # what separates it from the previous word, when that is short ("" otherwise)
    capitalised: bool  # starts with a capital and is not in capitals throughout
    shouted: bool  # in capitals throughout (an acronym, or text in capitals)
    lower: bool  # in lower case


_KEYS: dict[str, str] = {}
_KEYS_LIMIT = 100_000


def _key(raw: str) -> str:
    key = _KEYS.get(raw)
    if key is None:
        if len(_KEYS) >= _KEYS_LIMIT:
            _KEYS.clear()
        key = _KEYS[raw] = fold(raw)
    return key


def words(text: str) -> list[Word]:
    """Split text into words, each knowing the gap before it; one pass over the text."""
    out: list[Word] = []
    append = out.append
    new = tuple.__new__
    prev_end = 0
    for m in _WORD_OR_BLANK.finditer(text):
        raw = m.group()
        start, end = m.span()
        possessive = False
        if len(raw) > 2 and raw[-1] in "sS" and raw[-2] in "'’":
            raw, end, possessive = raw[:-2], end - 2, True
        gap = text[prev_end:start]
        if raw[0] == BLANK:  # an identifier blanked out: a word with no key, nothing more
            raw, possessive = BLANK, False
        shouted = len(raw) > 1 and raw.isupper()
        append(
            new(
                Word,
                (
                    start,
                    end,
                    raw,
                    "" if raw == BLANK else _KEYS.get(raw) or _key(raw),
                    possessive,
                    not out or not SENTENCE_END.isdisjoint(gap),
                    "," in gap,
                    bool(out) and len(gap) <= 3 and gap.strip() in ("", "-"),
                    gap if len(gap) <= MAX_GAP else "",
                    raw[0].isupper() and not shouted,
                    shouted,
                    raw.islower(),
                ),
            )
        )
        prev_end = m.end()
    return out


def chunks(length: int, *, size: int, overlap: int, text: str | None = None) -> Iterator[int]:
    """Start offsets of windows of ``size`` characters overlapping by ``overlap``.

    Each window starts where the previous one ended, less the overlap, so anything up to
    ``overlap`` characters long lies whole inside some window. Where ``text`` is given, a start
    moves forward to just after a space within the overlap, so words are rarely cut.
    """
    if size <= overlap:
        raise ValueError("a chunk must be longer than its overlap")
    start = 0
    while True:
        yield start
        if start + size >= length:
            return
        nxt = start + size - overlap
        if text is not None:
            space = text.find(" ", nxt, nxt + overlap // 2)
            if space != -1:
                nxt = space + 1
        start = nxt


_PUNCT_RUN = re.compile(r"[^\w\s]{4,}")


def calm(text: str) -> str:
    """Replace runs of four or more punctuation marks with spaces, keeping every offset.

    spaCy's tokenizer is quadratic on long punctuation runs; such runs never hold a name.
    """
    return _PUNCT_RUN.sub(lambda m: " " * len(m.group()), text)
