"""Who may receive which releases: entitlement, listings, the feed, and recorded deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from hub.actor import Actor
from hub.audit.models import AuditEvent
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import Forbidden, NotFound, ServiceUnavailable
from hub.exchange.datasets.models import Dataset, Delivery, Release
from hub.exchange.datasets.rules import FORMATS
from hub.identity.models import Agreement, Organisation
from hub.identity.services import require_agreement
from hub.keyset import keyset_page
from hub.storage import Storage, StorageError

PRESIGNED_URL_TTL_S = 300


def entitled_areas(session: Session, actor: Actor, on: date) -> frozenset[str] | None:
    """The condition areas whose datasets ``actor`` may receive; None means every one.

    A partner without an agreement in force gets AgreementRequired.
    """
    if actor.is_regulator or (actor.kind == "system" and actor.organisation_id is None):
        return None
    agreement = require_agreement(session, actor, on)
    return frozenset(agreement.condition_areas) if agreement else frozenset()


def entitled_organisation_ids(session: Session, condition_area: str, on: date) -> set[uuid.UUID]:
    """Organisations that may receive a release for ``condition_area`` on ``on``."""
    entitled = set(
        session.scalars(sa.select(Organisation.id).where(Organisation.kind == "regulator"))
    )
    in_force = session.execute(
        sa.select(Agreement.organisation_id, Agreement.condition_areas)
        .where(
            Agreement.valid_from <= on,
            sa.or_(Agreement.valid_to.is_(None), Agreement.valid_to >= on),
        )
        .order_by(Agreement.organisation_id, Agreement.valid_from.desc())
    )
    seen: set[uuid.UUID] = set()
    for organisation_id, areas in in_force:
        # As require_agreement does, only the newest agreement in force counts.
        if organisation_id in seen:
            continue
        seen.add(organisation_id)
        if condition_area in areas:
            entitled.add(organisation_id)
    return entitled


def _visible(stmt: sa.Select[Any], areas: frozenset[str] | None) -> sa.Select[Any]:
    return stmt if areas is None else stmt.where(Dataset.condition_area.in_(sorted(areas)))


def list_datasets(
    session: Session, actor: Actor, *, limit: int, after: list[Any] | None, now: datetime
) -> tuple[list[Dataset], list[Any] | None]:
    """The datasets ``actor`` is entitled to, by slug."""
    areas = entitled_areas(session, actor, now.date())
    stmt = _visible(sa.select(Dataset), areas)
    keys: list[Any] = [Dataset.slug]
    return keyset_page(session, stmt, keys, limit=limit, after=after)


def latest_releases(session: Session, dataset_ids: list[uuid.UUID]) -> dict[uuid.UUID, Release]:
    """Each dataset's newest release."""
    if not dataset_ids:
        return {}
    newest = (
        sa.select(Release.dataset_id, sa.func.max(Release.version).label("version"))
        .where(Release.dataset_id.in_(dataset_ids))
        .group_by(Release.dataset_id)
        .subquery()
    )
    rows = session.scalars(
        sa.select(Release).join(
            newest,
            sa.and_(Release.dataset_id == newest.c.dataset_id, Release.version == newest.c.version),
        )
    )
    return {r.dataset_id: r for r in rows}


def get_dataset(session: Session, actor: Actor, slug: str, *, now: datetime) -> Dataset:
    """One dataset; NotFound unless it exists and ``actor`` is entitled to it."""
    areas = entitled_areas(session, actor, now.date())
    dataset = session.scalar(_visible(sa.select(Dataset), areas).where(Dataset.slug == slug))
    if dataset is None:
        raise NotFound("No such dataset among those your agreement covers.")
    return dataset


def list_releases(
    session: Session,
    actor: Actor,
    slug: str,
    *,
    limit: int,
    after: list[Any] | None,
    now: datetime,
) -> tuple[list[Release], list[Any] | None]:
    """A dataset's releases, newest first."""
    dataset = get_dataset(session, actor, slug, now=now)
    stmt = sa.select(Release).where(Release.dataset_id == dataset.id)
    keys: list[Any] = [Release.version]
    return keyset_page(session, stmt, keys, limit=limit, after=after, descending=True)


def get_release(
    session: Session, actor: Actor, slug: str, version: int, *, now: datetime
) -> Release:
    """One release; NotFound unless it exists and ``actor`` is entitled to it."""
    dataset = get_dataset(session, actor, slug, now=now)
    release = session.scalar(
        sa.select(Release).where(Release.dataset_id == dataset.id, Release.version == version)
    )
    if release is None:
        raise NotFound(f"The dataset {slug!r} has no version {version}.")
    return release


def release_feed(
    session: Session,
    actor: Actor,
    *,
    since: datetime | None,
    after: list[Any] | None,
    limit: int,
    now: datetime,
) -> tuple[list[Release], list[Any] | None]:
    """Releases ``actor`` may receive, published after ``since`` (or the cursor), oldest first."""
    areas = entitled_areas(session, actor, now.date())
    stmt = _visible(
        sa.select(Release).join(Release.dataset).options(joinedload(Release.dataset)), areas
    )
    if since is not None and after is None:
        stmt = stmt.where(Release.published_at > since)
    keys: list[Any] = [Release.published_at, Release.id]
    return keyset_page(session, stmt, keys, limit=limit, after=after)


@dataclass(frozen=True)
class CatalogueEntry:
    """A dataset with its newest releases, as a partner browses what it may download."""

    dataset: Dataset
    releases: list[Release]


def catalogue(
    session: Session, actor: Actor, *, now: datetime, releases_per_dataset: int = 20
) -> tuple[frozenset[str] | None, list[CatalogueEntry]]:
    """The condition areas ``actor`` is entitled to (None: every one) and the datasets in them,
    by title, each with its newest releases first.

    A partner without an agreement in force gets AgreementRequired, as the API's listing does.
    """
    areas = entitled_areas(session, actor, now.date())
    datasets = list(session.scalars(_visible(sa.select(Dataset), areas).order_by(Dataset.title)))
    entries = []
    for dataset in datasets:
        releases = list(
            session.scalars(
                sa.select(Release)
                .where(Release.dataset_id == dataset.id)
                .order_by(Release.version.desc())
                .limit(releases_per_dataset)
            )
        )
        entries.append(CatalogueEntry(dataset, releases))
    return areas, entries


# --- deliveries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseFile:
    """How to hand a release's file over: a presigned URL, or the bytes to stream."""

    release: Release
    content_type: str
    redirect_url: str | None = None
    chunks: Iterator[bytes] | None = None
    # The delivery's ``dataset.downloaded`` event: its seq and hash are the receipt once committed.
    event: AuditEvent | None = None


def deliver_release(
    session: Session,
    actor: Actor,
    storage: Storage,
    release: Release,
    *,
    now: datetime | None = None,
    presigned_ttl_s: int = PRESIGNED_URL_TTL_S,
) -> ReleaseFile:
    """Open a release's file for ``actor`` and record the delivery (and its audit event).

    The storage is reached first, so a file that cannot be served is not counted as delivered.
    """
    now = now or utcnow()
    content_type = FORMATS.get(release.format, "application/octet-stream")
    try:
        url = storage.presigned_url(release.storage_key, presigned_ttl_s, release.filename)
        chunks = None if url else storage.iter_chunks(release.storage_key)
    except StorageError as exc:
        raise ServiceUnavailable("The file cannot be reached just now. Try again shortly.") from exc
    via = "presigned" if url else "download"
    assert actor.organisation_id is not None, "only organisations receive deliveries"
    delivery = Delivery(
        id=uuid.uuid4(),
        release_id=release.id,
        organisation_id=actor.organisation_id,
        delivered_at=now,
        via=via,
        actor=actor.label,
    )
    session.add(delivery)
    session.flush()
    event = record(
        session,
        actor,
        "dataset.downloaded",
        object_type="dataset_release",
        object_id=release.id,
        details={
            "delivery_id": str(delivery.id),
            "slug": release.dataset.slug,
            "version": release.version,
            "sha256": release.sha256,
            "via": via,
        },
        now=now,
    )
    return ReleaseFile(release, content_type, redirect_url=url, chunks=chunks, event=event)


def file_url(release: Release) -> str:
    """The API path of a release's file."""
    return file_path(release.dataset.slug, release.version)


def file_path(slug: str, version: int) -> str:
    """The API path of a dataset version's file."""
    return f"/api/v1/datasets/{slug}/releases/{version}/file"


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery as the publisher sees it: who received which release, when and how."""

    delivered_at: datetime
    organisation_name: str
    slug: str
    title: str
    version: int
    via: str
    actor: str


def recent_deliveries(session: Session, actor: Actor, *, limit: int = 100) -> list[DeliveryRow]:
    """Who downloaded what, newest first: for those who publish (``datasets:publish``)."""
    if not actor.has("datasets:publish"):
        raise Forbidden("Only those who publish datasets see who downloaded them.")
    rows = session.execute(
        sa.select(
            Delivery.delivered_at,
            Organisation.name,
            Dataset.slug,
            Dataset.title,
            Release.version,
            Delivery.via,
            Delivery.actor,
        )
        .join(Release, Release.id == Delivery.release_id)
        .join(Dataset, Dataset.id == Release.dataset_id)
        .join(Organisation, Organisation.id == Delivery.organisation_id)
        .order_by(Delivery.delivered_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    return [DeliveryRow(*row) for row in rows]
