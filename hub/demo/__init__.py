"""Demo data for a first run: a fictional registry, partners, clients and portal users, records
sent through the real intake and synthetic datasets (everything the demo loads lives here).

Secrets are hashed in the database, so the plain ones are kept in
``instance/demo-credentials.json`` (development only) to be printed again on later runs.
"""

from __future__ import annotations

import json
import secrets
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.actor import Actor, system
from hub.clock import utcnow
from hub.context import HubContext
from hub.db import transaction
from hub.demo.datasets import publish_demo_datasets
from hub.demo.records import load_demo_records, record_demo_outcomes
from hub.demo.registry import load_demo_registry
from hub.exchange.records.config import IntakeConfig
from hub.identity import services as identity
from hub.identity.models import SCOPES_BY_KIND, Organisation
from hub.identity.two_factor import required_for
from hub.jobs.runner import run_job

ALL_CONDITIONS = [
    "cancer",
    "mental-health",
    "dementia",
    "learning-disability-autism",
    "maternity",
    "cardiovascular",
    "stroke",
    "diabetes",
    "respiratory",
    "musculoskeletal",
    "sensory",
    "end-of-life",
    "children-young-people",
    "substance-use",
    "long-term-conditions",
    "other",
]

# name, kind, conditions, portal users (role, email)
DEMO_ORGANISATIONS: list[tuple[str, str, list[str], list[tuple[str, str]]]] = [
    (
        "Care Regulator (demo)",
        "regulator",
        ALL_CONDITIONS,
        [
            ("inspector", "inspector@regulator.demo"),
            ("engagement", "engagement@regulator.demo"),
            ("admin", "admin@regulator.demo"),
        ],
    ),
    ("Internal Audit (demo)", "auditor", [], [("auditor", "auditor@audit.demo")]),
    (
        "Minds Matter Charity (demo)",
        "charity",
        ["mental-health", "dementia"],
        [("admin", "admin@minds.demo")],
    ),
    (
        "Cancer Voices Charity (demo)",
        "charity",
        ["cancer", "end-of-life"],
        [("admin", "admin@cancervoices.demo")],
    ),
    (
        "Healthwatch Exampleshire (demo)",
        "healthwatch",
        ALL_CONDITIONS,
        [("uploader", "volunteer@healthwatch.demo")],
    ),
    (
        "Seldom Heard Community Group (demo)",
        "community_group",
        ["mental-health", "maternity"],
        [("uploader", "volunteer@seldomheard.demo")],
    ),
]


def _credentials_path(ctx: HubContext) -> Path:
    return Path(ctx.settings.instance_path) / "demo-credentials.json"


def load_demo(ctx: HubContext) -> dict[str, Any]:
    """Load the demo once; return every demo credential (from the file on later runs)."""
    path = _credentials_path(ctx)
    with transaction(ctx.session_factory) as session:
        exists = session.scalar(
            sa.select(Organisation.id).where(Organisation.name == DEMO_ORGANISATIONS[0][0])
        )
    if exists and path.exists():
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded
    if exists:
        raise SystemExit(
            f"The demo is loaded but {path} is missing, so its secrets cannot be shown. "
            "Start from an empty database (delete instance/) to load it again."
        )
    actor = system("demo")
    credentials: dict[str, Any] = {"organisations": []}
    with transaction(ctx.session_factory) as session:
        load_demo_registry(session, actor)
        for name, kind, conditions, users in DEMO_ORGANISATIONS:
            org = identity.create_organisation(
                session,
                actor,
                name=name,
                kind=kind,
                condition_areas=conditions,
                purposes=["improving-care", "regulation"],
            )
            new = identity.create_client(
                session,
                actor,
                organisation_id=org.id,
                scopes=sorted(SCOPES_BY_KIND[kind]),
                name=f"{name} API client",
            )
            entry: dict[str, Any] = {
                "id": str(org.id),
                "name": name,
                "kind": kind,
                "client_id": new.client.client_id,
                "client_secret": new.client_secret,
                "scopes": new.client.scope.split(),
                "users": [],
            }
            for role, email in users:
                password = "demo-" + secrets.token_urlsafe(9)
                identity.create_user(
                    session,
                    actor,
                    organisation_id=org.id,
                    email=email,
                    password=password,
                    role=role,
                )
                entry["users"].append({"email": email, "password": password, "role": role})
            credentials["organisations"].append(entry)
        publish_demo_datasets(session, actor, ctx.storage)
        _load_records(ctx, session, credentials)
    # Checked and sealed at once by the audit-seal job itself, so every receipt of the demo
    # verifies and the auditor's "last full check" has a result without waiting an hour.
    run_job(ctx, "audit-seal")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, indent=2))
    path.chmod(0o600)
    return credentials


def _load_records(ctx: HubContext, session: Any, credentials: dict[str, Any]) -> None:
    partners = []
    for (_name, kind, conditions, _users), org in zip(
        DEMO_ORGANISATIONS, credentials["organisations"], strict=True
    ):
        if kind in ("charity", "healthwatch", "community_group"):
            actor = Actor(
                kind="client",
                id=org["client_id"],
                organisation_id=uuid.UUID(org["id"]),
                organisation_kind=kind,
                scopes=frozenset(org["scopes"]),
            )
            # Two areas each, so the pooled datasets have counts above the small-number rule.
            partners.append((actor, conditions[:2]))
    config = IntakeConfig.from_settings(ctx.settings, ctx.secret_key)
    now = utcnow()
    load_demo_records(session, partners, config, now=now)
    regulator = credentials["organisations"][0]
    record_demo_outcomes(
        session,
        Actor(
            kind="client",
            id=regulator["client_id"],
            organisation_id=uuid.UUID(regulator["id"]),
            organisation_kind="regulator",
            scopes=frozenset(regulator["scopes"]),
        ),
        now=now,
    )


def describe(credentials: dict[str, Any], two_factor_kinds: str = "") -> str:
    """The credentials as printed; users who must set up two-factor sign-in at their first
    sign-in (``two_factor_kinds``, as HUB_TWO_FACTOR_REQUIRED_KINDS) are marked and told how."""
    lines = ["Demo credentials (fictional organisations; for trying the hub only):", ""]
    any_two_factor = False
    for org in credentials["organisations"]:
        two_factor = required_for(org["kind"], two_factor_kinds)
        any_two_factor = any_two_factor or (two_factor and bool(org["users"]))
        lines.append(f"{org['name']} [{org['kind']}]")
        lines.append(f"  API client_id:     {org['client_id']}")
        lines.append(f"  API client_secret: {org['client_secret']}")
        lines.append(f"  scopes:            {' '.join(org['scopes'])}")
        for user in org["users"]:
            mark = " *" if two_factor else ""
            lines.append(
                f"  portal user:       {user['email']} / {user['password']} ({user['role']}){mark}"
            )
        lines.append("")
    if any_two_factor:
        lines.append(
            "* must set up two-factor sign-in at the first sign-in: scan the QR code shown with "
            "an authenticator app (or type its key into one, such as `oathtool --totp -b KEY`). "
            "Set HUB_TWO_FACTOR_REQUIRED_KINDS= (empty) to try the demo without it."
        )
        lines.append("")
    return "\n".join(lines)
