"""How to fill in the spreadsheet: every column of the template, whether it is required, what it
holds, its allowed values with what each means (read from the vocabularies, which the regulator
can extend) and an example. The portal's help page shows it; row errors link to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from hub.consent.rules import LAWFUL_BASES
from hub.exchange.csv.dates import DATE_EXAMPLES, MONTH_EXAMPLES, TIME_EXAMPLES
from hub.exchange.csv.messages import LIST_COLUMNS, VOCAB_COLUMNS
from hub.exchange.csv.template import COLUMNS, EXAMPLE_ROWS, REQUIRED_COLUMNS
from hub.vocab.services import list_terms

YES_NO = "yes or no (y/n, true/false and 1/0 work too)"

# What each column holds, in the words of the person filling it in.
ABOUT: dict[str, str] = {
    "partner_record_id": "Your own reference for the record: any text up to 100 characters, "
    "different for each record. Sending a row again with the same reference adds nothing new.",
    "location_id": "Where it happened: the location's id in the regulator's registry (1- and 8 "
    "to 11 digits) or an NHS trust's code (R and 2 to 4 letters or digits). Find it with 'Find "
    "a location'. If you do not know it, leave it empty and fill in service_name and "
    "service_postcode.",
    "service_name": "The name of the service, when you do not give location_id. With a postcode "
    "the hub looks it up in the registry.",
    "service_postcode": "The service's postcode, with service_name.",
    "service_type": "The kind of service.",
    "experience_date": f"When it happened: a day ({DATE_EXAMPLES}, day first) or, if only the "
    f"month is known, a month ({MONTH_EXAMPLES}). Not in the future.",
    "respondent_role": "Who is telling the story.",
    "collection_channel": "How you heard it.",
    "overall_experience": "How the person rated it, from 1 (very good) to 5 (very poor); leave "
    "it empty if they did not say.",
    "sentiment": "Your reading of the account's tone.",
    "key_questions": "Which of the regulator's five key questions it is about.",
    "condition_areas": "The health conditions it concerns.",
    "themes": "What it is about.",
    "narrative": "What the person told you, in their own words (up to 10,000 characters). Names, "
    "phone numbers and other identifiers are removed before anyone else reads it.",
    "safeguarding_concern": f"Whether you think someone is at risk of abuse or neglect: {YES_NO}. "
    "The regulator's safeguarding team is told at once.",
    "safeguarding_immediate_risk": f"Whether someone is in danger now: {YES_NO}.",
    "safeguarding_categories": "The kinds of abuse or neglect, if there is a concern.",
    "consent_regulator_use": f"The person agreed to share this with the regulator: {YES_NO}. "
    "It must be yes: the hub only takes accounts people agreed to share.",
    "consent_publish_anonymised": f"The person agreed that it may count in anonymised figures "
    f"and appear as a quote without identifiers: {YES_NO}.",
    "consent_feedback": f"The person would like to hear what came of it, through you: {YES_NO}.",
    "consent_equality_monitoring": f"The person agreed that their equality answers may be kept: "
    f"{YES_NO}. Without yes, age_band, sex, ethnic_group and disability are not kept (the row "
    "is still taken, with a warning).",
    "consent_obtained_at": f"When they agreed: a day, or a day and time ({TIME_EXAMPLES}). "
    "A time without an offset is UK time (BST in summer, GMT in winter), not UTC.",
    "consent_method": "How they agreed (for example online, phone, face-to-face, paper).",
    "consent_lawful_basis": "The lawful basis for sharing: consent unless you were told otherwise.",
    "age_band": "Equality monitoring: the person's age band.",
    "sex": "Equality monitoring: the person's sex.",
    "ethnic_group": "Equality monitoring: the person's ethnic group.",
    "disability": "Equality monitoring: whether the person has a disability.",
}
REQUIRED_TEXT = {
    "location_id": "Either location_id, or service_name with service_postcode",
    "service_name": "Either location_id, or service_name with service_postcode",
    "service_postcode": "Either location_id, or service_name with service_postcode",
}
BASIS_LABELS = {
    "consent": "The person's consent (the usual one)",
    "explicit-consent": "The person's explicit consent",
    "contract": "A contract",
    "legal-obligation": "A legal obligation",
    "vital-interests": "Someone's vital interests",
    "public-task": "A public task",
    "legitimate-interests": "Your organisation's legitimate interests",
}


@dataclass(frozen=True)
class ColumnHelp:
    name: str
    required: str  # "Required", "Optional" or the rule that applies
    about: str
    example: str
    several: bool = False
    values: list[tuple[str, str]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"column-{self.name}"


def _example(name: str) -> str:
    for row in EXAMPLE_ROWS:
        if row.get(name):
            return row[name]
    return ""


def spreadsheet_guide(session: Session) -> list[ColumnHelp]:
    """Every column of the template, in the template's order."""
    terms: dict[str, list[tuple[str, str]]] = {}
    for term in list_terms(session):
        terms.setdefault(term.kind, []).append((term.value, term.label))
    out = []
    for name in COLUMNS:
        values = terms.get(VOCAB_COLUMNS[name][0], []) if name in VOCAB_COLUMNS else []
        if name == "consent_lawful_basis":
            values = [(basis, BASIS_LABELS.get(basis, basis)) for basis in LAWFUL_BASES]
        required = REQUIRED_TEXT.get(name, "Required" if name in REQUIRED_COLUMNS else "Optional")
        out.append(
            ColumnHelp(
                name=name,
                required=required,
                about=ABOUT[name],
                example=_example(name),
                several=name in LIST_COLUMNS,
                values=values,
            )
        )
    return out
