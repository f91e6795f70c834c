"""Imports every feature's models so that metadata (and Alembic) sees all tables."""

from hub.audit import models as audit_models
from hub.consent import models as consent_models
from hub.db import Base
from hub.exchange import dataset_models, ledger_models, outcome_models, webhook_models
from hub.exchange import models as exchange_models
from hub.identity import models as identity_models
from hub.jobs import models as jobs_models
from hub.jobs import reconcile_models
from hub.registry import models as registry_models
from hub.safeguarding import models as safeguarding_models
from hub.vocab import models as vocab_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "consent_models",
    "dataset_models",
    "exchange_models",
    "identity_models",
    "jobs_models",
    "ledger_models",
    "metadata",
    "outcome_models",
    "reconcile_models",
    "registry_models",
    "safeguarding_models",
    "vocab_models",
    "webhook_models",
]
