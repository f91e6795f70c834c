"""The ``anonymise`` job: retention, erasure of withdrawn records, the pooled datasets.

Steps, each safe to repeat and each committed on its own so a kill loses little:

1. Raw narratives received more than ``HUB_RAW_RETENTION_DAYS`` ago are replaced by their
   redacted copy (or removed when none was made).
2. The experience dates of those records are generalised to the first of their month.
3. Whatever is left of withdrawn records (narratives, equality data, narrative digests) is
   erased; the tombstone (ids, dates, structure) stays for the ledger.
4. For each condition area with consented records, ``experience-<area>`` (counts under
   disclosure control) and, when any quote survives k-anonymity, ``experience-quotes-<area>``
   (see ``hub.privacy.pooled``) are published through the giving-back service, so entitled
   partners receive them like any other release. A file is published only when its sha256
   differs from the dataset's latest release: a re-run, or a run after a kill, publishes only
   what is still missing or has changed. Each area's files are written in one transaction
   holding the release lock, so no release holds a record whose withdrawal committed first.

Each unit of work is chosen by a condition on the stored state (a raw narrative still differs
from its redacted copy, a date is still exact, a digest differs), so nothing is done twice.
"""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor, system
from hub.consent.models import ConsentRecord
from hub.consent.rules import WITHDRAWN
from hub.context import HubContext
from hub.db import transaction, xact_lock
from hub.exchange.dataset_models import Dataset, Release
from hub.exchange.datasets import is_condition_area, publish_release
from hub.exchange.models import ExperienceRecord
from hub.exchange.records import RELEASE_LOCK
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

JOB_NAME = "anonymise"
BATCH = 500
COUNTS_NOTE = (
    "Counts of experience records under disclosure control: 1-7 shown as *, others rounded to "
    "the nearest 5. Only records consented for anonymised publication; withdrawn ones excluded."
)
QUOTES_NOTE = (
    "Redacted quotes, each shared by at least k records over location, month, age band, sex, "
    "ethnic group and condition area. Only records consented for anonymised publication."
)


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Apply retention and erasure, then publish the pooled datasets that changed."""
    cutoff = now - timedelta(days=ctx.settings.raw_retention_days)
    stats: dict[str, Any] = {
        "narratives_redacted": replace_raw_narratives(session_factory, cutoff),
        "dates_generalised": generalise_dates(session_factory, cutoff),
        "withdrawn_erased": erase_withdrawn(session_factory),
    }
    stats.update(
        publish_pooled(
            session_factory, ctx.storage, k=ctx.settings.k_anonymity, now=now, actor=_actor()
        )
    )
    return stats


def _actor() -> Actor:
    return system(f"job:{JOB_NAME}")


def replace_raw_narratives(session_factory: sessionmaker[Session], cutoff: datetime) -> int:
    """Replace raw narratives received before ``cutoff`` by their redacted copy; how many."""
    r = ExperienceRecord
    with transaction(session_factory) as session:
        result = session.execute(
            sa.update(r)
            .where(
                r.received_at < cutoff,
                r.narrative.is_not(None),
                sa.or_(r.narrative_redacted.is_(None), r.narrative != r.narrative_redacted),
            )
            .values(narrative=r.narrative_redacted)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def generalise_dates(session_factory: sessionmaker[Session], cutoff: datetime) -> int:
    """Cut exact experience dates of records received before ``cutoff`` to their month."""
    r = ExperienceRecord
    done = 0
    while True:
        with transaction(session_factory) as session:
            rows = session.execute(
                sa.select(r.id, r.experience_date)
                .where(r.received_at < cutoff, r.date_precision == "day")
                .limit(BATCH)
            ).all()
            for record_id, day in rows:
                session.execute(
                    sa.update(r)
                    .where(r.id == record_id)
                    .values(experience_date=date(day.year, day.month, 1), date_precision="month")
                    .execution_options(synchronize_session=False)
                )
        done += len(rows)
        if len(rows) < BATCH:
            return done


def erase_withdrawn(session_factory: sessionmaker[Session]) -> int:
    """Erase narratives, equality data and digests left on withdrawn records; how many."""
    r = ExperienceRecord
    withdrawn_consent = sa.select(ConsentRecord.experience_id).where(
        ConsentRecord.status == WITHDRAWN
    )
    with transaction(session_factory) as session:
        result = session.execute(
            sa.update(r)
            .where(
                sa.or_(r.status == "withdrawn", r.id.in_(withdrawn_consent)),
                sa.or_(
                    r.narrative.is_not(None),
                    r.narrative_redacted.is_not(None),
                    r.equality.is_not(None),
                    r.content_digest.is_not(None),
                    r.fingerprint.is_not(None),
                ),
            )
            .values(
                narrative=None,
                narrative_redacted=None,
                equality=None,
                content_digest=None,
                fingerprint=None,
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


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
        .where(c.publish_anonymised.is_(True), c.status != WITHDRAWN, r.status != "withdrawn")
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
                withdrawn=row[5] == "withdrawn" or row[9] == WITHDRAWN,
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
        .where(ConsentRecord.status == WITHDRAWN)
    )
    records = session.scalar(
        sa.select(sa.func.count())
        .select_from(ExperienceRecord)
        .where(ExperienceRecord.status == "withdrawn")
    )
    return int(consents or 0) + int(records or 0)


def publish_pooled(
    session_factory: sessionmaker[Session],
    storage: Storage,
    *,
    k: int,
    now: datetime,
    actor: Actor,
) -> dict[str, Any]:
    """Publish, area by area, each pooled file whose content changed; counts of what was done.

    No release holds a record whose withdrawal committed before the release did: each area is
    published in a transaction holding the release lock, which withdrawals take too (shared),
    and the pool is read again there whenever a withdrawal has committed since it was read.
    """
    with transaction(session_factory) as session:
        # Counted before the pool is read: a withdrawal committing in between is seen again
        # by the re-check below rather than missed.
        seen = withdrawals(session)
        pool = load_pool(session)
        areas = [a for a in condition_areas_of(pool) if is_condition_area(session, a)]
    stats = {"areas": len(areas), "releases_published": 0, "releases_unchanged": 0}
    for area in areas:
        with transaction(session_factory) as session:
            xact_lock(session, RELEASE_LOCK)
            if (latest := withdrawals(session)) != seen:
                seen, pool = latest, load_pool(session)
            files = [
                (
                    f"experience-{area}",
                    f"Experiences of care ({area}): anonymised counts",
                    to_csv(count_rows(pool, area), COUNT_COLUMNS),
                    True,
                ),
                (
                    f"experience-quotes-{area}",
                    f"Experiences of care ({area}): anonymised quotes",
                    to_csv(quotes := quote_rows(pool, area, k), QUOTE_COLUMNS),
                    bool(quotes),
                ),
            ]
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
    digest = hashlib.sha256(content).hexdigest()
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
