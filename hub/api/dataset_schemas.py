"""Schemas and documentation examples of ``/api/v1/datasets`` (the views are in datasets.py)."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from hub.api.docs import problem_doc
from hub.api.pagination import PageArgs
from hub.api.schemas import PageSchema
from hub.exchange.datasets.rules import FORMATS

SLUG_PARAMETER = {
    "in": "path",
    "name": "slug",
    "description": "The dataset's slug: 3 to 60 lower-case letters, digits and hyphens.",
    "schema": {"type": "string", "pattern": "^[a-z0-9-]{3,60}$"},
}


class FileUpload(Upload):
    """A file part of a multipart body."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise ValidationError("Send the file as a file part named `file`.")
        return value


class PublishForm(Schema):
    file = FileUpload(required=True, metadata={"description": "The release's file."})
    title = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Required for a new dataset; replaces the title if given."},
    )
    condition_area = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "Required for a new dataset (e.g. `cancer`); cannot change."},
    )
    description = fields.String(
        load_default=None,
        validate=validate.Length(max=10_000),
        metadata={"description": "What the table holds; replaces the description if given."},
    )
    format = fields.String(
        load_default=None,
        validate=validate.OneOf(list(FORMATS)),
        metadata={"description": "The file's format; by default its name's extension."},
    )
    notes = fields.String(
        load_default=None,
        validate=validate.Length(max=5_000),
        metadata={"description": "What is new in this release, shown to partners beside it."},
    )


class ReleaseSchema(Schema):
    version = fields.Integer(metadata={"description": "Numbered by the hub: 1, 2, ..."})
    published_at = fields.DateTime()
    sha256 = fields.String(metadata={"description": "Hex sha256 of the file; also its ETag."})
    bytes = fields.Integer()
    rows = fields.Integer(
        allow_none=True, metadata={"description": "Data rows (header excluded); CSV only."}
    )
    format = fields.String(metadata={"description": f"One of: {', '.join(FORMATS)}."})
    filename = fields.String()
    notes = fields.String(metadata={"description": "What is new in this release (may be empty)."})
    file_url = fields.String(metadata={"description": "Where to download the file."})


class PublishedReleaseSchema(ReleaseSchema):
    slug = fields.String()
    title = fields.String()
    condition_area = fields.String()


class ReleasePageSchema(PageSchema):
    items = fields.List(fields.Nested(ReleaseSchema))


class DatasetSchema(Schema):
    slug = fields.String()
    title = fields.String()
    condition_area = fields.String()
    description = fields.String()
    created_at = fields.DateTime()
    latest_version = fields.Integer(allow_none=True)
    latest_published_at = fields.DateTime(allow_none=True)
    releases_url = fields.String()


class DatasetPageSchema(PageSchema):
    items = fields.List(fields.Nested(DatasetSchema))


class FeedArgs(PageArgs):
    since = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={
            "description": "An ISO 8601 time (releases published after it) or the "
            "`next_since` of an earlier answer. Leave out for every release."
        },
    )


class FeedPageSchema(PageSchema):
    items = fields.List(fields.Nested(PublishedReleaseSchema))
    next_since = fields.String(
        allow_none=True,
        metadata={"description": "Pass as `since` on the next poll to get only newer releases."},
    )


RELEASE_EXAMPLE: dict[str, Any] = {
    "version": 2,
    "published_at": "2026-03-02T09:00:00+00:00",
    "sha256": "9f2c1e0b7a4d6c3e8f1a2b5c7d9e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e",
    "bytes": 48213,
    "rows": 412,
    "format": "csv",
    "filename": "cancer-patient-experience-2025.csv",
    "notes": "The 2025 survey. Two trusts that merged in April are reported as one.",
    "file_url": "/api/v1/datasets/cancer-patient-experience/releases/2/file",
}
PUBLISHED_EXAMPLE: dict[str, Any] = {
    **RELEASE_EXAMPLE,
    "slug": "cancer-patient-experience",
    "title": "Cancer patient experience by trust",
    "condition_area": "cancer",
}


DATASET_EXAMPLE: dict[str, Any] = {
    "slug": "cancer-patient-experience",
    "title": "Cancer patient experience by trust",
    "condition_area": "cancer",
    "description": "Survey results by NHS trust and question; one row per trust and question.",
    "created_at": "2025-03-01T09:00:00+00:00",
    "latest_version": 2,
    "latest_published_at": "2026-03-02T09:00:00+00:00",
    "releases_url": "/api/v1/datasets/cancer-patient-experience/releases",
}
DATASET_404 = problem_doc(
    "not-found",
    "No such dataset, or the caller's agreement does not cover its condition area.",
    detail="No such dataset among those your agreement covers.",
    instance="/api/v1/datasets/cancer-patient-experience/releases",
)
RECEIPT_HEADER_DOC = {
    "description": "The delivery's audit receipt, `seq=<n>, hash=<hex>`; fetch "
    "`GET /receipts/{seq}` to verify it.",
    "schema": {"type": "string"},
    "example": "seq=1841, hash=9f2c4e1ab37d5f60c8e2a9b4d1f7e3c5a0b6d8f2e4c1a3b5d7f9e0c2a4b6d8f1",
}
STORAGE_503 = problem_doc(
    "service-unavailable",
    "The file store cannot be reached just now; try again shortly.",
    detail="The file cannot be reached just now. Try again shortly.",
)
