"""One frozen settings object, read from ``HUB_*`` environment variables.

Nothing else in the hub reads ``os.environ``: everything that can be configured
is a field here, with its default and the variable that sets it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, get_type_hints


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "y", "on"}:
        return True
    if lowered in {"0", "false", "no", "n", "off", ""}:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the hub can be told. Each field ``x`` is set by ``HUB_X``."""

    database_url: str = field(
        default="sqlite:///instance/hub.db",
        metadata={"doc": "SQLAlchemy URL of the database (PostgreSQL in production)."},
    )
    storage_url: str = field(
        default="file://instance/storage",
        metadata={"doc": "Object storage: `file://PATH` or `s3://bucket/prefix`."},
    )
    s3_endpoint_url: str = field(
        default="", metadata={"doc": "Endpoint of an S3-compatible store (empty: AWS)."}
    )
    s3_region: str = field(default="eu-west-2", metadata={"doc": "S3 region."})
    secret_key: str = field(
        default="",
        metadata={
            "doc": "Key for sessions, CSRF and fingerprints. Empty: generated once into "
            "`instance/secret_key` (development only)."
        },
    )
    instance_path: str = field(
        default="instance", metadata={"doc": "Folder for local state (SQLite, files, keys)."}
    )
    token_ttl_s: int = field(default=3600, metadata={"doc": "Access-token lifetime in seconds."})
    token_rate_limit: str = field(
        default="30 per minute",
        metadata={
            "doc": "Rate limit on `/oauth/token`, `/oauth/introspect` and `/oauth/revoke` "
            "together (each checks a client secret), per client address."
        },
    )
    sign_in_rate_limit: str = field(
        default="20 per minute",
        metadata={"doc": "Rate limit on portal sign-in and password-reset posts per address."},
    )
    session_idle_minutes: int = field(
        default=120,
        metadata={"doc": "A portal session ends after this many minutes without a request."},
    )
    session_max_hours: int = field(
        default=12,
        metadata={"doc": "A portal session ends this many hours after sign-in, however used."},
    )
    two_factor_required_kinds: str = field(
        default="regulator,auditor",
        metadata={
            "doc": "Organisation kinds whose portal users must sign in with two factors "
            "(comma-separated; every user may turn it on)."
        },
    )
    rate_limit_storage_url: str = field(
        default="memory://",
        metadata={"doc": "Where rate-limit counters live (`redis://...` with several workers)."},
    )
    raw_retention_days: int = field(
        default=365, metadata={"doc": "Days a raw narrative is kept before only the redacted copy."}
    )
    spacy_model: str = field(
        default="",
        metadata={
            "doc": "Installed spaCy pipeline package whose PERSON entities join name redaction "
            "(empty: none; never downloaded). See docs/privacy.md."
        },
    )
    csv_max_bytes: int = field(default=50 * 1024 * 1024, metadata={"doc": "Largest CSV upload."})
    csv_max_rows: int = field(default=200_000, metadata={"doc": "Most data rows in one CSV."})
    csv_chunk_rows: int = field(
        default=500, metadata={"doc": "Rows of an uploaded CSV processed (and committed) together."}
    )
    max_request_bytes: int = field(
        default=60 * 1024 * 1024,
        metadata={
            "doc": "Largest multipart upload (dataset releases); CSV uploads have "
            "`HUB_CSV_MAX_BYTES`, other bodies `HUB_JSON_MAX_BYTES`."
        },
    )
    json_max_bytes: int = field(
        default=11 * 1024 * 1024,
        metadata={
            "doc": "Largest JSON (or form) request body: room for the largest batch. "
            "Over it: 413 `payload-too-large`, the body unread."
        },
    )
    batch_max_records: int = field(default=1000, metadata={"doc": "Most records in one batch."})
    safeguarding_due_immediate_minutes: int = field(
        default=60, metadata={"doc": "Minutes to act on an immediate-risk alert."}
    )
    safeguarding_due_minutes: int = field(
        default=24 * 60, metadata={"doc": "Minutes to act on any other safeguarding alert."}
    )
    audit_signing_key: str = field(
        default="",
        metadata={"doc": "Ed25519 private key (PEM) for audit seals, or empty to use the file."},
    )
    audit_signing_key_file: str = field(
        default="",
        metadata={"doc": "File holding the seal key. Empty: `instance/audit-seal-key.pem`."},
    )
    audit_trusted_keys: str = field(
        default="",
        metadata={
            "doc": "Retired Ed25519 public keys (PEM, concatenated) that still vouch for the "
            "seals they signed."
        },
    )
    audit_trusted_keys_file: str = field(
        default="",
        metadata={"doc": "File of retired seal public keys (PEM, concatenated)."},
    )
    schedule_reconcile: str = field(
        default="*/15 * * * *", metadata={"doc": "Cron schedule of the reconcile job."}
    )
    schedule_anonymise: str = field(
        default="30 2 * * *", metadata={"doc": "Cron schedule of the anonymise job."}
    )
    schedule_audit_seal: str = field(
        default="0 * * * *", metadata={"doc": "Cron schedule of the audit-seal job."}
    )
    schedule_webhooks: str = field(
        default="* * * * *", metadata={"doc": "Cron schedule of the webhook retry job."}
    )
    schedule_rescan: str = field(
        default="0 4 * * *",
        metadata={
            "doc": "Cron schedule of the rescan job (stored narratives read again by new engines)."
        },
    )
    schedule_mail: str = field(
        default="*/30 * * * * *",
        metadata={"doc": "Cron schedule of the mail job (seconds first: every 30 seconds)."},
    )
    schedule_accounts_tidy: str = field(
        default="15 3 * * *",
        metadata={
            "doc": "Cron schedule of the accounts-tidy job (ended sessions, spent links and "
            "quiet sign-in counters forgotten)."
        },
    )
    smtp_url: str = field(
        default="",
        metadata={
            "doc": "Mail server: `smtp://[user:password@]host[:port]` (STARTTLS required; "
            "`?starttls=off` for a relay on the same machine) or `smtps://...` (TLS). Empty: "
            "each message is written to `instance/mail/` instead."
        },
    )
    smtp_username: str = field(
        default="", metadata={"doc": "SMTP user name, when not in `HUB_SMTP_URL`."}
    )
    smtp_password: str = field(
        default="", metadata={"doc": "SMTP password, when not in `HUB_SMTP_URL`."}
    )
    mail_from: str = field(
        default="Exchange hub <exchange-hub@localhost>",
        metadata={"doc": "The `From` of every message the hub sends."},
    )
    safeguarding_email: str = field(
        default="",
        metadata={
            "doc": "The regulator's safeguarding duty inbox: each immediate-risk alert is mailed "
            "there (a link, never the narrative). Empty: such mails fail, visibly, in the job."
        },
    )
    public_url: str = field(
        default="http://127.0.0.1:8000",
        metadata={"doc": "The hub's address as people reach it: links in e-mails start with it."},
    )
    schedule_process_uploads: str = field(
        default="*/10 * * * *",
        metadata={"doc": "Cron schedule of the sweep that re-queues unfinished CSV files."},
    )
    task_broker_url: str = field(
        default="",
        metadata={
            "doc": "Broker of the task engine (Celery): `redis://host:6379/0`, "
            "`amqp://user:pass@host//` (RabbitMQ), `sqs://` (Amazon SQS, with the `sqs` extra). "
            "Empty: the embedded broker, an SQLite file in the instance folder (one machine)."
        },
    )
    task_queue: str = field(
        default="hub",
        metadata={"doc": "Queue the hub's tasks go to (hubs sharing one broker use their own)."},
    )
    task_eager: bool = field(
        default=False,
        metadata={
            "doc": "Run background tasks in the caller instead of a worker (tests and tools; "
            "also whenever `HUB_TESTING` is set and no broker is named)."
        },
    )
    task_max_retries: int = field(
        default=5, metadata={"doc": "Retries of a failing background task before it fails."}
    )
    task_retry_backoff_s: int = field(
        default=2,
        metadata={"doc": "First retry delay in seconds; each later retry waits twice as long."},
    )
    task_visibility_timeout_s: int = field(
        default=3600,
        metadata={
            "doc": "Redis/SQS: seconds before a task taken by a worker that vanished is "
            "delivered again (longer than the longest task)."
        },
    )
    webhook_allow_private: bool = field(
        default=False,
        metadata={
            "doc": "Let webhook endpoints be private, loopback or link-local addresses "
            "(development and tests only)."
        },
    )
    k_anonymity: int = field(default=10, metadata={"doc": "k for record-level extracts."})
    log_level: str = field(default="INFO", metadata={"doc": "Logging level."})
    trust_proxy: bool = field(
        default=False,
        metadata={"doc": "Trust one `X-Forwarded-*` hop (set behind a TLS load balancer)."},
    )
    debug: bool = field(default=False, metadata={"doc": "Flask debug mode (never in production)."})
    testing: bool = field(default=False, metadata={"doc": "Test mode (set by the test suite)."})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``HUB_*`` variables, then apply explicit overrides."""
        env = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"HUB_{f.name.upper()}")
            if raw is None:
                continue
            kind = hints[f.name]
            try:
                if kind is bool:
                    values[f.name] = _bool(raw)
                elif kind is int:
                    values[f.name] = int(raw)
                else:
                    values[f.name] = raw
            except ValueError as exc:
                raise ValueError(f"HUB_{f.name.upper()}: {exc}") from exc
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


# The test suite's switch, never a deployment's, and not a field of Settings: the password
# hasher is made once a process, on import, before any settings exist (hub/identity/passwords.py).
CHEAP_HASHING_ENV = "HUB_TEST_CHEAP_PASSWORD_HASHING"


def cheap_password_hashing(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the test suite asked for argon2id's cheapest parameters."""
    env = os.environ if environ is None else environ
    return env.get(CHEAP_HASHING_ENV) == "1"


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting: the README's table."""
    rows = []
    for f in fields(Settings):
        rows.append((f"HUB_{f.name.upper()}", str(f.default), f.metadata.get("doc", "")))
    return rows
