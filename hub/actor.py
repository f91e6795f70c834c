"""Who is acting: passed explicitly to every service that changes state or reads data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Actor:
    kind: str  # "client", "user" or "system"
    id: str  # client_id, portal user id, or the job / command name
    organisation_id: uuid.UUID | None = None
    organisation_kind: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    role: str | None = None
    request_id: str | None = None
    ip: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_regulator(self) -> bool:
        return self.organisation_kind == "regulator"

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def with_request(self, request_id: str | None, ip: str | None) -> Actor:
        return replace(self, request_id=request_id, ip=ip)


def system(name: str) -> Actor:
    """The hub itself acting: a command, a job or a migration."""
    return Actor(kind="system", id=name)
