"""Imports every package's models so that metadata (and Alembic) sees all tables."""

from hub.audit import models as audit_models
from hub.consent import models as consent_models
from hub.db import Base
from hub.exchange.csv import models as csv_models
from hub.exchange.datasets import models as dataset_models
from hub.exchange.insight import models as insight_models
from hub.exchange.ledger import models as ledger_models
from hub.exchange.notify import models as notify_models
from hub.exchange.outcomes import models as outcome_models
from hub.exchange.records import models as record_models
from hub.identity import models as identity_models
from hub.jobs import models as jobs_models
from hub.mail import models as mail_models
from hub.registry import models as registry_models
from hub.safeguarding import models as safeguarding_models
from hub.vocab import models as vocab_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "consent_models",
    "csv_models",
    "dataset_models",
    "identity_models",
    "insight_models",
    "jobs_models",
    "ledger_models",
    "mail_models",
    "metadata",
    "notify_models",
    "outcome_models",
    "record_models",
    "registry_models",
    "safeguarding_models",
    "vocab_models",
]
