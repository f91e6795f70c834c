"""Redaction of personal identifiers from free-text narratives, built on Presidio.

Everything runs offline. No trained spaCy model is installable from the package index, so the
analyzer gets a blank English pipeline (tokenisation only) unless an NER model package is already
installed; names come from the pluggable detector in ``hub.privacy.names``. Presidio's URL
recogniser is left out and e-mail validation uses tldextract's bundled suffix list, because by
default tldextract downloads the public-suffix list on first use.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
import spacy
import tldextract
from presidio_analyzer import (
    AnalyzerEngine,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    UkNinoRecognizer,
    UkPostcodeRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import ConflictResolutionStrategy, OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as Found

from hub.privacy.generalise import POSTCODE_PATTERN
from hub.privacy.names import ContextNameDetector, NameDetector, installed_ner_model
from hub.privacy.nhs_number import is_valid_nhs_number

LANGUAGE = "en"

NHS_NUMBER = "NHS_NUMBER"
EMAIL = "EMAIL"
PHONE = "PHONE"
POSTCODE = "POSTCODE"
NI_NUMBER = "NI_NUMBER"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
DATE = "DATE"  # a full day-month-year date without birth context
NAME = "NAME"
ENTITIES = (NHS_NUMBER, EMAIL, PHONE, POSTCODE, NI_NUMBER, DATE_OF_BIRTH, DATE, NAME)
PLACEHOLDERS = {entity: f"[{entity}]" for entity in ENTITIES}

_NER_LABELS_TO_IGNORE = (
    "ORG", "GPE", "LOC", "NORP", "FAC", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY",
    "ORDINAL", "CARDINAL", "EVENT", "PRODUCT", "LAW", "LANGUAGE", "WORK_OF_ART", "MISC",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """A redacted text and how many spans of each entity type were replaced (never the values)."""

    text: str
    entities: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Tell whether anything was redacted."""
        return bool(self.entities)


class _PipelineNlpEngine(SpacyNlpEngine):
    """A spaCy engine over a pipeline built in memory, so Presidio never loads or downloads one."""

    def __init__(self, nlp: spacy.language.Language) -> None:
        super().__init__(
            models=[{"lang_code": LANGUAGE, "model_name": nlp.meta.get("name", "blank")}],
            ner_model_configuration=NerModelConfiguration(
                model_to_presidio_entity_mapping={"PERSON": "PERSON", "PER": "PERSON"},
                labels_to_ignore=_NER_LABELS_TO_IGNORE,
            ),
        )
        self._pipeline = nlp

    def load(self) -> None:
        self.nlp = {LANGUAGE: self._pipeline}  # type: ignore[assignment]


class _ScoresAsFound(ContextAwareEnhancer):
    """Leaves scores alone.

    Presidio's default enhancer matches context words against lemmas, which a blank pipeline
    does not produce; and since every finding is redacted whatever its score, boosting would
    only cost time (about a fifth of the analysis).
    """

    def __init__(self) -> None:
        super().__init__(0.0, 0.0, 0, 0)

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[Any],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        return raw_results


class NhsNumberRecognizer(PatternRecognizer):
    """Ten digits, plain or grouped 3-3-4 with spaces or dashes, with a valid check digit."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity=NHS_NUMBER,
            patterns=[Pattern("NHS number", r"\b[0-9]{3}([ -]?)[0-9]{3}\1[0-9]{4}\b", 0.5)],
            context=["nhs", "number", "patient"],
            supported_language=LANGUAGE,
        )

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_nhs_number(pattern_text)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recogniser validating domains against the bundled suffix snapshot."""

    def __init__(self) -> None:
        super().__init__(supported_entity=EMAIL, supported_language=LANGUAGE)
        # No URLs and no cache: only the snapshot shipped inside tldextract is read.
        self._extract = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

    def validate_result(self, pattern_text: str) -> bool:
        return self._extract(pattern_text).fqdn != ""


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?"
_YEAR4 = r"(?:1[89]|20)[0-9]{2}"
_YEAR = rf"(?:{_YEAR4}|'[0-9]{{2}})"
_FULL_DATES = re.compile(
    "|".join(
        (
            r"\b(?P<a>[0-3]?[0-9])(?P<sep>[/.-])(?P<b>[0-3]?[0-9])(?P=sep)(?:1[89]|20)?[0-9]{2}\b",
            rf"\b{_YEAR4}(?P<isep>[/.-])(?:0?[1-9]|1[0-2])(?P=isep)(?:0?[1-9]|[12][0-9]|3[01])\b",
            rf"\b{_DAY}(?:\s+of)?[\s-]+{_MONTH}[\s,-]+{_YEAR}\b",
            rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b",
        )
    ),
    re.IGNORECASE,
)
_BIRTH_CONTEXT = r"\b(?:born|dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birthday)"
_BIRTH_NEARBY = re.compile(_BIRTH_CONTEXT + r"(?:\W+\w+){0,3}\W*$", re.IGNORECASE)
# With birth context a month and year, or a year alone, still dates someone's birth.
_BIRTH_PARTIAL = re.compile(
    _BIRTH_CONTEXT + rf"[\s:,-]*(?:(?:on|in)\s+)?(?P<date>{_MONTH}\s+{_YEAR4}|{_YEAR4})\b",
    re.IGNORECASE,
)


class DateOfBirthRecognizer(LocalRecognizer):
    """Full dates (dates of birth when "born", "DOB" or the like precede them) and birth years."""

    SCORE = 0.6

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[DATE_OF_BIRTH, DATE], supported_language=LANGUAGE, name="dates"
        )

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        found: dict[tuple[int, int], str] = {}
        for m in _FULL_DATES.finditer(text):
            if m.group("a") and not _plausible_day_month(int(m.group("a")), int(m.group("b"))):
                continue
            before = text[max(0, m.start() - 40) : m.start()]
            found[m.span()] = DATE_OF_BIRTH if _BIRTH_NEARBY.search(before) else DATE
        for m in _BIRTH_PARTIAL.finditer(text):
            span = m.span("date")
            if not any(s <= span[0] and span[1] <= e for s, e in found):
                found[span] = DATE_OF_BIRTH
        return [
            self._result(kind, start, end)
            for (start, end), kind in found.items()
            if kind in entities
        ]

    def _result(self, entity: str, start: int, end: int) -> RecognizerResult:
        return RecognizerResult(
            entity_type=entity,
            start=start,
            end=end,
            score=self.SCORE,
            recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: "dates"},
        )


class UkPhoneRecognizer(PatternRecognizer):
    """UK numbers: 0 and 9-10 digits, or +44/0044 and 9-10 digits, checked by phonenumbers.

    Presidio's PhoneRecognizer (phonenumbers' matcher) misses Ofcom's drama ranges and new
    allocations at its default leniency, and at the loosest one splits adjacent numbers into
    fragments, so candidates are found by pattern and only checked with phonenumbers.
    """

    PATTERN = (
        r"(?<![\w+])(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(?0)"
        r"[0-9](?:[ -]?\)?[ -]?[0-9]){8,9}(?![0-9])"
    )

    def __init__(self) -> None:
        super().__init__(
            supported_entity=PHONE,
            patterns=[Pattern("UK phone", self.PATTERN, 0.4)],
            context=["phone", "call", "ring", "mobile", "tel", "number"],
            supported_language=LANGUAGE,
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        try:
            number = phonenumbers.parse(pattern_text, "GB")
        except phonenumbers.NumberParseException:
            return False
        # None keeps the pattern's score, so a valid NHS number on the same digits wins.
        return None if phonenumbers.is_possible_number(number) else False


def _plausible_day_month(a: int, b: int) -> bool:
    # Day first in the UK, but accept month-first when that is the only reading.
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


class NameRecognizer(LocalRecognizer):
    """Personal names from a pluggable detector plus any PERSON entities of the NLP pipeline."""

    SCORE = 0.5

    def __init__(self, detector: NameDetector) -> None:
        super().__init__(supported_entities=[NAME], supported_language=LANGUAGE, name="names")
        self.detector = detector

    def load(self) -> None:
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        spans = set(self.detector.find(text))
        if nlp_artifacts is not None:
            spans.update(
                (ent.start_char, ent.end_char)
                for ent in nlp_artifacts.entities
                if ent.label_ == "PERSON"
            )
        return [
            RecognizerResult(
                entity_type=NAME,
                start=start,
                end=end,
                score=self.SCORE,
                recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: "names"},
            )
            for start, end in sorted(spans)
        ]


def uk_recognizers(name_detector: NameDetector) -> list[Any]:
    """Return the recognisers for UK identifiers used by the hub."""
    return [
        NhsNumberRecognizer(),
        OfflineEmailRecognizer(),
        UkPhoneRecognizer(),
        UkPostcodeRecognizer(
            patterns=[Pattern("UK postcode", rf"\b{POSTCODE_PATTERN}\b", 0.6)],
            supported_entity=POSTCODE,
        ),
        UkNinoRecognizer(
            patterns=[
                Pattern("NI number", r"\b[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b", 0.6)
            ],
            supported_entity=NI_NUMBER,
        ),
        DateOfBirthRecognizer(),
        NameRecognizer(name_detector),
    ]


def default_pipeline() -> spacy.language.Language:
    """Return an installed spaCy NER model if there is one, else a blank English pipeline."""
    model = installed_ner_model()
    if model is None:
        return spacy.blank(LANGUAGE)
    return spacy.load(model, disable=["parser", "lemmatizer"])


class Redactor:
    """Finds and replaces UK personal identifiers; build once and reuse (construction is slow)."""

    def __init__(
        self,
        *,
        name_detector: NameDetector | None = None,
        nlp: spacy.language.Language | None = None,
        batch_size: int = 64,
    ) -> None:
        self.nlp_engine = _PipelineNlpEngine(nlp if nlp is not None else default_pipeline())
        self.nlp_engine.load()
        registry = RecognizerRegistry(
            recognizers=uk_recognizers(name_detector or ContextNameDetector()),
            supported_languages=[LANGUAGE],
        )
        self.analyzer = AnalyzerEngine(
            registry=registry,
            nlp_engine=self.nlp_engine,
            supported_languages=[LANGUAGE],
            context_aware_enhancer=_ScoresAsFound(),
        )
        self.anonymizer = AnonymizerEngine()
        self.operators = {
            entity: OperatorConfig("replace", {"new_value": placeholder})
            for entity, placeholder in PLACEHOLDERS.items()
        }
        self.batch_size = batch_size

    def redact(self, text: str) -> RedactionResult:
        """Return text with every identifier found replaced by a placeholder such as [NAME]."""
        return self._redact(text, None)

    def redact_many(self, texts: Iterable[str]) -> list[RedactionResult]:
        """Redact many texts, tokenising them in batches."""
        items = list(texts)
        artifacts = self.nlp_engine.process_batch(items, LANGUAGE, batch_size=self.batch_size)
        return [self._redact(item[0], item[1]) for item in artifacts]

    def _redact(self, text: str, artifacts: NlpArtifacts | None) -> RedactionResult:
        if not text.strip():
            return RedactionResult(text)
        found = self.analyzer.analyze(
            text, language=LANGUAGE, entities=list(ENTITIES), nlp_artifacts=artifacts
        )
        if not found:
            return RedactionResult(text)
        result = self.anonymizer.anonymize(
            text,
            [Found(r.entity_type, r.start, r.end, r.score) for r in found],
            # only the operators in use: the anonymizer deep-copies what it is given
            operators={r.entity_type: self.operators[r.entity_type] for r in found},
            conflict_resolution=ConflictResolutionStrategy.REMOVE_INTERSECTIONS,
        )
        counts = Counter(item.entity_type for item in result.items)
        return RedactionResult(result.text, dict(sorted(counts.items())))


_lock = threading.Lock()
_shared: Redactor | None = None


def get_redactor() -> Redactor:
    """Return the process-wide Redactor, building it on first use."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                _shared = Redactor()
    return _shared


def redact(text: str) -> RedactionResult:
    """Redact one text with the shared Redactor."""
    return get_redactor().redact(text)


def redact_many(texts: Sequence[str]) -> list[RedactionResult]:
    """Redact many texts with the shared Redactor."""
    return get_redactor().redact_many(texts)
