"""Publishing dataset releases, who is entitled to them, and every delivery of one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import NotFound, ServiceUnavailable, ValidationFailed
from hub.exchange import webhooks
from hub.exchange.dataset_models import Dataset, Delivery, Release
from hub.exchange.dataset_rules import (
    FORMATS,
    CountingReader,
    CsvRowCounter,
    format_from_filename,
    safe_filename,
    slug_problem,
)
from hub.identity.models import Agreement, Organisation
from hub.identity.services import require_agreement
from hub.paging import keyset_page
from hub.storage import Storage, StorageError
from hub.vocab.models import VocabularyTerm

PRESIGNED_URL_TTL_S = 300
MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
_VERSION_ATTEMPTS = 5


def publish_release(
    session: Session,
    actor: Actor,
    storage: Storage,
    *,
    slug: str,
    stream: BinaryIO,
    filename: str | None = None,
    title: str | None = None,
    condition_area: str | None = None,
    description: str | None = None,
    format: str | None = None,
    now: datetime | None = None,
) -> Release:
    """Store a file as the next version of dataset ``slug`` (made on first use); audit, notify.

    The release row is written (and its version reserved) before the file is stored and filled
    in after, all in the caller's transaction: a storage failure raises ServiceUnavailable and
    leaves nothing behind once the caller rolls back, and two publishers never share a key.
    """
    fmt = _check_request(slug, filename, format, title, description)
    dataset = _dataset_for_release(session, actor, slug, title, condition_area, description, now)
    release = _reserve_version(session, dataset, fmt, safe_filename(filename, fmt), actor)
    counter = CsvRowCounter() if fmt == "csv" else None
    body: BinaryIO = CountingReader(stream, counter) if counter else stream  # type: ignore[assignment]
    try:
        stored = storage.put(release.storage_key, body, content_type=FORMATS[fmt])
    except StorageError as exc:
        raise ServiceUnavailable(
            "The file could not be stored, so nothing was published. Try again shortly."
        ) from exc
    if stored.bytes == 0:
        _discard(storage, release.storage_key)
        raise ValidationFailed("The file is empty.", errors={"file": ["The file is empty."]})
    # Stamped after the upload, so the feed's order follows commits as closely as it can.
    release.published_at = now or utcnow()
    release.sha256 = stored.sha256
    release.bytes = stored.bytes
    release.rows = counter.finish() if counter else None
    try:
        session.flush()
    except BaseException:
        _discard(storage, release.storage_key)
        raise
    record(
        session,
        actor,
        "dataset.released",
        object_type="dataset_release",
        object_id=release.id,
        details={
            "slug": dataset.slug,
            "version": release.version,
            "condition_area": dataset.condition_area,
            "sha256": release.sha256,
            "bytes": release.bytes,
            "rows": release.rows,
        },
        now=release.published_at,
    )
    webhooks.enqueue(
        session,
        "dataset.released",
        release_event(release, dataset),
        entitled_organisation_ids(session, dataset.condition_area, release.published_at.date()),
        now=release.published_at,
    )
    return release


def _check_request(
    slug: str,
    filename: str | None,
    fmt: str | None,
    title: str | None,
    description: str | None,
) -> str:
    errors: dict[str, list[str]] = {}
    if problem := slug_problem(slug):
        errors["slug"] = [problem]
    chosen = fmt.strip().lower() if fmt else format_from_filename(filename or "")
    if chosen not in FORMATS:
        errors["format"] = [
            f"Give a format ({', '.join(FORMATS)}) or a file name with such an extension."
        ]
    if title is not None and len(title.strip()) > MAX_TITLE:
        errors["title"] = [f"At most {MAX_TITLE} characters."]
    if description is not None and len(description) > MAX_DESCRIPTION:
        errors["description"] = [f"At most {MAX_DESCRIPTION} characters."]
    if errors:
        raise ValidationFailed("The release cannot be published as it is.", errors=errors)
    assert chosen is not None
    return chosen


def _dataset_for_release(
    session: Session,
    actor: Actor,
    slug: str,
    title: str | None,
    condition_area: str | None,
    description: str | None,
    now: datetime | None,
) -> Dataset:
    title = (title or "").strip() or None
    condition_area = (condition_area or "").strip() or None
    dataset = session.scalar(sa.select(Dataset).where(Dataset.slug == slug))
    if dataset is None:
        errors: dict[str, list[str]] = {}
        if title is None:
            errors["title"] = ["A new dataset needs a title."]
        if condition_area is None:
            errors["condition_area"] = ["A new dataset needs a condition area."]
        elif not is_condition_area(session, condition_area):
            errors["condition_area"] = [f"Choose from: {', '.join(condition_areas(session))}."]
        if errors:
            raise ValidationFailed(f"There is no dataset {slug!r} yet.", errors=errors)
        assert title is not None and condition_area is not None
        candidate = Dataset(
            id=uuid.uuid4(),
            slug=slug,
            title=title,
            condition_area=condition_area,
            description=description or "",
            created_at=now or utcnow(),
        )
        try:
            with session.begin_nested():
                session.add(candidate)
        except IntegrityError:
            # Another publisher made it first; carry on with theirs.
            dataset = session.scalar(sa.select(Dataset).where(Dataset.slug == slug))
            if dataset is None:
                raise
        else:
            return candidate
    if condition_area is not None and condition_area != dataset.condition_area:
        raise ValidationFailed(
            f"The dataset {slug!r} is published for {dataset.condition_area}; "
            "a release cannot move it to another condition area.",
            errors={"condition_area": [f"Must be {dataset.condition_area} (or left out)."]},
        )
    if title is not None:
        dataset.title = title
    if description is not None:
        dataset.description = description
    return dataset


def _reserve_version(
    session: Session, dataset: Dataset, fmt: str, filename: str, actor: Actor
) -> Release:
    # The unique (dataset_id, version) key makes a concurrent publisher of the same version
    # wait for this transaction, then fail and take the next number.
    for _ in range(_VERSION_ATTEMPTS):
        latest = session.scalar(
            sa.select(sa.func.max(Release.version)).where(Release.dataset_id == dataset.id)
        )
        version = (latest or 0) + 1
        release = Release(
            id=uuid.uuid4(),
            dataset_id=dataset.id,
            version=version,
            published_at=utcnow(),
            sha256="",
            bytes=0,
            rows=None,
            format=fmt,
            filename=filename,
            storage_key=f"datasets/{dataset.slug}/v{version}/{filename}",
            published_by=actor.label,
        )
        try:
            with session.begin_nested():
                session.add(release)
        except IntegrityError:
            continue
        release.dataset = dataset
        return release
    raise ServiceUnavailable("Too many releases of this dataset at once. Try again shortly.")


def _discard(storage: Storage, key: str) -> None:
    try:
        storage.delete(key)
    except StorageError:
        pass  # An orphaned object is harmless: no release row points at it.


def condition_areas(session: Session) -> list[str]:
    """The condition-area vocabulary, in display order."""
    return list(
        session.scalars(
            sa.select(VocabularyTerm.value)
            .where(VocabularyTerm.kind == "condition_area")
            .order_by(VocabularyTerm.position, VocabularyTerm.value)
        )
    )


def is_condition_area(session: Session, value: str) -> bool:
    """Whether ``value`` is in the condition-area vocabulary."""
    return session.get(VocabularyTerm, ("condition_area", value)) is not None


# --- entitlement ------------------------------------------------------------------------------


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
    return keyset_page(session, stmt, [Dataset.slug], limit=limit, after=after)


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
            sa.and_(
                Release.dataset_id == newest.c.dataset_id, Release.version == newest.c.version
            ),
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
    return keyset_page(session, stmt, [Release.version], limit=limit, after=after, descending=True)


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
    """Releases ``actor`` is entitled to, published after ``since`` (or the cursor), oldest first."""
    areas = entitled_areas(session, actor, now.date())
    stmt = _visible(
        sa.select(Release).join(Release.dataset).options(joinedload(Release.dataset)), areas
    )
    if since is not None and after is None:
        stmt = stmt.where(Release.published_at > since)
    return keyset_page(session, stmt, [Release.published_at, Release.id], limit=limit, after=after)


# --- deliveries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseFile:
    """How to hand a release's file over: a presigned URL, or the bytes to stream."""

    release: Release
    content_type: str
    redirect_url: str | None = None
    chunks: Iterator[bytes] | None = None


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
    record(
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
    return ReleaseFile(release, content_type, redirect_url=url, chunks=chunks)


def file_url(release: Release) -> str:
    """The API path of a release's file."""
    return f"/api/v1/datasets/{release.dataset.slug}/releases/{release.version}/file"


def release_event(release: Release, dataset: Dataset) -> dict[str, Any]:
    """The ``data`` of a ``dataset.released`` webhook."""
    return {
        "slug": dataset.slug,
        "title": dataset.title,
        "condition_area": dataset.condition_area,
        "version": release.version,
        "published_at": release.published_at.isoformat(),
        "sha256": release.sha256,
        "bytes": release.bytes,
        "rows": release.rows,
        "format": release.format,
        "file_url": f"/api/v1/datasets/{dataset.slug}/releases/{release.version}/file",
    }
