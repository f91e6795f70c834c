"""Synthetic survey-result tables for the demo, in the shape the regulator publishes results.

Every organisation code, count and score here is made up (seeded, so the demo is the same on
every run). The shape follows the NHS patient survey programme's published tables: one row per
organisation, question and breakdown, with a confidence interval, a band against the national
result, and suppression below 10 respondents.
"""

from __future__ import annotations

import csv
import io
import math
import random
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.exchange.datasets.models import Dataset, Release
from hub.exchange.datasets.publish import publish_release
from hub.storage import Storage

COLUMNS = [
    "org_code",
    "org_level",
    "survey",
    "year",
    "question_id",
    "question_text",
    "breakdown_dim",
    "breakdown_value",
    "n_respondents",
    "score",
    "ci_low",
    "ci_high",
    "band",
    "suppressed",
]
SUPPRESS_BELOW = 10
SEED = 20260301

# Fictional trust codes: the X prefix is not used by real NHS trusts.
TRUSTS = ("XA1", "XB2", "XC3", "XD4", "XE5", "XF6", "XG7", "XH8")
BREAKDOWNS: tuple[tuple[str, str, float], ...] = (
    ("all", "all", 1.0),
    ("age_band", "16-34", 0.12),
    ("age_band", "35-64", 0.45),
    ("age_band", "65+", 0.43),
    ("sex", "female", 0.54),
    ("sex", "male", 0.46),
)


@dataclass(frozen=True)
class DemoSurvey:
    slug: str
    title: str
    condition_area: str
    survey: str
    scale: str  # "percent" (share answering positively) or "score10" (mean 0-10 score)
    questions: tuple[tuple[str, str, float], ...]  # id, text, national level
    trust_sizes: tuple[int, int]

    @property
    def description(self) -> str:
        unit = "% answering positively" if self.scale == "percent" else "mean score out of 10"
        return (
            f"SYNTHETIC demonstration data shaped like the {self.survey} results: by trust and "
            f"nationally, per question and breakdown ({unit}), with 95% confidence intervals, a "
            f"band against the national result, and results from fewer than {SUPPRESS_BELOW} "
            "respondents suppressed. Not real data."
        )


SURVEYS = (
    DemoSurvey(
        slug="cancer-patient-experience",
        title="Cancer patient experience by trust (synthetic)",
        condition_area="cancer",
        survey="National Cancer Patient Experience Survey",
        scale="percent",
        questions=(
            ("Q6", "Told sensitively that they had cancer", 86.0),
            ("Q10", "Given easy-to-understand information about the type of cancer", 78.0),
            ("Q17", "Had a main contact person in their care team", 91.0),
            ("Q23", "Treatment options explained in a way they could understand", 84.0),
            ("Q31", "Given enough care and help from health services after treatment", 57.0),
            ("Q44", "Hospital staff always treated them with dignity and respect", 88.0),
            (
                "Q59",
                "Care team gave their family or someone close all the information needed",
                70.0,
            ),
            ("Q61", "Overall rating of care (percentage rating 9 or 10 out of 10)", 62.0),
        ),
        trust_sizes=(120, 900),
    ),
    DemoSurvey(
        slug="community-mental-health-survey",
        title="Community mental health survey by trust (synthetic)",
        condition_area="mental-health",
        survey="Community Mental Health Survey",
        scale="score10",
        questions=(
            ("Q4", "Saw NHS mental health services often enough for their needs", 5.9),
            ("Q6", "Given enough time to discuss their needs and treatment", 6.9),
            ("Q11", "Knew how to contact the person in charge of their care", 8.4),
            ("Q13", "Agreed with someone what care they would receive", 6.7),
            ("Q19", "Involved as much as they wanted in agreeing their medicines", 6.8),
            ("Q28", "Knew who to contact out of office hours in a crisis", 6.5),
            ("Q35", "Treated with respect and dignity by NHS mental health services", 8.1),
            ("Q36", "Overall experience of care", 6.4),
        ),
        trust_sizes=(60, 420),
    ),
    DemoSurvey(
        slug="maternity-survey",
        title="Maternity survey by trust (synthetic)",
        condition_area="maternity",
        survey="Maternity Survey",
        scale="score10",
        questions=(
            ("B7", "Offered a choice of where to have their baby", 5.4),
            ("C11", "Partner or companion involved as much as they wanted in labour", 9.3),
            ("C14", "Spoken to in a way they could understand during labour and birth", 9.1),
            ("C17", "Treated with respect and dignity during labour and birth", 9.0),
            ("D5", "Given information or explanations they needed after birth", 7.5),
            ("E2", "Decisions about feeding their baby were respected", 8.9),
            ("F10", "Given enough support for their mental health after birth", 7.1),
            ("F13", "Overall experience of care", 8.6),
        ),
        trust_sizes=(80, 450),
    ),
)


def _interval(scale: str, score: float, n: int) -> tuple[float, float]:
    if scale == "percent":
        # Wilson interval for a proportion.
        p, z = score / 100, 1.96
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, (centre - half) * 100), min(100.0, (centre + half) * 100)
    half = 1.96 * 2.4 / math.sqrt(n)
    return max(0.0, score - half), min(10.0, score + half)


def _band(low: float, high: float, national: float) -> str:
    if low > national:
        return "better"
    if high < national:
        return "worse"
    return "about the same"


def survey_csv(survey: DemoSurvey, *, year: int = 2025, seed: int = SEED) -> bytes:
    """The survey's synthetic results table as CSV bytes."""
    rng = random.Random(f"{seed}:{survey.slug}:{year}")
    top = 100.0 if survey.scale == "percent" else 10.0
    spread = 6.0 if survey.scale == "percent" else 0.5
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    trusts = [(code, rng.randint(*survey.trust_sizes), rng.gauss(0, spread)) for code in TRUSTS]
    national_n = sum(n for _, n, _ in trusts)
    for question_id, text, national in survey.questions:
        units = [("ENG", "national", national_n, 0.0)]
        units += [(code, "trust", n, effect) for code, n, effect in trusts]
        for code, level, base_n, effect in units:
            for dim, value, share in BREAKDOWNS:
                n = max(0, round(base_n * share * rng.uniform(0.85, 1.15)))
                noise = 0.0 if dim == "all" or code == "ENG" else rng.gauss(0, spread / 2)
                score = min(top, max(0.0, national + effect + noise))
                row: list[object] = [code, level, f"{survey.survey} (synthetic)", year]
                row += [question_id, text, dim, value, n]
                if n < SUPPRESS_BELOW:
                    row += ["", "", "", "", "true"]
                else:
                    low, high = _interval(survey.scale, score, n)
                    band = "" if code == "ENG" else _band(low, high, national)
                    row += [f"{score:.1f}", f"{low:.1f}", f"{high:.1f}", band, "false"]
                writer.writerow(row)
    return out.getvalue().encode()


def publish_demo_datasets(
    session: Session, actor: Actor, storage: Storage, *, now: datetime | None = None
) -> list[Release]:
    """Publish the synthetic survey tables not already there; return the new releases."""
    existing = set(
        session.scalars(sa.select(Dataset.slug).where(Dataset.slug.in_([s.slug for s in SURVEYS])))
    )
    releases = []
    for survey in SURVEYS:
        if survey.slug in existing:
            continue
        releases.append(
            publish_release(
                session,
                actor,
                storage,
                slug=survey.slug,
                stream=io.BytesIO(survey_csv(survey)),
                filename=f"{survey.slug}-2025.csv",
                title=survey.title,
                condition_area=survey.condition_area,
                description=survey.description,
                notes="The 2025 survey, its figures under the small-number rule.",
                now=now,
            )
        )
    return releases
