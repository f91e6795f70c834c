"""What intake needs from the settings: digest keys, limits and safeguarding deadlines."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.config import Settings
from hub.exchange.records.fingerprint import derive_key
from hub.safeguarding.rules import Deadlines


@dataclass(frozen=True)
class IntakeConfig:
    """What intake needs from the settings: digest keys, limits and safeguarding deadlines."""

    digest_key: bytes
    fingerprint_key: bytes
    batch_max: int = 1000
    deadlines: Deadlines = field(default_factory=Deadlines)

    @classmethod
    def from_settings(cls, settings: Settings, secret: str) -> IntakeConfig:
        """Derive the keys from the server secret and read the limits."""
        return cls(
            digest_key=derive_key(secret, "content-digest"),
            fingerprint_key=derive_key(secret, "fingerprint"),
            batch_max=settings.batch_max_records,
            deadlines=Deadlines.from_minutes(
                settings.safeguarding_due_immediate_minutes, settings.safeguarding_due_minutes
            ),
        )
