"""The pooled anonymised experience datasets: one pair per condition area, published like any
other release so entitled partners receive them.

For each condition area with consented records, ``experience-<area>`` (counts under disclosure
control) and, when any quote survives k-anonymity, ``experience-quotes-<area>`` (see
``hub.privacy.pooled``). A file is published only when its sha256 differs from the dataset's
latest release: a re-run, or a run after a kill, publishes only what is still missing or has
changed. An area's files are written in one transaction holding the release lock, which
withdrawals take too (shared), and the pool is read again there whenever a withdrawal has
committed since it was read: no release holds a record whose withdrawal committed first.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.consent.models import ConsentRecord
from hub.consent.rules import WITHDRAWN as CONSENT_WITHDRAWN
from hub.db import xact_lock
from hub.exchange.datasets.models import Dataset, Release
from hub.exchange.datasets.publish import is_condition_area, publish_release
from hub.exchange.datasets.rules import as_served
from hub.exchange.records.models import WITHDRAWN, ExperienceRecord, not_withdrawn
from hub.exchange.records.withdrawal import RELEASE_LOCK
from hub.privacy.pooled import (
    COUNT_COLUMNS,
    QUOTE_COLUMNS,
    PoolInput,
    condition_areas_of,
    count_rows,
    quote_rows,
    to_csv,
)
from hub.storage import Storage

log = logging.getLogger(__name__)

BATCH = 500
COUNTS_NOTE = (
    "Counts of experience records under disclosure control: 1-7 shown as *, others rounded to "
    "the nearest 5. Only records consented for anonymised publication; withdrawn ones excluded."
)
QUOTES_NOTE = (
    "Redacted quotes, each shared by at least k records over location, month, age band, sex, "
    "ethnic group and condition area. Only records consented for anonymised publication."
)


@dataclass
class Pool:
    """The records that might count, as read, and how many withdrawals had committed before."""

    seen: int
    records: list[PoolInput]


def read_pool(session: Session) -> tuple[Pool, list[str]]:
    """The pool and the condition areas (in the vocabulary) it has records for."""
    # Counted before the pool is read: a withdrawal committing in between is seen again by
    # ``publish_area``'s re-check rather than missed.
    seen = withdrawals(session)
    pool = Pool(seen, load_pool(session))
    areas = [a for a in condition_areas_of(pool.records) if is_condition_area(session, a)]
    return pool, areas


def publish_area(
    session: Session,
    storage: Storage,
    actor: Actor,
    pool: Pool,
    area: str,
    *,
    k: int,
    now: datetime,
) -> dict[str, int]:
    """Publish the area's files that changed, in the caller's transaction, under the release
    lock; the pool is read again first if a withdrawal committed since it was read."""
    xact_lock(session, RELEASE_LOCK)
    if (latest := withdrawals(session)) != pool.seen:
        pool.seen, pool.records = latest, load_pool(session)
    files = [
        (
            f"experience-{area}",
            f"Experiences of care ({area}): anonymised counts",
            to_csv(count_rows(pool.records, area), COUNT_COLUMNS),
            True,
        ),
        (
            f"experience-quotes-{area}",
            f"Experiences of care ({area}): anonymised quotes",
            to_csv(quotes := quote_rows(pool.records, area, k), QUOTE_COLUMNS),
            bool(quotes),
        ),
    ]
    stats = {"releases_published": 0, "releases_unchanged": 0}
    for slug, title, content, wanted in files:
        outcome = publish_if_changed(
            session,
            storage,
            actor,
            slug=slug,
            title=title,
            area=area,
            content=content,
            wanted=wanted,
            now=now,
        )
        if outcome is not None:
            stats["releases_published" if outcome else "releases_unchanged"] += 1
    return stats


def load_pool(session: Session) -> list[PoolInput]:
    """Every record that might count, as the pure rules want it (consent filtered there too)."""
    r, c = ExperienceRecord, ConsentRecord
    rows = session.execute(
        sa.select(
            r.location_id,
            r.experience_date,
            r.key_questions,
            r.condition_areas,
            r.sentiment,
            r.status,
            r.narrative_redacted,
            r.equality,
            c.publish_anonymised,
            c.status,
        )
        .join(c, c.experience_id == r.id)
        .where(c.publish_anonymised.is_(True), c.status != CONSENT_WITHDRAWN, not_withdrawn())
        .execution_options(yield_per=BATCH)
    )
    pool: list[PoolInput] = []
    for row in rows:
        equality = row[7] or {}
        pool.append(
            PoolInput(
                location_id=row[0],
                experience_date=row[1],
                key_questions=tuple(row[2] or ()),
                condition_areas=tuple(row[3] or ()),
                sentiment=row[4],
                publish_anonymised=bool(row[8]),
                withdrawn=row[5] == WITHDRAWN or row[9] == CONSENT_WITHDRAWN,
                narrative_redacted=row[6],
                age_band=equality.get("age_band"),
                sex=equality.get("sex"),
                ethnic_group=equality.get("ethnic_group"),
            )
        )
    return pool


def withdrawals(session: Session) -> int:
    """How many withdrawals have been committed: it only grows (withdrawal is never undone)."""
    consents = session.scalar(
        sa.select(sa.func.count())
        .select_from(ConsentRecord)
        .where(ConsentRecord.status == CONSENT_WITHDRAWN)
    )
    records = session.scalar(
        sa.select(sa.func.count())
        .select_from(ExperienceRecord)
        .where(ExperienceRecord.status == WITHDRAWN)
    )
    return int(consents or 0) + int(records or 0)


def publish_if_changed(
    session: Session,
    storage: Storage,
    actor: Actor,
    *,
    slug: str,
    title: str,
    area: str,
    content: bytes,
    wanted: bool,
    now: datetime,
) -> bool | None:
    """Publish ``content`` as the next release of ``slug`` (in the caller's transaction) unless
    the latest one is identical.

    True when published, False when unchanged, None when there is nothing to publish (no quote
    survived and the dataset was never started: an empty dataset would tell partners nothing).
    """
    digest = hashlib.sha256(as_served(content)).hexdigest()
    latest = session.scalar(
        sa.select(Release.sha256)
        .join(Dataset, Dataset.id == Release.dataset_id)
        .where(Dataset.slug == slug)
        .order_by(Release.version.desc())
        .limit(1)
    )
    if latest == digest:
        return False
    if latest is None and not wanted:
        return None
    publish_release(
        session,
        actor,
        storage,
        slug=slug,
        stream=io.BytesIO(content),
        filename=f"{slug}.csv",
        title=title,
        condition_area=area,
        description=QUOTES_NOTE if slug.startswith("experience-quotes-") else COUNTS_NOTE,
        format="csv",
        now=now,
    )
    log.info("published a new release of %s", slug)
    return True
