"""Narrative text as the safeguarding engine reads it: folded, lower-cased, split into tokens.

Every step is one left-to-right pass, so its cost is linear in the text, and folding keeps each
character in its place: a token's offsets are offsets into the narrative as written, which is how
the engine quotes the words that raised a concern.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Typographic apostrophes, quotes and dashes fold to one keyboard form, one character for one.
_FOLD = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)

# A token is a number with its inner separators ("5.30", "£1,000", "17/4/59"), a word partly
# masked with asterisks ("n*****"), a word (letters or digits joined by single apostrophes:
# "don't", "mum's"), or a mark that separates clauses. No quantifier nests an ambiguous one, so a
# failed alternative gives back at most the word it tried.
_TOKEN = re.compile(
    r"£?\d+(?:[.:,/]\d+)+[^\W_]*"
    r"|[^\W_]+\*[*\w]*"
    r"|£?[^\W_]+(?:'[^\W_]+)*"
    r"|[.!?;:,()\"\n]"
)

_SENTENCE_END = frozenset(".!?\n")
# Runs of one letter three times or more ("sooo", "noooo") mean what two do.
_STRETCHED = re.compile(r"([a-z])\1{2,}")


def normalise(text: str) -> str:
    """``text`` folded and lower-cased, with every character at its original offset."""
    folded = text.translate(_FOLD)
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    # A few characters lower-case to two (e.g. "İ"): those keep their case so offsets hold.
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in folded)


class Token(NamedTuple):
    """One word or punctuation mark of a narrative, with its place in the original text."""

    text: str
    start: int
    end: int
    sentence: int
    # Index of the clause within the whole narrative (commas, semicolons, brackets and
    # sentence ends separate clauses).
    clause: int

    @property
    def is_word(self) -> bool:
        return is_word(self.text)


def is_word(text: str) -> bool:
    """Whether a token is a word (or a clitic such as "'s"), not a mark between clauses."""
    return text[0].isalnum() or text[0] in "£'"


def _same(word: str) -> str:
    return word


def _squeeze(word: str) -> str:
    return _STRETCHED.sub(r"\1\1", word) if len(word) > 2 else word


# Contractions split as "do" + "n't", "she" + "'s", so a rule written "didn't" or "she's" reads
# the same words however they were typed; common forms typed without the apostrophe too.
_CLITICS = ("n't", "'s", "'m", "'re", "'ve", "'ll", "'d")
_BARE = {
    "dont": 2, "didnt": 3, "doesnt": 4, "cant": 2, "wont": 2, "isnt": 2, "wasnt": 3,
    "arent": 3, "werent": 4, "havent": 4, "hasnt": 3, "hadnt": 3, "couldnt": 5, "wouldnt": 5,
    "shouldnt": 6, "aint": 2, "im": 1, "ive": 1, "shes": 3, "hes": 2, "theyre": 4,
    "youre": 3, "thats": 4, "theres": 5, "whats": 4, "weve": 2, "theyve": 4, "youve": 3,
}  # fmt: skip


def _pieces(word: str, start: int) -> list[tuple[str, int, int]]:
    """A word and its clitic, each with offsets: "didn't" → "did", "n't"."""
    end = start + len(word)
    if "'" not in word:
        at = _BARE.get(word)
        if at is None:
            return [(word, start, end)]
        tail = word[at:]
        clitic = "n't" if tail == "nt" else "'" + tail
        return [(word[:at], start, start + at), (clitic, start + at, end)]
    for clitic in _CLITICS:
        if word.endswith(clitic) and len(word) > len(clitic):
            cut = end - len(clitic)
            return [(word[: -len(clitic)], start, cut), (clitic, cut, end)]
    return [(word, start, end)]


def tokens(text: str) -> list[Token]:
    """The tokens of a narrative; words are folded, lower-cased and de-stretched."""
    norm = normalise(text)
    squeeze = _squeeze if _STRETCHED.search(norm) else _same
    out: list[Token] = []
    sentence = clause = 0
    for m in _TOKEN.finditer(norm):
        word = m.group()
        if "*" in word:
            # A masked word is known by its first and last letters: "n*****" is "n*",
            # "p*ki" is "p*i".
            last = word[-1] if word[-1].isalnum() else ""
            out.append(Token(f"{word[0]}*{last}", m.start(), m.end(), sentence, clause))
            continue
        if word[0].isalnum() or word[0] == "£":
            for piece, start, end in _pieces(word, m.start()):
                out.append(Token(squeeze(piece), start, end, sentence, clause))
            continue
        out.append(Token(word, m.start(), m.end(), sentence, clause))
        if word in _SENTENCE_END:
            sentence += 1
        clause += 1
    return out


def token_texts(text: str) -> list[str]:
    """The texts of a narrative's tokens, words and marks, as the statistical model reads them."""
    return [t.text for t in tokens(text)]
