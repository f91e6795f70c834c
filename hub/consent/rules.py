"""Consent scopes and lawful bases (pure rules: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

REGULATOR_USE = "regulator_use"
PUBLISH_ANONYMISED = "publish_anonymised"
FEEDBACK = "feedback"
EQUALITY_MONITORING = "equality_monitoring"

# Scopes carry behaviour in code (what is kept, shared, relayed), so they are not a vocabulary.
CONSENT_SCOPES: dict[str, str] = {
    REGULATOR_USE: "The account may be shared with the regulator to inform its monitoring",
    PUBLISH_ANONYMISED: "It may count in anonymised statistics and appear as a redacted quote",
    FEEDBACK: "What the regulator did may be relayed back through the partner",
    EQUALITY_MONITORING: "Equality details (age band, sex, ethnic group, disability) may be kept",
}
REQUIRED_SCOPES = (REGULATOR_USE,)

# UK GDPR Article 6 bases, plus explicit consent (Article 9) for health data.
LAWFUL_BASES = (
    "consent",
    "explicit-consent",
    "contract",
    "legal-obligation",
    "vital-interests",
    "public-task",
    "legitimate-interests",
)

GIVEN = "given"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class ConsentTerms:
    """What a partner says the person agreed to, as validated at intake."""

    scopes: tuple[str, ...]
    obtained_at: datetime | None = None
    method: str | None = None
    lawful_basis: str = "consent"
    notice_version: str | None = None

    def allows(self, scope: str) -> bool:
        """Tell whether the person agreed to ``scope``."""
        return scope in self.scopes


def normalise_lawful_basis(value: str) -> str:
    """``Public_Task`` and ``public task`` both mean ``public-task``."""
    return "-".join(value.strip().lower().replace("_", " ").split())
