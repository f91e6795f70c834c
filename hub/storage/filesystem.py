"""Filesystem backend: objects as files under a root folder.

A write goes to a temporary file in the object's folder, which is ``os.replace``-d into place
once complete, so a half-written object is never visible. The sha256 and content type live in a
JSON sidecar ``.<name>.meta`` next to the object, together with the object file's inode, size
and mtime. The sidecar is renamed into place just before the object, so a crash between the two
renames (or a file placed by hand) leaves a sidecar that does not match, and ``stat`` then
recomputes the hash from the bytes rather than trust it. Names starting with ``.`` are never
valid keys, so sidecars and temporary files never show in ``list``.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import os
import stat as stat_module
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from hub.storage.base import (
    DEFAULT_CONTENT_TYPE,
    BaseStorage,
    ObjectNotFound,
    StorageError,
    StoredObject,
    check_key,
    check_prefix,
    os_errors,
    read_chunks,
)


class FileStorage(BaseStorage):
    """Objects as files under a root folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).absolute()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    @staticmethod
    def _meta_path(path: Path) -> Path:
        return path.with_name(f".{path.name}.meta")

    @staticmethod
    def _temp(path: Path) -> tuple[int, str]:
        return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")

    def put(
        self, key: str, stream: BinaryIO, *, content_type: str = DEFAULT_CONTENT_TYPE
    ) -> StoredObject:
        """Store the stream at ``key``, replacing any object there once it is complete."""
        path = self._path(key)
        digest, size = hashlib.sha256(), 0
        with os_errors(key):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = self._temp(path)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in read_chunks(stream):
                    digest.update(chunk)
                    size += len(chunk)
                    with os_errors(key):
                        out.write(chunk)
                with os_errors(key):
                    out.flush()
                    os.fsync(out.fileno())
                    written = os.fstat(out.fileno())
            stored = StoredObject(key, size, digest.hexdigest(), content_type)
            meta = {
                "sha256": stored.sha256,
                "content_type": content_type,
                "bytes": size,
                "inode": written.st_ino,
                "mtime_ns": written.st_mtime_ns,
            }
            with os_errors(key):
                self._write_meta(path, meta)
                os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return stored

    def _write_meta(self, path: Path, meta: dict[str, Any]) -> None:
        fd, tmp = self._temp(self._meta_path(path))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(meta, out)
            os.replace(tmp, self._meta_path(path))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def stat(self, key: str) -> StoredObject | None:
        """Size, sha256 and content type of the object, or None if there is none."""
        path = self._path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"{key}: {exc}") from exc
        if not stat_module.S_ISREG(st.st_mode):
            return None
        try:
            meta = json.loads(self._meta_path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if (meta.get("inode"), meta.get("bytes"), meta.get("mtime_ns")) == (
            st.st_ino,
            st.st_size,
            st.st_mtime_ns,
        ):
            return StoredObject(key, st.st_size, meta["sha256"], meta["content_type"])
        digest = hashlib.sha256()
        try:
            with self._reader(key) as reader:
                for chunk in read_chunks(reader):
                    digest.update(chunk)
        except ObjectNotFound:
            return None
        return StoredObject(key, st.st_size, digest.hexdigest(), DEFAULT_CONTENT_TYPE)

    def _reader(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise StorageError(f"{key}: {exc}") from exc

    def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error (retries are safe)."""
        path = self._path(key)
        with os_errors(key):
            path.unlink(missing_ok=True)
            self._meta_path(path).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with ``prefix``, in key order."""
        check_prefix(prefix)
        folder = prefix.rpartition("/")[0]
        start = self.root.joinpath(*folder.split("/")) if folder else self.root

        def fail(exc: OSError) -> None:
            if not isinstance(exc, FileNotFoundError | NotADirectoryError):
                raise StorageError(f"{prefix}: {exc}") from exc

        keys: builtins.list[str] = []
        for dirpath, dirnames, filenames in os.walk(start, onerror=fail):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                key = name if rel == "." else f"{rel}/{name}"
                if not name.startswith(".") and key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def presigned_url(
        self, key: str, expires_s: int = 300, filename: str | None = None
    ) -> str | None:
        """Always None: files are streamed by the hub itself."""
        check_key(key)
        return None

    def check(self) -> None:
        """Raise StorageError unless the root folder exists (or can be made) and is writable."""
        with os_errors(str(self.root)):
            self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError(f"{self.root}: not writable")
