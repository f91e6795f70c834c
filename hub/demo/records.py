"""Fictional experience records for the demo, sent through the real intake like any partner's.

They are concentrated on a few locations and two months so that the pooled anonymised datasets
and the inspector's views have something to show once the jobs run.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.exchange.outcomes.services import create_outcome
from hub.exchange.records import intake
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.items import CREATED, REPLAYED
from hub.exchange.records.models import ExperienceRecord
from hub.registry.models import Location

POSITIVE = [
    "The staff on the ward were kind and explained everything before the procedure.",
    "Reception found me an appointment the same day and the nurse was very patient.",
    "The team listened to my worries about my medication and changed it quickly.",
    "My dad was treated with dignity and the food was good.",
]
NEGATIVE = [
    "We waited over five hours and nobody told us what was happening.",
    "Discharge was rushed and the medication list was wrong, so we had to go back.",
    "Staff were dismissive when my mum said she was in pain. Call me on 07700 900123.",
    "The ward was dirty and the call bell was left out of reach all night.",
    "Appointments keep being cancelled at short notice and the phone line never answers.",
]
CONCERNS = [
    "The carer shouted at my mum and threatened to lock her in her room.",
    "Staff left him in soiled sheets all day and he now has pressure sores.",
]
FEATURED = ("1-545611283", "1-101693457", "1-118743215")
AGE_BANDS = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+"]


def _records(
    rng: random.Random, prefix: str, locations: list[str], areas: list[str], n: int, today: date
) -> list[dict[str, Any]]:
    months = [today.replace(day=1) - timedelta(days=1), today.replace(day=1) - timedelta(days=40)]
    out = []
    for i in range(n):
        concern = i % 25 == 0
        negative = concern or rng.random() < 0.55
        narrative = rng.choice(CONCERNS if concern else NEGATIVE if negative else POSITIVE)
        month = rng.choice(months)
        scopes = ["regulator_use", "feedback"]
        if rng.random() < 0.85:
            scopes.append("publish_anonymised")
        if rng.random() < 0.6:
            scopes.append("equality_monitoring")
        out.append(
            {
                "partner_record_id": f"{prefix}-{i:05d}",
                "location_id": rng.choice(locations),
                "experience_date": month.replace(day=rng.randint(1, 28)).isoformat(),
                "respondent_role": rng.choice(["patient", "carer", "relative-friend"]),
                "collection_channel": rng.choice(["online", "phone", "face-to-face"]),
                "overall_experience": rng.randint(3, 5) if negative else rng.randint(1, 2),
                "sentiment": "negative" if negative else "positive",
                "key_questions": [rng.choice(["safe", "caring"])],
                "condition_areas": [rng.choice(areas)],
                "themes": [rng.choice(["staff-attitude", "communication", "waiting-times"])],
                "narrative": narrative,
                "safeguarding": {
                    "concern": concern,
                    "immediate_risk": False,
                    "categories": ["neglect"] if concern else [],
                },
                "equality": {
                    "age_band": rng.choice(AGE_BANDS),
                    "sex": rng.choice(["female", "male"]),
                    "ethnic_group": rng.choice(["white", "asian", "black", "mixed"]),
                    "disability": rng.choice(["yes", "no"]),
                },
                "consent": {
                    "scopes": scopes,
                    "obtained_at": f"{month.isoformat()}T10:00:00Z",
                    "method": "online",
                    "lawful_basis": "consent",
                    "notice_version": "demo-privacy-v1",
                },
            }
        )
    return out


def load_demo_records(
    session: Session,
    partners: list[tuple[Actor, list[str]]],
    config: IntakeConfig,
    *,
    now: datetime,
    per_partner: int = 200,
) -> int:
    """Submit fictional records for each (actor, condition areas); returns how many were kept."""
    rng = random.Random(2026)
    registered = Location.registration_status == "Registered"
    # The locations the examples and the demo's outcomes name, when the registry has them.
    locations = list(
        session.scalars(
            sa.select(Location.id)
            .where(registered, Location.id.in_(FEATURED))
            .order_by(Location.id)
        )
    ) or list(
        session.scalars(sa.select(Location.id).where(registered).order_by(Location.id).limit(3))
    )
    stored = 0
    for n, (actor, areas) in enumerate(partners):
        records = _records(rng, f"demo{n}", locations, areas or ["other"], per_partner, now.date())
        answer = intake.submit_batch(session, actor, {"records": records}, config=config, now=now)
        stored += sum(result.status in (CREATED, REPLAYED) for result in answer.results)
    return stored


def record_demo_outcomes(session: Session, regulator: Actor, *, now: datetime) -> int:
    """ "You said, we did" for the demo: one outcome on a few records of each partner that sent
    some, as the regulator's engagement staff record them; returns how many were recorded."""
    organisations = session.scalars(
        sa.select(ExperienceRecord.organisation_id)
        .distinct()
        .order_by(ExperienceRecord.organisation_id)
    ).all()
    for organisation_id in organisations:
        chosen = session.scalars(
            sa.select(ExperienceRecord.id)
            .where(ExperienceRecord.organisation_id == organisation_id)
            .order_by(ExperienceRecord.received_at, ExperienceRecord.id)
            .limit(5)
        ).all()
        create_outcome(
            session,
            regulator,
            kind="used-in-inspection",
            summary=(
                "What people told you about waiting times and being listened to shaped the "
                "questions our inspectors asked on their last visit."
            ),
            location_id=None,
            record_ids=list(chosen),
            report_url="https://www.example.org/inspection-reports",
            occurred_on=(now - timedelta(days=7)).date(),
            now=now,
        )
    return len(organisations)
