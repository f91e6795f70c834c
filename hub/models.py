"""Imports every feature's models so that metadata (and Alembic) sees all tables."""

from hub.audit import models as audit_models
from hub.db import Base
from hub.identity import models as identity_models
from hub.registry import models as registry_models

metadata = Base.metadata

__all__ = ["audit_models", "identity_models", "metadata", "registry_models"]
