"""Detection of personal names in free text, with no model download.

Two detectors share one small interface (``find(text)`` returns character spans):

* ``ContextNameDetector`` works everywhere. It uses given-name and family-name lists shipped in
  ``hub/privacy/data`` plus context: titles and roles ("Dr Patel", "Nurse Jenkins", "the carer
  Jo"), relations ("my husband John"), introductions ("a nurse called Sarah") and a common given
  name, optionally followed by a family name. Given names that are also ordinary words or places
  ("Rose", "Grace", "Victoria") count only with context, to keep ordinary text intact.
* ``SpacyNameDetector`` wraps a spaCy pipeline with an entity recogniser, when one is installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Protocol

Span = tuple[int, int]

# Preferred first: larger models are markedly better at names.
NER_MODEL_CANDIDATES = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm")

TITLES = frozenset({"Dr", "Mr", "Mrs", "Ms", "Miss", "Mx", "Prof", "Professor", "Sir", "Dame"})
ROLES = frozenset(
    {
        "nurse", "sister", "matron", "doctor", "carer", "midwife", "consultant", "surgeon",
        "receptionist", "paramedic", "physio", "physiotherapist", "therapist", "porter",
        "pharmacist", "manager", "psychiatrist", "psychologist", "dentist", "optician",
        "registrar", "gp", "counsellor", "keyworker", "advocate", "student",
    }
)  # fmt: skip
OWNERS = frozenset({"my", "our", "his", "her", "their", "your"})
RELATIONS = frozenset(
    {
        "husband", "wife", "partner", "son", "daughter", "mum", "mam", "mom", "mother", "dad",
        "father", "brother", "sister", "grandson", "granddaughter", "grandmother",
        "grandfather", "nan", "nana", "nanna", "gran", "granny", "grandma", "grandad",
        "grandpa", "aunt", "auntie", "uncle", "niece", "nephew", "cousin", "friend",
        "neighbour", "carer", "fiance", "fiancé", "fiancee", "fiancée", "boyfriend",
        "girlfriend", "stepson", "stepdaughter", "stepmother", "stepfather", "child", "baby",
        "twin", "sibling",
    }
)  # fmt: skip
RELATION_MODIFIERS = frozenset(
    {"late", "eldest", "elder", "older", "oldest", "younger", "youngest", "little", "baby", "twin"}
)
INTRODUCERS = frozenset({"called", "named"})
# A given name right after one of these is part of a place ("St Thomas", "Queen Elizabeth").
PLACE_PREFIXES = frozenset(
    {"St", "Saint", "Queen", "King", "Prince", "Princess", "Royal", "Lady", "Lord", "Port", "Mount"}
)
# A name followed by one of these is a ward, hospital or street named after someone.
PLACE_SUFFIXES = frozenset(
    {
        "hospital", "ward", "unit", "house", "centre", "center", "clinic", "surgery", "practice",
        "trust", "home", "lodge", "court", "hall", "manor", "park", "road", "street", "lane",
        "avenue", "close", "drive", "way", "place", "gardens", "terrace", "crescent", "square",
        "wing", "building", "block", "suite", "hospice", "infirmary", "school", "college",
        "university", "station", "pharmacy", "memorial", "foundation",
    }
)  # fmt: skip
# Capitalised words that follow a title, role or given name without being a name.
_NOT_NAMES = frozenset(
    {
        "the", "a", "an", "and", "but", "or", "so", "then", "i", "he", "she", "they", "we",
        "you", "it", "his", "her", "their", "our", "my", "your", "its", "this", "that", "these",
        "those", "there", "here", "who", "what", "when", "where", "why", "how", "which", "was",
        "were", "is", "are", "be", "been", "has", "have", "had", "did", "do", "does", "not",
        "no", "yes", "on", "in", "at", "to", "from", "for", "of", "with", "by", "about",
        "after", "before", "as", "if", "because", "also", "just", "only", "very", "all",
        "some", "any", "every", "each", "one", "two", "said", "says", "told", "asked", "came",
        "went", "would", "could", "should", "can", "please", "thank", "thanks", "nhs", "gp",
        "health", "care", "medical", "ambulance", "police", "emergency", "accident", "urgent",
        "mental", "social", "community", "general", "district", "county", "city", "national",
        "england", "london", "british", "english", "reception", "maternity", "outpatients",
        "theatre", "intensive", "practitioner", "assistant", "worker", "officer", "team",
        "staff", "department", "service", "services", "council", "mum", "mam", "mom", "dad",
        "nan", "gran", "grandma", "grandad", "monday", "tuesday", "wednesday", "thursday",
        "friday", "saturday", "sunday", "january", "february", "march", "july", "september",
        "october", "november", "december", "christmas", "easter", "covid", "god", "jesus",
        "nurse", "doctor", "sister", "matron", "carer", "consultant", "surgeon", "manager",
        "midwife", "registrar", "junior", "senior", "charge", "head", "lead", "ward", "bay",
    }
) | PLACE_SUFFIXES | {t.lower() for t in TITLES}  # fmt: skip
# Given names that are also everyday words, months or places: accepted only with context.
AMBIGUOUS_GIVEN_NAMES = frozenset(
    {
        "Amber", "April", "August", "Austin", "Bill", "Bob", "Carol", "Chelsea", "Christian",
        "Daisy", "Dale", "Dawn", "Dean", "Eve", "Faith", "Florence", "Frank", "Georgia", "Glen",
        "Grace", "Guy", "Harper", "Hazel", "Heather", "Holly", "Hope", "Iris", "Ivy", "Jack",
        "Jade", "Jan", "Jay", "Jordan", "Joy", "June", "Lee", "Lily", "Mark", "Mason", "Max",
        "Olive", "Pearl", "Penny", "Poppy", "Ray", "Rob", "Robin", "Rose", "Ruby", "Sue",
        "Summer", "Victoria", "Violet", "Willow",
    }
)  # fmt: skip
# "Mark said" is a person where "Mark my words" is not.
REPORTING_VERBS = frozenset(
    {"said", "says", "told", "explained", "asked", "replied", "shouted", "insisted", "promised",
     "rang", "phoned", "called", "emailed", "wrote", "apologised", "laughed", "refused"}
)  # fmt: skip
MAX_NAME_WORDS = 3

# \u2019 is the typographic apostrophe: "O\u2019Brien", "Patel\u2019s".
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['\u2019]s$")


class NameDetector(Protocol):
    """Anything that finds personal names: returns (start, end) character spans."""

    def find(self, text: str) -> list[Span]: ...


@cache
def _read_names(filename: str) -> frozenset[str]:
    data = resources.files("hub.privacy").joinpath("data").joinpath(filename).read_text("utf-8")
    return frozenset(
        line.strip() for line in data.splitlines() if line.strip() and not line.startswith("#")
    )


def given_names() -> frozenset[str]:
    """Return the shipped list of common given names."""
    return _read_names("first_names.txt")


def family_names() -> frozenset[str]:
    """Return the shipped list of common family names."""
    return _read_names("surnames.txt")


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int  # end of the name itself, before any possessive "'s"
    full_end: int
    word: str
    lower: str


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _WORD.finditer(text):
        word = m.group()
        core = _POSSESSIVE.sub("", word) if len(word) > 2 else word
        out.append(_Token(m.start(), m.start() + len(core), m.end(), core, core.lower()))
    return out


def _is_capitalised(word: str) -> bool:
    # "NHS" and "A&E" are shouted acronyms, not names; a lone capital is an initial.
    return word[0].isupper() and (len(word) == 1 or not word.isupper())


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class ContextNameDetector:
    """Finds names from shipped name lists and surrounding context; no model needed."""

    def __init__(
        self,
        given: frozenset[str] | None = None,
        family: frozenset[str] | None = None,
        ambiguous: frozenset[str] = AMBIGUOUS_GIVEN_NAMES,
    ) -> None:
        self.given = given if given is not None else given_names()
        self.family = family if family is not None else family_names()
        self.ambiguous = ambiguous

    def find(self, text: str) -> list[Span]:
        """Return the spans of likely personal names in text."""
        toks = _tokens(text)
        spans: list[Span] = []
        for i, tok in enumerate(toks):
            nxt = i + 1
            if tok.word in TITLES or tok.lower in ROLES:
                abbreviation = tok.word in TITLES and len(tok.word) <= 4
                gap = r"\.?\s+" if abbreviation else r"\s+"
                spans.extend(self._chain(text, toks, nxt, first_gap=gap))
            elif tok.lower in OWNERS and nxt < len(toks):
                j = nxt
                if toks[j].lower in RELATION_MODIFIERS and self._gap(text, toks, j, r"\s+"):
                    j += 1
                if (
                    j < len(toks)
                    and toks[j].lower in RELATIONS
                    and self._gap(text, toks, j, r"\s+")
                ):
                    spans.extend(self._chain(text, toks, j + 1, first_gap=r",?\s+"))
            elif tok.lower in INTRODUCERS or (
                tok.lower == "name"
                and nxt < len(toks)
                and toks[nxt].lower in {"is", "was"}
                and self._gap(text, toks, nxt, r"\s+")
            ):
                start = nxt if tok.lower != "name" else nxt + 1
                spans.extend(self._chain(text, toks, start, first_gap=r":?\s+"))
            elif tok.word in self.given:
                spans.extend(self._given_name(text, toks, i))
        return _merge(spans)

    def _gap(self, text: str, toks: Sequence[_Token], j: int, pattern: str) -> bool:
        """Tell whether only the gap pattern separates token j-1 from token j."""
        if j <= 0 or j >= len(toks):
            return False
        prev = toks[j - 1]
        if prev.full_end != prev.end:  # a possessive ends the phrase
            return False
        return re.fullmatch(pattern, text[prev.full_end : toks[j].start]) is not None

    def _name_like(self, tok: _Token) -> bool:
        return _is_capitalised(tok.word) and tok.lower not in _NOT_NAMES

    def _chain(
        self, text: str, toks: Sequence[_Token], j: int, *, first_gap: str, limit: int = 0
    ) -> list[Span]:
        """Return the span of up to three capitalised words starting at token j."""
        limit = limit or MAX_NAME_WORDS
        if j >= len(toks) or not self._name_like(toks[j]):
            return []
        if not self._gap(text, toks, j, first_gap):
            return []
        end = j
        while (
            end + 1 < len(toks)
            and end + 1 - j < limit
            and self._name_like(toks[end + 1])
            # an initial may carry a full stop: "J. Patel"
            and self._gap(text, toks, end + 1, r"\.?\s+" if len(toks[end].word) == 1 else r"\s+")
        ):
            end += 1
        return [(toks[j].start, toks[end].end)]

    def _given_name(self, text: str, toks: Sequence[_Token], i: int) -> list[Span]:
        if i > 0 and toks[i - 1].word in PLACE_PREFIXES and self._gap(text, toks, i, r"\.?\s+"):
            return []
        end = i
        while (
            end + 1 < len(toks)
            and end + 1 - i < MAX_NAME_WORDS
            and self._name_like(toks[end + 1])
            and self._gap(text, toks, end + 1, r"\s+")
        ):
            end += 1
        after = end + 1
        if (
            after < len(toks)
            and toks[after].lower in PLACE_SUFFIXES
            and self._gap(text, toks, after, r"\s+")
        ):
            return []
        if toks[i].word in self.ambiguous:
            second = toks[i + 1].word if end > i else None
            known = second is not None and (
                second in self.family or (second in self.given and second not in self.ambiguous)
            )
            speaks = (
                after < len(toks)
                and toks[after].lower in REPORTING_VERBS
                and self._gap(text, toks, after, r"\s+")
            )
            if not (known or speaks):
                return []
        return [(toks[i].start, toks[end].end)]


class SpacyNameDetector:
    """Finds PERSON entities with a spaCy pipeline that has an entity recogniser."""

    def __init__(self, nlp: Any, labels: frozenset[str] = frozenset({"PERSON", "PER"})) -> None:
        self.nlp = nlp
        self.labels = labels

    def find(self, text: str) -> list[Span]:
        """Return the spans of PERSON entities in text."""
        return _merge(
            (ent.start_char, ent.end_char)
            for ent in self.nlp(text).ents
            if ent.label_ in self.labels
        )


class CombinedNameDetector:
    """Union of several detectors' findings."""

    def __init__(self, *detectors: NameDetector) -> None:
        self.detectors = detectors

    def find(self, text: str) -> list[Span]:
        """Return the merged spans every detector found."""
        return _merge(span for d in self.detectors for span in d.find(text))


def installed_ner_model(candidates: Sequence[str] = NER_MODEL_CANDIDATES) -> str | None:
    """Return the name of the first installed spaCy NER model package, or None; never downloads."""
    import spacy.util

    for name in candidates:
        if spacy.util.is_package(name):
            return name
    return None


def default_name_detector() -> NameDetector:
    """Return the context detector, joined by an installed spaCy NER model when there is one."""
    context = ContextNameDetector()
    model = installed_ner_model()
    if model is None:
        return context
    import spacy

    return CombinedNameDetector(context, SpacyNameDetector(spacy.load(model)))
