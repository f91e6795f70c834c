"""What a running hub holds: settings, the database, storage. Built once per app or process."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.db import make_engine, make_session_factory
from hub.storage import Storage, storage_from_settings


@dataclass
class HubContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # /readyz probes whatever storage the settings name, made on first use.
        self.extras.setdefault("storage_check", lambda: self.storage.check())

    @classmethod
    def from_settings(cls, settings: Settings) -> HubContext:
        _ensure_local_dirs(settings)
        engine = make_engine(settings.database_url)
        return cls(settings=settings, engine=engine, session_factory=make_session_factory(engine))

    @cached_property
    def secret_key(self) -> str:
        return resolve_secret_key(self.settings)

    @cached_property
    def storage(self) -> Storage:
        return storage_from_settings(self.settings)


def _ensure_local_dirs(settings: Settings) -> None:
    Path(settings.instance_path).mkdir(parents=True, exist_ok=True)
    if settings.database_url.startswith("sqlite:///") and ":memory:" not in settings.database_url:
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )


def resolve_secret_key(settings: Settings) -> str:
    """The configured secret, or one generated once into the instance folder for development."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
