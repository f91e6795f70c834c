"""Place phrases the name rules must never take for people: "Grace Ward", "at Homerton".

Run first by :class:`hub.privacy.name_rules.Labeller`, this pass labels as kept the words of
phrases built like names of places: a capitalised head before a place word ("Queen Elizabeth
Hospital", "on Grace Ward"), a capital "The" inside a sentence ("at The Laurels"), a place
prefix ("St Thomas'"), and a capitalised word nobody knows as a given name after "at" or "in"
("at Derriford", "in Moss Side"). Each step looks at a word and a few neighbours.
"""

from __future__ import annotations

from hub.privacy.lexicon import GIVEN, NAMED
from hub.privacy.name_view import KEEP, NAME, WordView
from hub.privacy.name_words import (
    AMBIGUOUS_SUFFIXES,
    CALENDAR,
    FUNCTION_WORDS,
    LOCATIVES,
    PLACE_PREFIXES,
    PLACE_SUFFIXES,
    RELATIONS,
    ROLES,
    TITLES,
)

# After these, a capitalised word that is not a given name is a place: "seen at Derriford".
AT_PLACE = frozenset({"at", "in"})
MAX_PLACE_WORDS = 3


def label_places(lab: WordView) -> None:
    """Label the words of place phrases as kept."""
    ws = lab.ws
    label = lab.label
    for i, w in enumerate(ws):
        # "on Ward 3B": a function word heads no place; "at Kettering General" extends one
        head = ws[i - 1] if i > 0 else None
        if (
            head is not None
            and w.key in PLACE_SUFFIXES
            and w.tight_before
            and label[i - 1] != NAME
            and head.key not in FUNCTION_WORDS
            and (head.capitalised or not w.capitalised)  # not "Sandra left Homecare Plus"
        ):
            first = i - 1
            while (
                head.capitalised
                and first > 0
                and first > i - 4
                and ws[first].tight_before
                and (ws[first - 1].capitalised or ws[first - 1].key in PLACE_PREFIXES)
                and ws[first - 1].key not in TITLES
                and ws[first - 1].key not in FUNCTION_WORDS
            ):
                first -= 1
            if _place_head(lab, first, i):
                for j in range(first, i + 1):
                    label[j] = KEEP
        if w.key == "the" and w.capitalised and not lab.sentence_start(i):
            j = i + 1  # "at The Laurels": a capital The starts a name of a place
            while j < len(ws) and j <= i + 3 and ws[j].capitalised and ws[j].tight_before:
                label[j] = KEEP
                j += 1
        elif lab.weak_place[i] and w.capitalised and i + 1 < len(ws) and not lab.name(i):
            nxt = ws[i + 1]  # "Blackpool Victoria"
            if nxt.capitalised and nxt.tight_before and lab.name(i + 1):
                label[i] = label[i + 1] = KEEP
        elif w.key in PLACE_PREFIXES and w.capitalised and not lab.titled(i):
            j = i + 1
            while j < len(ws) and j <= i + 2 and ws[j].capitalised and ws[j].tight_before:
                label[j] = KEEP
                j += 1
            if j > i + 1:
                label[i] = KEEP
        elif w.key in AT_PLACE and i + 1 < len(ws):
            _after_at(lab, i + 1)


def _after_at(lab: WordView, i: int) -> None:
    """ "at Derriford", "in Moss Side", "at Addenbrooke's": a place, unless a person is plain."""
    ws = lab.ws
    j = i
    while j < len(ws) and j < i + MAX_PLACE_WORDS:
        w = ws[j]
        if not w.capitalised or not w.tight_before or lab.label[j] == NAME:
            break
        if lab.label[j] == KEEP:  # "in Moss Side": a known place goes on
            j += 1
            continue
        if w.key in TITLES or w.key in ROLES or w.key in RELATIONS or w.key in CALENDAR:
            break
        given_only = j == i and lab.flags[j] & NAMED == GIVEN
        if given_only or (w.possessive and lab.name(j)):
            break  # "at Sandra's", "at Patel's"
        lab.label[j] = KEEP
        if w.possessive:
            break
        j += 1


def _place_head(lab: WordView, first: int, last: int) -> bool:
    """Whether words from ``first`` up to a place suffix name a place ("on Grace Ward")."""
    ws = lab.ws
    head = ws[first]
    suffix = ws[last]
    # "Grace Ward", "grace ward", but not "Steve drive me" or "Nadine's house"
    if not ((head.capitalised and suffix.capitalised) or (head.lower and suffix.lower)):
        return False
    if lab.titled(first):
        return False
    if head.key in ROLES or head.key in RELATIONS or head.key in LOCATIVES:
        return False
    if head.key in FUNCTION_WORDS:
        return False
    return suffix.key not in AMBIGUOUS_SUFFIXES or (
        (first > 0 and ws[first - 1].key in LOCATIVES)
        or (lab.ordinary(first) and not lab.after_role(first))
        or head.possessive
    )
