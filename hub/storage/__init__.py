"""Object storage for files (dataset releases, CSV uploads, audit seals).

``Settings.storage_url`` picks the backend: ``file://PATH`` (a folder; a relative path is taken
from the working directory when the storage is made) or ``s3://bucket/prefix`` (AWS, or an
S3-compatible store at ``Settings.s3_endpoint_url``). Both keep each object's sha256 and content
type, and neither ever shows a half-written object.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from hub.config import Settings
from hub.storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    ObjectNotFound,
    Storage,
    StorageError,
    StoredObject,
    attachment_disposition,
    check_key,
)
from hub.storage.filesystem import FileStorage

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_CONTENT_TYPE",
    "FileStorage",
    "ObjectNotFound",
    "Storage",
    "StorageError",
    "StoredObject",
    "attachment_disposition",
    "check_key",
    "storage_from_settings",
]


def storage_from_settings(settings: Settings) -> Storage:
    """The storage backend named by ``settings.storage_url``."""
    url = settings.storage_url
    if url.startswith("file://"):
        path = url.removeprefix("file://")
        if not path:
            raise ValueError("HUB_STORAGE_URL: file:// needs a path")
        return FileStorage(path)
    if url.startswith("s3://"):
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValueError("HUB_STORAGE_URL: s3:// needs a bucket")
        # Deliberate lazy import: boto3 loads only where S3 is the storage.
        from hub.storage.s3 import S3Storage

        return S3Storage(
            parts.netloc,
            parts.path,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region or None,
        )
    raise ValueError(f"HUB_STORAGE_URL: unsupported storage URL {url!r}")
