"""Dates of birth and other full dates, in the forms people write them.

What is removed (docs/privacy.md, "Dates"):

* every date with a day, a month and a year ("17/4/59", "17 Apr 59", "April 17th 1959",
  "1959-04-17", "the 3rd of March 1948"): ``DATE_OF_BIRTH`` when "born", "DOB", "date of birth"
  or "birthday" comes shortly before, else ``DATE``. A day-level date is never published (the
  hub generalises dates to the month), so none stays in a redacted copy;
* after such birth words, also a month and year ("born in March 1948"), a year ("born 1948")
  or a day and month ("birthday is 3rd March").

Month-and-year and years without birth words stay ("the clinic moved in October 2026").
"""

from __future__ import annotations

import re

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from hub.privacy.recognizers import LANGUAGE

DATE_OF_BIRTH = "DATE_OF_BIRTH"
DATE = "DATE"  # a full day-month-year date without birth context

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)?"
_YEAR4 = r"(?:1[89]|20)[0-9]{2}"
_YEAR = rf"(?:{_YEAR4}|['’]?[0-9]{{2}})"
_FULL_DATES = re.compile(
    "|".join(
        (
            r"(?<![0-9])(?P<a>[0-3]?[0-9])(?P<sep>[/.-])(?P<b>[0-3]?[0-9])(?P=sep)"
            r"(?:1[89]|20)?[0-9]{2}(?![0-9])",
            r"(?<![0-9])(?P<c>[0-3]?[0-9]) (?P<d>[0-3]?[0-9]) (?:1[89]|20)[0-9]{2}(?![0-9])",
            rf"(?<![0-9]){_YEAR4}(?P<isep>[/.-])(?:0?[1-9]|1[0-2])(?P=isep)"
            r"(?:0?[1-9]|[12][0-9]|3[01])(?![0-9])",
            rf"\b{_DAY}(?:\s{{1,3}}of)?[\s-]{{1,3}}{_MONTH}[\s,-]{{1,3}}{_YEAR}(?![0-9])",
            rf"\b{_MONTH}\s{{1,3}}(?:the\s{{1,3}})?{_DAY},?\s{{1,3}}{_YEAR}(?![0-9])",
        )
    ),
    re.IGNORECASE,
)
_BIRTH_CONTEXT = (
    r"\b(?:born|dob|d\.o\.b\.?|date\s{1,3}of\s{1,3}birth|birth\s{0,3}date|birthday|b\.)"
)
_BIRTH_NEARBY = re.compile(_BIRTH_CONTEXT + r"(?:\W{1,5}\w{1,12}){0,3}\W{0,5}$", re.IGNORECASE)
# With birth context a month and year, a year alone, or a day and month still date a birth.
_BIRTH_PARTIAL = re.compile(
    _BIRTH_CONTEXT
    + r"[\s:,-]{0,5}(?:(?:is|was|on|in)\s{1,3})?(?:the\s{1,3})?(?P<date>"
    + rf"{_MONTH}\s{{1,3}}{_YEAR}|{_YEAR4}|{_DAY}(?:\s{{1,3}}of)?\s{{1,3}}{_MONTH}"
    + rf"|{_MONTH}\s{{1,3}}{_DAY})(?![0-9])",
    re.IGNORECASE,
)


class DateOfBirthRecognizer(LocalRecognizer):
    """Full dates (dates of birth when birth words precede them) and partial birth dates."""

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
            day_month = (
                (m.group("a"), m.group("b")) if m.group("a") else (m.group("c"), m.group("d"))
            )
            if day_month[0] and not _plausible_day_month(int(day_month[0]), int(day_month[1])):
                continue
            before = text[max(0, m.start() - 40) : m.start()]
            found[m.span()] = DATE_OF_BIRTH if _BIRTH_NEARBY.search(before) else DATE
        for m in _BIRTH_PARTIAL.finditer(text):
            span = m.span("date")
            if not any(s <= span[0] < e or s < span[1] <= e for s, e in found):
                found[span] = DATE_OF_BIRTH
        return [
            RecognizerResult(
                entity_type=kind,
                start=start,
                end=end,
                score=self.SCORE,
                recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: "dates"},
            )
            for (start, end), kind in sorted(found.items())
            if kind in entities
        ]


def _plausible_day_month(a: int, b: int) -> bool:
    # Day first in the UK, but accept month-first when that is the only reading.
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)
