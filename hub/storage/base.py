"""Shared parts of object storage: the protocol, the stored-object record, errors, key rules.

Keys are ``/``-separated relative paths, checked the same way on both backends so that code
which works on one works on the other: no empty, ``.`` or ``..`` segments, no segment starting
with ``.`` (the filesystem backend keeps its own files under such names), no backslashes, no
control characters, no leading ``/``.
"""

from __future__ import annotations

import abc
import io
import re
import unicodedata
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Protocol
from urllib.parse import quote

DEFAULT_CONTENT_TYPE = "application/octet-stream"
CHUNK_SIZE = 1024 * 1024
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")


class StorageError(Exception):
    """Storage is unreachable or an operation on it failed."""


class ObjectNotFound(StorageError):
    """No object is stored at the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no object at {key!r}")
        self.key = key


@dataclass(frozen=True)
class StoredObject:
    """An object's key, size in bytes, sha256 (hex) and content type."""

    key: str
    bytes: int
    sha256: str
    content_type: str


class Storage(Protocol):
    """What the hub needs from object storage."""

    def put(
        self, key: str, stream: BinaryIO, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> StoredObject: ...
    def put_bytes(
        self, key: str, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> StoredObject: ...
    def open(self, key: str) -> AbstractContextManager[BinaryIO]: ...
    def iter_chunks(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]: ...
    def stat(self, key: str) -> StoredObject | None: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def list(self, prefix: str = "") -> Iterator[str]: ...
    def presigned_url(
        self, key: str, expires_s: int = 300, filename: str | None = None
    ) -> str | None: ...
    def check(self) -> None: ...


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise ValueError."""
    if not key or len(key) > 1024 or key.startswith("/") or _BAD_CHARS.search(key):
        raise ValueError(f"invalid storage key: {key!r}")
    for part in key.split("/"):
        if not part or part.startswith("."):
            raise ValueError(f"invalid storage key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is a safe listing prefix, else raise ValueError."""
    # A prefix may end in "/" or stop half-way through a segment; the rest follows key rules.
    body = prefix.rstrip("/")
    if body:
        check_key(body)
    elif prefix:
        raise ValueError(f"invalid storage prefix: {prefix!r}")
    return prefix


def safe_filename(filename: str, default: str = "download") -> str:
    """A file name fit to offer a browser: its last path segment only (no ``../``), without
    control or format characters (NUL, right-to-left override and the other bidi controls),
    leading dots or surrounding spaces, at most 150 characters."""
    name = re.split(r"[/\\]", filename)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    name = name.strip().lstrip(".").strip()
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:150]
    return name or default


def attachment_disposition(filename: str) -> str:
    """Content-Disposition for a download named ``filename`` (RFC 6266, UTF-8 aware), the name
    made safe first (``safe_filename``): an uploaded file's name is the sender's to choose."""
    filename = safe_filename(filename)
    fallback = re.sub(r'[^\x20-\x7e]|["\\]', "_", filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def read_chunks(stream: BinaryIO, size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Read ``stream`` to its end in pieces of at most ``size`` bytes."""
    while chunk := stream.read(size):
        yield chunk


@contextmanager
def os_errors(key: str) -> Iterator[None]:
    """Turn an OSError inside the block into a StorageError."""
    try:
        yield
    except OSError as exc:
        raise StorageError(f"{key}: {exc}") from exc


class _Chunks(Iterator[bytes]):
    """Chunks of an open stream; ``close()`` (called by WSGI servers) releases it early."""

    def __init__(self, stream: BinaryIO, chunk_size: int) -> None:
        self._stream = stream
        self._size = chunk_size

    def __next__(self) -> bytes:
        chunk = self._stream.read(self._size)
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        self._stream.close()

    def __del__(self) -> None:
        self.close()


class BaseStorage(abc.ABC):
    """What both backends share; each supplies put, stat and _reader."""

    @abc.abstractmethod
    def put(
        self, key: str, stream: BinaryIO, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> StoredObject: ...

    @abc.abstractmethod
    def stat(self, key: str) -> StoredObject | None: ...

    @abc.abstractmethod
    def _reader(self, key: str) -> BinaryIO:
        """Open ``key`` for reading now, so a missing object fails at the call."""

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> StoredObject:
        """Store ``data`` at ``key``."""
        return self.put(key, io.BytesIO(data), content_type=content_type)

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        """Yield a readable stream of the object; raise ObjectNotFound if there is none."""
        reader = self._reader(key)
        with reader:
            yield reader

    def iter_chunks(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Iterate over the object's bytes; raise ObjectNotFound at once if there is none."""
        return _Chunks(self._reader(key), chunk_size)

    def exists(self, key: str) -> bool:
        """Whether an object is stored at ``key``."""
        return self.stat(key) is not None
