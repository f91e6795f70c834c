"""The catalogue of jobs the hub knows, by name (the location registry is ``hub.registry``).

A job is one function ``run(ctx, session_factory, *, now) -> stats`` in its own module, listed in
``JOB_MODULES``; ``JOBS`` holds those whose module exists. Its schedule is the setting
``schedule_<name with - as _>`` (``HUB_SCHEDULE_...``), a five-field crontab in UTC (or six
fields, seconds first); an empty schedule leaves the job to ``hub jobs run``.

What a job function must do:

- Open its own transactions from ``session_factory`` and commit as it goes, in steps small
  enough that a kill loses little.
- Be idempotent and resumable: a run may be killed at any point and the next run must finish
  the work without doing any of it twice. Decide what to do from the state in the database (or
  storage), never from memory of an earlier run; mark each unit of work done in the same
  transaction that does it; give anything written outside the database (objects in storage) a
  name derived from its content or its place in the work, so a repeat overwrites or adopts it.
- Return JSON-serialisable stats of counts and ids only (no personal data): they are kept on
  the run and copied into the ``job.completed`` audit event.
- Raise on failure: the runner records the run as ``failed`` and audits ``job.failed``.
- Not import ``hub.jobs.catalogue`` or ``hub.jobs.runner`` (this module imports the job).
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from hub.config import Settings
from hub.context import HubContext


class JobFunction(Protocol):
    def __call__(
        self, ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
    ) -> dict[str, Any]: ...


JOB_MODULES: dict[str, str] = {
    "reconcile": "hub.jobs.reconcile",
    "anonymise": "hub.jobs.anonymise",
    "audit-seal": "hub.jobs.seal",
    "webhooks": "hub.jobs.webhooks",
    "rescan": "hub.jobs.rescan",
    "mail": "hub.jobs.mail",
    "accounts-tidy": "hub.jobs.accounts",
    "process-uploads": "hub.tasks.uploads",
}


def _discover() -> dict[str, JobFunction]:
    found: dict[str, JobFunction] = {}
    for name, module in JOB_MODULES.items():
        if importlib.util.find_spec(module) is None:
            continue
        run: JobFunction = importlib.import_module(module).run
        found[name] = run
    return found


JOBS: dict[str, JobFunction] = _discover()


def schedule_setting(name: str) -> str:
    """The settings field holding the job's crontab."""
    return "schedule_" + name.replace("-", "_")


def schedule_of(settings: Settings, name: str) -> str:
    """The job's crontab from settings, or "" when it has none (run only on demand)."""
    value = getattr(settings, schedule_setting(name), "")
    return str(value).strip()


def job_names() -> list[str]:
    return list(JOBS)
