"""S3 backend: objects in a bucket (AWS or an S3-compatible store) under an optional prefix.

The sha256 is kept as ``x-amz-meta-sha256``. S3 wants metadata when an upload starts, before the
hash of a stream is known, so ``put`` spools the stream through a ``SpooledTemporaryFile``
(memory up to ``SPOOL_MEMORY_BYTES``, local disk beyond) while hashing it, then uploads the spool
with the hash attached. Memory stays bounded; the cost is local disk the size of the object. The
alternative, uploading and then ``copy_object`` to add metadata, would leave a visible object
without its hash for a while and double the writes. S3 only shows an object once its
(multipart) upload completes, and boto3 aborts a failed multipart upload, so a failed ``put``
leaves no object at the key; a stream that fails while spooling never reaches S3 at all.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

import boto3
from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from hub.storage.base import (
    CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    BaseStorage,
    ObjectNotFound,
    StorageError,
    StoredObject,
    attachment_disposition,
    check_key,
    check_prefix,
    os_errors,
    read_chunks,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client

SPOOL_MEMORY_BYTES = 8 * 1024 * 1024
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


@contextmanager
def _s3_errors(key: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING_CODES:
            raise ObjectNotFound(key) from exc
        raise StorageError(f"{key}: {exc}") from exc
    except (BotoCoreError, Boto3Error) as exc:
        raise StorageError(f"{key}: {exc}") from exc


class _BodyReader(io.RawIOBase):
    """A botocore response body as a raw stream, so it can sit under a BufferedReader."""

    def __init__(self, body: StreamingBody, key: str) -> None:
        self._body = body
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with _s3_errors(self._key):
            data = self._body.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def _s3_client(
    session: boto3.session.Session,
    endpoint_url: str | None,
    region: str | None,
    *,
    attempts: int,
) -> S3Client:
    options: dict[str, Any] = {}
    if endpoint_url:
        # S3-compatible stores rarely serve virtual-hosted buckets, and many reject the
        # checksum headers newer botocore sends unasked.
        options = {
            "s3": {"addressing_style": "path"},
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
        }
    config = Config(
        region_name=region,
        signature_version="s3v4",
        retries={"max_attempts": attempts, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        **options,
    )
    return session.client("s3", endpoint_url=endpoint_url or None, config=config)


class S3Storage(BaseStorage):
    """Objects in an S3 bucket under an optional prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("S3 storage needs a bucket name")
        prefix = prefix.strip("/")
        self.bucket = bucket
        self.prefix = f"{check_key(prefix)}/" if prefix else ""
        # Our own session: boto3's default one is not safe to share between threads.
        session = boto3.session.Session()
        self._client = _s3_client(session, endpoint_url, region, attempts=3)
        # /readyz must answer quickly, so its probe does not retry.
        self._probe = _s3_client(session, endpoint_url, region, attempts=1)

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(
        self, key: str, stream: BinaryIO, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> StoredObject:
        """Store the stream at ``key``, replacing any object there once it is complete."""
        name = self._name(key)
        digest, size = hashlib.sha256(), 0
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool:
            for chunk in read_chunks(stream):
                digest.update(chunk)
                size += len(chunk)
                with os_errors(key):
                    spool.write(chunk)
            spool.seek(0)
            stored = StoredObject(key, size, digest.hexdigest(), content_type)
            extra = {"ContentType": content_type, "Metadata": {"sha256": stored.sha256}}
            with _s3_errors(key):
                self._client.upload_fileobj(spool, self.bucket, name, ExtraArgs=extra)
        return stored

    def stat(self, key: str) -> StoredObject | None:
        """Size, sha256 and content type of the object, or None if there is none."""
        try:
            with _s3_errors(key):
                head = self._client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ObjectNotFound:
            return None
        sha256 = head.get("Metadata", {}).get("sha256")
        if not sha256:
            # Put there by another tool: hash the bytes rather than report nothing.
            digest = hashlib.sha256()
            for chunk in self.iter_chunks(key):
                digest.update(chunk)
            sha256 = digest.hexdigest()
        content_type = head.get("ContentType") or DEFAULT_CONTENT_TYPE
        return StoredObject(key, head["ContentLength"], sha256, content_type)

    def _reader(self, key: str) -> BinaryIO:
        with _s3_errors(key):
            body = self._client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        return io.BufferedReader(_BodyReader(body, key), CHUNK_SIZE)

    def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error (retries are safe)."""
        with _s3_errors(key):
            self._client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with ``prefix``, in key order."""
        check_prefix(prefix)
        paginator = self._client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)

        def keys() -> Iterator[str]:
            with _s3_errors(prefix):
                for page in pages:
                    for item in page.get("Contents", []):
                        yield item["Key"][len(self.prefix) :]

        return keys()

    def presigned_url(
        self, key: str, expires_s: int = 300, filename: str | None = None
    ) -> str | None:
        """A time-limited GET URL, served as a download named ``filename`` when given."""
        params = {"Bucket": self.bucket, "Key": self._name(key)}
        if filename:
            params["ResponseContentDisposition"] = attachment_disposition(filename)
        with _s3_errors(key):
            return self._client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_s
            )

    def check(self) -> None:
        """Raise StorageError unless the bucket answers."""
        try:
            self._probe.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"s3://{self.bucket}: {exc}") from exc
