"""``/api/v1/datasets``: the regulator's condition-specific releases, entitlement, deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, BinaryIO, cast

from flask import Request, Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, FileStorage

from hub.api.auth import require
from hub.api.dataset_schemas import (
    DATASET_404,
    DATASET_EXAMPLE,
    PUBLISHED_EXAMPLE,
    RECEIPT_HEADER_DOC,
    RELEASE_EXAMPLE,
    SLUG_PARAMETER,
    STORAGE_503,
    DatasetPageSchema,
    FeedArgs,
    FeedPageSchema,
    PublishedReleaseSchema,
    PublishForm,
    ReleasePageSchema,
)
from hub.api.docs import LIMIT_422, invalid_query_doc, problem_doc
from hub.api.pagination import PageArgs, decode_cursor, encode_cursor, page_body
from hub.audit.receipts import RECEIPT_HEADER, receipt_header
from hub.clock import utcnow
from hub.errors import UnsupportedMediaType, ValidationFailed
from hub.exchange.datasets.access import (
    deliver_release,
    file_url,
    get_release,
    latest_releases,
    list_datasets,
    list_releases,
    release_feed,
)
from hub.exchange.datasets.models import Dataset, Release
from hub.exchange.datasets.publish import publish_release
from hub.exchange.datasets.rules import FORMATS
from hub.storage import attachment_disposition
from hub.web import current_actor, db, hub_context

_parser = FlaskParser()


@_parser.location_loader("multipart")
def _load_multipart(req: Request, schema: Schema) -> MultiDictProxy:
    if req.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("Send the release as multipart/form-data, the file in `file`.")
    return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class _Blueprint(Blueprint):
    """A blueprint that also reads (and documents) multipart bodies of files and fields."""

    ARGUMENTS_PARSER = _parser
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }


blp = _Blueprint(
    "datasets",
    __name__,
    url_prefix="/api/v1",
    description="Condition-specific datasets the regulator publishes, and who may receive them.",
)


def describe_release(release: Release, *, with_dataset: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": release.version,
        "published_at": release.published_at,
        "sha256": release.sha256,
        "bytes": release.bytes,
        "rows": release.rows,
        "format": release.format,
        "filename": release.filename,
        "notes": release.notes,
        "file_url": file_url(release),
    }
    if with_dataset:
        out.update(
            slug=release.dataset.slug,
            title=release.dataset.title,
            condition_area=release.dataset.condition_area,
        )
    return out


def _describe_dataset(dataset: Dataset, latest: Release | None) -> dict[str, Any]:
    return {
        "slug": dataset.slug,
        "title": dataset.title,
        "condition_area": dataset.condition_area,
        "description": dataset.description,
        "created_at": dataset.created_at,
        "latest_version": latest.version if latest else None,
        "latest_published_at": latest.published_at if latest else None,
        "releases_url": f"/api/v1/datasets/{dataset.slug}/releases",
    }


@blp.route("/datasets")
class Datasets(MethodView):
    @require("datasets:read")
    @blp.doc(
        operationId="listDatasets",
        description="The condition-specific datasets the regulator publishes that the caller's "
        "data-sharing agreement in force covers (its condition areas), each with its newest "
        "version. Without an agreement in force the answer is 403 `agreement-required`.",
    )
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, DatasetPageSchema, example={"items": [DATASET_EXAMPLE], "next_cursor": None})
    @blp.alt_response(422, **invalid_query_doc("/api/v1/datasets", *LIMIT_422))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The datasets the caller's agreement in force covers (the regulator: all), by slug."""
        rows, next_key = list_datasets(
            db(),
            current_actor(),
            limit=args["limit"],
            after=decode_cursor(args["cursor"]),
            now=utcnow(),
        )
        latest = latest_releases(db(), [d.id for d in rows])
        return page_body([_describe_dataset(d, latest.get(d.id)) for d in rows], next_key)


def _parse_since(value: str | None) -> tuple[datetime | None, list[Any] | None]:
    if not value:
        return None, None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        pass
    else:
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), None
    try:
        return None, decode_cursor(value)
    except ValidationFailed as exc:
        raise ValidationFailed(
            "`since` is neither an ISO 8601 time nor a cursor from this feed.",
            errors={"since": ["An ISO 8601 time or a `next_since` value."]},
        ) from exc


@blp.route("/datasets/feed")
class Feed(MethodView):
    @require("datasets:read")
    @blp.doc(
        operationId="getDatasetFeed",
        description="Poll for new releases: pass the `next_since` of the previous answer as "
        "`since` and get only releases published after it, oldest first, across every dataset "
        "the caller is entitled to. The first poll may give an ISO 8601 time instead.",
    )
    @blp.arguments(FeedArgs, location="query")
    @blp.response(
        200,
        FeedPageSchema,
        example={
            "items": [PUBLISHED_EXAMPLE],
            "next_cursor": None,
            "next_since": "WyIyMDI2LTAzLTAyVDA5OjAwOjAwKzAwOjAwIiwiOWYyYyJd",
        },
    )
    @blp.alt_response(
        422,
        **problem_doc(
            "validation-failed",
            "`since` is neither an ISO 8601 time nor a `next_since` value, or `limit` is out of "
            "range.",
            detail="`since` is neither an ISO 8601 time nor a cursor from this feed.",
            instance="/api/v1/datasets/feed",
            errors={"since": ["An ISO 8601 time or a `next_since` value."]},
        ),
    )
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Releases new to the caller: those it is entitled to, published after `since`."""
        since, since_key = _parse_since(args["since"])
        after = decode_cursor(args["cursor"]) or since_key
        rows, next_key = release_feed(
            db(), current_actor(), since=since, after=after, limit=args["limit"], now=utcnow()
        )
        body = page_body([describe_release(r, with_dataset=True) for r in rows], next_key)
        if rows:
            body["next_since"] = encode_cursor([rows[-1].published_at.isoformat(), rows[-1].id])
        else:
            body["next_since"] = args["cursor"] or args["since"]
        return body


@blp.route("/datasets/<string:slug>/releases", parameters=[SLUG_PARAMETER])
class Releases(MethodView):
    @require("datasets:read")
    @blp.doc(
        operationId="listReleases",
        description="Every version of one dataset, newest first, with each file's sha256 (also "
        "its `ETag`), size, row count and download URL.",
    )
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ReleasePageSchema, example={"items": [RELEASE_EXAMPLE], "next_cursor": None})
    @blp.alt_response(404, **DATASET_404)
    @blp.alt_response(
        422, **invalid_query_doc("/api/v1/datasets/cancer-patient-experience/releases", *LIMIT_422)
    )
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """A dataset's releases, newest first; 404 unless the caller's agreement covers it."""
        rows, next_key = list_releases(
            db(),
            current_actor(),
            slug,
            limit=args["limit"],
            after=decode_cursor(args["cursor"]),
            now=utcnow(),
        )
        return page_body([describe_release(r) for r in rows], next_key)

    @require("datasets:publish")
    @blp.doc(
        operationId="publishRelease",
        description="The regulator publishes the next version of a dataset as a multipart "
        "upload: the file in `file`, and for a new slug its `title` and `condition_area`. "
        "Versions are numbered by the hub. Partners whose agreement covers the condition area "
        "see the release at once, and endpoints registered for `dataset.released` are told.",
    )
    @blp.arguments(
        PublishForm,
        location="multipart",
        example={
            "file": "trust,question,score\nRXQ,Q12,0.87\n",
            "title": "Cancer patient experience by trust",
            "condition_area": "cancer",
            "description": "Survey results by NHS trust and question.",
        },
    )
    @blp.response(
        201,
        PublishedReleaseSchema,
        example=PUBLISHED_EXAMPLE,
        headers={
            "Location": {
                "description": "Where to download the new file.",
                "schema": {"type": "string"},
            }
        },
    )
    @blp.alt_response(
        415,
        **problem_doc(
            "unsupported-media-type",
            "The body is not multipart/form-data.",
            detail="Send the release as multipart/form-data, the file in `file`.",
        ),
    )
    @blp.alt_response(
        422,
        **problem_doc(
            "validation-failed",
            "The file is missing or empty, the slug or format is not valid, or a new dataset "
            "lacks its title or condition area.",
            detail="There is no dataset 'cancer-patient-experience' yet.",
            errors={"title": ["A new dataset needs a title."]},
        ),
    )
    @blp.alt_response(503, **STORAGE_503)
    def post(self, form: dict[str, Any], slug: str) -> tuple[dict[str, Any], dict[str, str]]:
        """Publish the next version of a dataset (a new slug needs a title and condition area)."""
        upload: FileStorage = form["file"]
        release = publish_release(
            db(),
            current_actor(),
            hub_context().storage,
            slug=slug,
            stream=cast(BinaryIO, upload.stream),
            filename=upload.filename,
            title=form["title"],
            condition_area=form["condition_area"],
            description=form["description"],
            format=form["format"],
            notes=form["notes"],
        )
        body = describe_release(release, with_dataset=True)
        return body, {"Location": body["file_url"]}


@blp.route(
    "/datasets/<string:slug>/releases/<int:version>/file",
    parameters=[
        SLUG_PARAMETER,
        {"in": "path", "name": "version", "schema": {"type": "integer", "minimum": 1}},
    ],
)
class ReleaseFile(MethodView):
    @require("datasets:read")
    @blp.doc(
        operationId="downloadRelease",
        description="The release's file, streamed, with `ETag` set to its sha256: check the "
        "bytes against it, and send it back as `If-None-Match` to get 304 when you already have "
        "the file. On S3 storage the answer may be a 302 to a short-lived presigned URL. Every "
        "download is recorded as a delivery (an outbound exchange) and audited; a 304 is not. "
        "The `Hub-Receipt` header (`seq=<n>, hash=<hex>`) names the delivery's audit event: "
        "`GET /receipts/{seq}` gives its receipt, checkable offline (docs/receipts.md).",
        parameters=[
            {
                "in": "header",
                "name": "If-None-Match",
                "required": False,
                "schema": {"type": "string"},
                "description": 'The `ETag` of the copy you hold (`"<sha256>"`).',
            }
        ],
    )
    @blp.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="application/octet-stream",
        description="The file (its real type in Content-Type), with `ETag` = its sha256.",
        headers={
            "ETag": {"description": "The file's sha256, quoted.", "schema": {"type": "string"}},
            "Content-Disposition": {
                "description": "`attachment` with the file's name.",
                "schema": {"type": "string"},
            },
            RECEIPT_HEADER: RECEIPT_HEADER_DOC,
        },
    )
    @blp.alt_response(
        200,
        schema={"type": "string", "format": "binary"},
        # The file is answered with its own type (`text/csv`, `application/zip`...); generated
        # clients read it as the octet-stream above.
        content_type="*/*",
        description="The file (its real type in Content-Type), with `ETag` = its sha256.",
        success=True,
    )
    @blp.alt_response(
        302,
        description="On S3: a short-lived presigned URL in `Location`.",
        headers={
            "Location": {"description": "The presigned URL.", "schema": {"type": "string"}},
            RECEIPT_HEADER: RECEIPT_HEADER_DOC,
        },
    )
    @blp.alt_response(304, description="`If-None-Match` matched: the caller has this file.")
    @blp.alt_response(
        404,
        **problem_doc(
            "not-found",
            "No such dataset or version, or the caller's agreement does not cover it.",
            detail="The dataset 'cancer-patient-experience' has no version 9.",
            instance="/api/v1/datasets/cancer-patient-experience/releases/9/file",
        ),
    )
    @blp.alt_response(503, **STORAGE_503)
    def get(self, slug: str, version: int) -> Response:
        """Download a release's file; every download is recorded as a delivery."""
        actor = current_actor()
        now = utcnow()
        release = get_release(db(), actor, slug, version, now=now)
        headers = {"ETag": f'"{release.sha256}"', "Cache-Control": "private, no-cache"}
        if request.if_none_match.contains_weak(release.sha256):
            return Response(status=304, headers=headers)
        headers["Content-Disposition"] = attachment_disposition(release.filename)
        content_type = FORMATS.get(release.format, "application/octet-stream")
        if request.method == "HEAD":
            # Headers only: no data leaves, so nothing is delivered.
            headers["Content-Length"] = str(release.bytes)
            return Response(status=200, headers=headers, content_type=content_type)
        handed = deliver_release(db(), actor, hub_context().storage, release, now=now)
        if handed.event is not None:
            headers[RECEIPT_HEADER] = receipt_header(db(), handed.event)
        if handed.redirect_url:
            headers["Location"] = handed.redirect_url
            return Response(status=302, headers=headers)
        headers["Content-Length"] = str(release.bytes)
        return Response(
            handed.chunks, headers=headers, content_type=content_type, direct_passthrough=True
        )
