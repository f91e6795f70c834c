"""Which vocabularies exist and what the record's fields call them (pure rules)."""

from __future__ import annotations

import re

# Canonical kind → description. Kinds are fixed in code; their values are data.
KINDS: dict[str, str] = {
    "key_question": "The regulator's five key questions",
    "respondent_role": "Who is telling the story",
    "sentiment": "The partner's reading of the account's tone",
    "safeguarding_category": "Care Act 2014 categories of abuse and neglect, and self-harm",
    "service_type": "Kind of service the experience was of",
    "collection_channel": "How the partner heard the account",
    "theme": "What the account is about",
    "condition_area": "Condition areas (also what agreements and datasets cover)",
    "age_band": "Equality monitoring: age band",
    "sex": "Equality monitoring: sex",
    "ethnic_group": "Equality monitoring: ethnic group",
    "disability": "Equality monitoring: disability",
}

# Record field (dotted path) → the kind its values come from.
FIELD_KINDS: dict[str, str] = {
    "service_type": "service_type",
    "respondent_role": "respondent_role",
    "collection_channel": "collection_channel",
    "sentiment": "sentiment",
    "key_questions": "key_question",
    "condition_areas": "condition_area",
    "themes": "theme",
    "safeguarding.categories": "safeguarding_category",
    "equality.age_band": "age_band",
    "equality.sex": "sex",
    "equality.ethnic_group": "ethnic_group",
    "equality.disability": "disability",
}

VALUE_PATTERN = re.compile(r"[a-z0-9][a-z0-9+-]{0,59}")


def canonical_kind(kind: str) -> str | None:
    """The canonical kind for what a person typed (``condition-areas`` → ``condition_area``)."""
    key = kind.strip().lower().replace("-", "_").replace(" ", "_")
    if key in KINDS:
        return key
    for field, canonical in FIELD_KINDS.items():
        if key == field.rsplit(".", 1)[-1]:
            return canonical
    if key.endswith("ies") and key[:-3] + "y" in KINDS:
        return key[:-3] + "y"
    if key.endswith("s") and key[:-1] in KINDS:
        return key[:-1]
    return None


def is_valid_value(value: str) -> bool:
    """Values are lower-case slugs (digits, ``-`` and ``+`` allowed, as in ``85+``)."""
    return VALUE_PATTERN.fullmatch(value) is not None
