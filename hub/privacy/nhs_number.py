"""NHS number check-digit rule (modulus 11)."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s-]")
_TEN_DIGITS = re.compile(r"[0-9]{10}")


def nhs_check_digit(first_nine: str) -> int | None:
    """Return the check digit for nine leading digits, or None when no number can have them."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("expected exactly nine digits")
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    # A remainder giving 10 is never issued, so such a number cannot be valid.
    return None if check == 10 else check


def is_valid_nhs_number(s: str) -> bool:
    """Tell whether s is ten digits (spaces or dashes allowed) with a correct check digit."""
    digits = _SEPARATORS.sub("", s)
    if not _TEN_DIGITS.fullmatch(digits):
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])
