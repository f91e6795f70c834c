"""Fuzzing the redactor: a planted identifier never survives, whatever text surrounds it.

Valid NHS numbers (modulus 11), e-mail addresses, UK mobile and landline numbers and postcodes
are generated, dropped into generated prose at a random place, and the redacted text must not
contain them in any spacing. Redacting twice changes nothing. (tests/unit/test_redaction.py
covers each recogniser's edge cases; this is the property over arbitrary surroundings.)
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.privacy.nhs_number import nhs_check_digit
from hub.privacy.redaction import get_redactor

FUZZ = settings(max_examples=120)

words = st.sampled_from(
    [
        "the", "ward", "was", "busy", "and", "nobody", "explained", "my", "medication", "after",
        "discharge", "Mum", "called", "on", "Tuesday", "at", "10:30", "bed", "12", "A&E", "GP",
        "waited", "4", "hours", "(", ")", "-", ",", ".", "!", "?", ":", ";", "'", '"', "\n",
        "number", "email", "phone", "postcode", "NHS", "ref", "contact", "me", "via",
    ]
)  # fmt: skip
prose = st.lists(words, max_size=12).map(" ".join)


@st.composite
def nhs_numbers(draw: st.DrawFn) -> str:
    first_nine = draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    check = nhs_check_digit(first_nine)
    if check is None:
        first_nine = first_nine[:8] + str((int(first_nine[8]) + 1) % 10)
        check = nhs_check_digit(first_nine)
    assert check is not None
    digits = first_nine + str(check)
    sep = draw(st.sampled_from(["", " ", "-"]))
    return f"{digits[:3]}{sep}{digits[3:6]}{sep}{digits[6:]}"


local_part = st.from_regex(r"[a-z][a-z0-9]{0,8}([._+-][a-z0-9]{1,6}){0,2}", fullmatch=True)
domains = st.sampled_from(
    ["example.com", "nhs.net", "mail.co.uk", "outlook.com", "charity.org.uk", "gmail.com"]
)
emails = st.builds(lambda local, domain: f"{local}@{domain}", local_part, domains)


@st.composite
def phones(draw: st.DrawFn) -> str:
    # Ofcom's drama ranges: 07700 900xxx (mobile), 020 7946 0xxx (London), 0113 496 0xxx (Leeds).
    tail = draw(st.integers(0, 999))
    style = draw(st.sampled_from(["mobile", "mobile+44", "london", "leeds"]))
    if style == "mobile":
        return f"07700 900{tail:03d}"
    if style == "mobile+44":
        return f"+44 7700 900{tail:03d}"
    if style == "london":
        return f"020 7946 0{tail:03d}"
    return f"0113 496 0{tail:03d}"


@st.composite
def postcodes(draw: st.DrawFn) -> str:
    outward = draw(st.sampled_from(["SW1A", "M1", "B33", "LS1", "EH1", "CR2", "W1A", "NE30"]))
    inward = draw(st.from_regex(r"[0-9][ABD-HJLNP-UW-Z]{2}", fullmatch=True))
    sep = draw(st.sampled_from([" ", ""]))
    return f"{outward}{sep}{inward}"


identifiers = nhs_numbers() | emails | phones() | postcodes()
joins = st.sampled_from([" ", ": ", " (", ", ", "\n", " - "])


def squashed(text: str) -> str:
    return re.sub(r"[\s\-()+]", "", text).lower()


@FUZZ
@given(before=prose, after=prose, planted=identifiers, left=joins, right=joins)
def test_a_planted_identifier_never_survives(before, after, planted, left, right):
    text = f"{before}{left}{planted}{right}{after}"
    once = get_redactor().redact(text)
    assert planted not in once.text
    assert squashed(planted) not in squashed(once.text), once.text
    twice = get_redactor().redact(once.text)
    assert twice.text == once.text
