"""Presidio recognisers for the UK identifiers the hub removes: NHS, e-mail, phone, postcode, NI.

They run without an NLP pipeline (pattern recognisers need none), so no spaCy tokenizer ever sees
raw text. Every pattern's repetitions are bounded, and the redactor hands recognisers bounded
chunks, so their cost is linear in the narrative whatever it holds.
"""

from __future__ import annotations

import phonenumbers
import tldextract
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    UkNinoRecognizer,
    UkPostcodeRecognizer,
)

from hub.privacy.generalise import POSTCODE_PATTERN
from hub.privacy.nhs_number import is_valid_nhs_number

LANGUAGE = "en"

NHS_NUMBER = "NHS_NUMBER"
EMAIL = "EMAIL"
PHONE = "PHONE"
POSTCODE = "POSTCODE"
NI_NUMBER = "NI_NUMBER"


class NhsNumberRecognizer(PatternRecognizer):
    """Ten digits, bare or grouped 3-3-4 with spaces, dashes or dots, with a valid check digit."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity=NHS_NUMBER,
            patterns=[
                Pattern(
                    "NHS number",
                    r"(?<![0-9])[0-9]{3}[ .-]{0,2}[0-9]{3}[ .-]{0,2}[0-9]{4}(?![0-9])",
                    0.5,
                )
            ],
            context=["nhs", "number", "patient"],
            supported_language=LANGUAGE,
        )

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_nhs_number(pattern_text.replace(".", ""))


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recogniser, with bounded parts and the bundled public-suffix list.

    Presidio's own pattern has an unbounded middle, which costs quadratic time on a long word;
    this one bounds each part by the limits of RFC 5321 and never starts inside a word.
    """

    PATTERN = (
        r"(?<![\w!#$%&'*+/=?^`{|}~.-])[\w!#$%&'*+/=?^`{|}~.-]{1,64}"
        r"@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}(?![\w-])"
    )

    def __init__(self) -> None:
        super().__init__(
            patterns=[Pattern("Email", self.PATTERN, 0.5)],
            supported_entity=EMAIL,
            supported_language=LANGUAGE,
        )
        # No URLs and no cache: only the snapshot shipped inside tldextract is read.
        self._extract = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())

    def validate_result(self, pattern_text: str) -> bool:
        return self._extract(pattern_text).fqdn != ""


class UkPhoneRecognizer(PatternRecognizer):
    """UK numbers: 0 and 9-10 digits, or +44/0044 and 9-10 digits, checked by phonenumbers.

    Presidio's PhoneRecognizer (phonenumbers' matcher) misses Ofcom's drama ranges and new
    allocations at its default leniency, and at the loosest one splits adjacent numbers into
    fragments, so candidates are found by pattern and only checked with phonenumbers.
    """

    PATTERN = (
        r"(?<![\w+])(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(?0)"
        r"[0-9](?:[ .-]?\)?[ .-]?[0-9]){8,9}(?![0-9])"
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
            number = phonenumbers.parse(pattern_text.replace(".", " "), "GB")
        except phonenumbers.NumberParseException:
            return False
        # None keeps the pattern's score, so a valid NHS number on the same digits wins.
        return None if phonenumbers.is_possible_number(number) else False


def identifier_recognizers() -> list[EntityRecognizer]:
    """The recognisers for UK identifiers, each a Presidio recogniser needing no NLP."""
    return [
        NhsNumberRecognizer(),
        OfflineEmailRecognizer(),
        UkPhoneRecognizer(),
        # Patterns match in any case (Presidio's default flags): "ls6 2qh", "ls62qh".
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
    ]
