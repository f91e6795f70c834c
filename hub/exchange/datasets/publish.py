"""Publishing dataset releases: numbered versions, stored files, the audit event, the webhook."""

from __future__ import annotations

import contextlib
import io
import uuid
from datetime import datetime
from typing import Any, BinaryIO, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import ServiceUnavailable, ValidationFailed
from hub.exchange.datasets.access import entitled_organisation_ids, file_path
from hub.exchange.datasets.models import Dataset, Release
from hub.exchange.datasets.rules import (
    FORMATS,
    BomFirst,
    CountingReader,
    CsvRowCounter,
    format_from_filename,
    formula_cells,
    safe_filename,
    slug_problem,
)
from hub.exchange.notify import mail as notify_mail
from hub.exchange.notify import webhooks
from hub.storage import Storage, StorageError
from hub.vocab.models import VocabularyTerm

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_NOTES = 5_000
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
    notes: str | None = None,
    now: datetime | None = None,
) -> Release:
    """Store a file as the next version of dataset ``slug`` (made on first use); audit, notify.

    The release row is written (reserving its version) before the file is stored and is filled
    in after, inside a savepoint of the caller's transaction: if anything fails, the savepoint
    is rolled back and the stored object removed, so no release is left half made. Two
    publishers never share a version or a storage key. A storage failure raises
    ServiceUnavailable.
    """
    fmt = _check_request(slug, filename, format, title, description, notes)
    stored_key: str | None = None
    savepoint = session.begin_nested()
    try:
        dataset = _dataset_for_release(
            session, actor, slug, title, condition_area, description, now
        )
        release = _reserve_version(session, dataset, fmt, safe_filename(filename, fmt), actor)
        counter = CsvRowCounter() if fmt == "csv" else None
        body = (
            cast(BinaryIO, CountingReader(cast(BinaryIO, BomFirst(stream)), counter))
            if counter
            else stream
        )
        try:
            stored = storage.put(release.storage_key, body, content_type=FORMATS[fmt])
        except StorageError as exc:
            raise ServiceUnavailable(
                "The file could not be stored, so nothing was published. Try again shortly."
            ) from exc
        stored_key = stored.key
        if stored.bytes == 0:
            raise ValidationFailed("The file is empty.", errors={"file": ["The file is empty."]})
        if fmt == "csv":
            _refuse_formula_cells(storage, stored.key)
        # Stamped after the upload, so the feed's order follows commits as closely as it can.
        release.published_at = now or utcnow()
        release.sha256 = stored.sha256
        release.bytes = stored.bytes
        release.rows = counter.finish() if counter else None
        release.notes = (notes or "").strip()
        session.flush()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        if stored_key is not None:
            _discard(storage, stored_key)
        raise
    savepoint.commit()
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
    entitled = entitled_organisation_ids(
        session, dataset.condition_area, release.published_at.date()
    )
    webhooks.enqueue(
        session,
        "dataset.released",
        release_event(release, dataset),
        entitled,
        now=release.published_at,
    )
    notify_mail.release_published(
        session,
        slug=dataset.slug,
        title=dataset.title,
        version=release.version,
        organisation_ids=entitled,
        now=release.published_at,
    )
    return release


def _refuse_formula_cells(storage: Storage, key: str) -> None:
    """A release is served byte for byte to partners who open it in a spreadsheet: a cell that
    would run as a formula (``=HYPERLINK(...)``) is refused at publish, naming where it is."""
    with storage.open(key) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        cells = formula_cells(text)
    if cells:
        where = ", ".join(f"row {r} column {c}" for r, c in cells)
        raise ValidationFailed(
            f"The file has cells a spreadsheet would run as formulas ({where}). Remove the "
            "leading =, +, - or @, or put a ' before it, and publish again.",
            errors={"file": [f"Formula cells at {where}."]},
        )


def _check_request(
    slug: str,
    filename: str | None,
    fmt: str | None,
    title: str | None,
    description: str | None,
    notes: str | None = None,
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
    if notes is not None and len(notes) > MAX_NOTES:
        errors["notes"] = [f"At most {MAX_NOTES} characters."]
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
    # An orphaned object is harmless: no release row points at it.
    with contextlib.suppress(StorageError):
        storage.delete(key)


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
        "notes": release.notes,
        "file_url": file_path(dataset.slug, release.version),
    }
