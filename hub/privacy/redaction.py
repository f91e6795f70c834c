"""Redaction of personal identifiers from free-text narratives: the engine intake runs.

Layers, so that one miss is caught by another (docs/privacy.md):

1. Identifiers, by Presidio's pattern recognisers with no NLP pipeline
   (:mod:`hub.privacy.recognizers`: NHS numbers with their check digit, e-mail addresses, UK
   phone numbers checked by ``phonenumbers``, postcodes in any case, NI numbers) and dates
   (:mod:`hub.privacy.dates`: dates of birth in every common form, and every full date).
2. Names (:mod:`hub.privacy.names`): gazetteers, context, keep-lists, every mention, and a spaCy
   NER pipeline when ``HUB_SPACY_MODEL`` names an installed one.

Everything runs offline and costs time linear in the text: recognisers see bounded chunks and
the name engine looks at each word and a few neighbours. Overlapping findings become one
placeholder, named after the most specific kind found there (an e-mail address over the name
inside it).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from presidio_analyzer import EntityRecognizer

from hub.privacy.dates import DATE, DATE_OF_BIRTH, DateOfBirthRecognizer
from hub.privacy.keep import KeepList
from hub.privacy.names import (
    ContextNameDetector,
    NameDetector,
    SpacyNameDetector,
    default_name_detector,
)
from hub.privacy.recognizers import (
    EMAIL,
    LANGUAGE,
    NHS_NUMBER,
    NI_NUMBER,
    PHONE,
    POSTCODE,
    NhsNumberRecognizer,
    OfflineEmailRecognizer,
    UkPhoneRecognizer,
    identifier_recognizers,
)
from hub.privacy.text import BLANK, chunks, words

NAME = "NAME"
# Most specific first: where findings overlap, the first kind in this order names the span.
ENTITIES = (EMAIL, NHS_NUMBER, NI_NUMBER, PHONE, POSTCODE, DATE_OF_BIRTH, DATE, NAME)
PLACEHOLDERS = {entity: f"[{entity}]" for entity in ENTITIES}
_RANK = {entity: n for n, entity in enumerate(ENTITIES)}

# Recognisers see windows of CHUNK characters overlapping by OVERLAP, so the cost of any
# pattern is bounded per window, and any identifier up to OVERLAP characters long (an e-mail
# address is at most 254) lies whole inside one window.
CHUNK = 1024
OVERLAP = 256
_DIGIT_OR_AT = re.compile(r"[0-9@]")
_PLACEHOLDER = re.compile(r"\[(?:" + "|".join(ENTITIES) + r")\]")

__all__ = [
    "DATE",
    "DATE_OF_BIRTH",
    "EMAIL",
    "ENTITIES",
    "LANGUAGE",
    "NAME",
    "NHS_NUMBER",
    "NI_NUMBER",
    "PHONE",
    "PLACEHOLDERS",
    "POSTCODE",
    "DateOfBirthRecognizer",
    "Finding",
    "NhsNumberRecognizer",
    "OfflineEmailRecognizer",
    "RedactionResult",
    "Redactor",
    "UkPhoneRecognizer",
    "get_redactor",
    "redact",
    "redact_many",
]


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """A redacted text and how many spans of each entity type were replaced (never the values).

    ``hidden`` gives each replaced span of the *original* text as ``(start, end, placeholder)``,
    so that words quoted from the original (a safeguarding reason) can be hidden the same way."""

    text: str
    entities: dict[str, int] = field(default_factory=dict)
    hidden: tuple[tuple[int, int, str], ...] = ()

    @property
    def changed(self) -> bool:
        """Tell whether anything was redacted."""
        return bool(self.entities)


@dataclass(frozen=True, slots=True)
class Finding:
    """One span of the original text to replace, and what it is."""

    start: int
    end: int
    entity: str


class Redactor:
    """Finds and replaces UK personal identifiers; build once and reuse (construction is slow)."""

    def __init__(
        self,
        *,
        name_detector: NameDetector | None = None,
        nlp: Any | None = None,
        keep: KeepList | None = None,
        spacy_model: str | None = None,
    ) -> None:
        if name_detector is None:
            name_detector = default_name_detector(spacy_model)
        if nlp is not None:  # a spaCy pipeline given directly: its PERSON entities join in
            name_detector = ContextNameDetector(ner=SpacyNameDetector(nlp))
        self.names = name_detector
        self.keep = keep
        self.recognizers: list[EntityRecognizer] = [
            *identifier_recognizers(),
            DateOfBirthRecognizer(),
        ]

    @staticmethod
    def _may_hold_identifiers(window: str) -> bool:
        # Every identifier pattern needs a digit (NHS, phone, postcode, NI number, date) or an
        # "@" (e-mail): most narratives have neither, and skip the recognisers altogether.
        return _DIGIT_OR_AT.search(window) is not None

    def find(self, text: str, keep: KeepList | None = None) -> list[Finding]:
        """Every span to replace in text, overlaps resolved, in order."""
        found = self._identifiers(text)
        keep = keep or self.keep
        if isinstance(self.names, ContextNameDetector):
            # The name rules read the words around identifiers (and placeholders of an earlier
            # redaction), never inside them.
            masked = _masked(text, found)
            spans = self.names.find_in(masked, words(masked), keep)
        else:
            spans = self.names.find(text)
        found.extend(Finding(s, e, NAME) for s, e in spans)
        return _resolve(found)

    def redact(self, text: str, keep: KeepList | None = None) -> RedactionResult:
        """Return text with every identifier found replaced by a placeholder such as [NAME]."""
        if not text.strip():
            return RedactionResult(text)
        findings = self.find(text, keep)
        if not findings:
            return RedactionResult(text)
        parts: list[str] = []
        at = 0
        for f in findings:
            parts.append(text[at : f.start])
            parts.append(PLACEHOLDERS[f.entity])
            at = f.end
        parts.append(text[at:])
        counts = Counter(f.entity for f in findings)
        hidden = tuple((f.start, f.end, PLACEHOLDERS[f.entity]) for f in findings)
        return RedactionResult("".join(parts), dict(sorted(counts.items())), hidden)

    def redact_many(
        self, texts: Iterable[str], keep: KeepList | None = None
    ) -> list[RedactionResult]:
        """Redact many texts, each exactly as :meth:`redact` would."""
        return [self.redact(text, keep) for text in texts]

    def _identifiers(self, text: str) -> list[Finding]:
        found: set[Finding] = set()
        for start in chunks(len(text), size=CHUNK, overlap=OVERLAP, text=text):
            window = text[start : start + CHUNK]
            if not self._may_hold_identifiers(window):
                continue
            digits = sum(map(window.count, "0123456789"))
            for recognizer in self.recognizers:
                if not _worth_a_look(recognizer.supported_entities[0], window, digits):
                    continue
                # No NLP artefacts: these recognisers work on the characters alone.
                for r in recognizer.analyze(window, recognizer.supported_entities, None):  # type: ignore[arg-type]
                    found.add(Finding(start + r.start, start + r.end, r.entity_type))
        return list(found)


# What a window must hold before a recogniser is worth running on it: cheap tests that every
# match of its pattern passes (an NHS number or a UK phone number has ten digits or more).
_POSTCODE_HINT = re.compile(r"[A-Za-z][0-9]")
_NI_HINT = re.compile(r"[A-Za-z]{2} ?[0-9]{2}")


def _worth_a_look(entity: str, window: str, digits: int) -> bool:
    if entity in (NHS_NUMBER, PHONE):
        return digits >= 10
    if entity == EMAIL:
        return "@" in window
    if entity == POSTCODE:
        return _POSTCODE_HINT.search(window) is not None
    if entity == NI_NUMBER:
        return digits >= 6 and _NI_HINT.search(window) is not None
    return digits > 0


def _masked(text: str, found: Sequence[Finding]) -> str:
    """Text with every identifier found and every placeholder blanked out, in place.

    The blank (:data:`hub.privacy.text.BLANK`) is neither a letter, a space nor punctuation
    that ends a sentence, and reads as one word no rule takes for a name, so the rules see the
    same text around an identifier whether it is still there or already a placeholder.
    """
    spans = [(f.start, f.end) for f in found]
    if "[" in text:
        spans.extend(m.span() for m in _PLACEHOLDER.finditer(text))
    if not spans:
        return text
    parts: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if end <= at:
            continue
        start = max(start, at)
        parts.append(text[at:start])
        parts.append(BLANK * (end - start))
        at = end
    parts.append(text[at:])
    return "".join(parts)


def _resolve(found: Iterable[Finding]) -> list[Finding]:
    """Join overlapping findings into one, named after the most specific kind among them."""
    out: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.start, -f.end)):
        if out and f.start < out[-1].end:
            last = out[-1]
            entity = min(last.entity, f.entity, key=_RANK.__getitem__)
            out[-1] = Finding(last.start, max(last.end, f.end), entity)
        else:
            out.append(f)
    return out


_lock = threading.Lock()
_shared: Redactor | None = None


def get_redactor() -> Redactor:
    """Return the process-wide Redactor, building it on first use."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                from hub.config import Settings

                _shared = Redactor(spacy_model=Settings.from_env().spacy_model or None)
    return _shared


def redact(text: str, keep: KeepList | None = None) -> RedactionResult:
    """Redact one text with the shared Redactor."""
    return get_redactor().redact(text, keep)


def redact_many(texts: Sequence[str], keep: KeepList | None = None) -> list[RedactionResult]:
    """Redact many texts with the shared Redactor (``keep``: e.g. the registry's places)."""
    return get_redactor().redact_many(texts, keep)
