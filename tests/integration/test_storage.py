"""Object storage against a real folder and a real S3 endpoint (moto's HTTP server)."""

from __future__ import annotations

import hashlib
import io
import os
import random
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
import requests

from hub.config import Settings
from hub.storage import (
    FileStorage,
    ObjectNotFound,
    Storage,
    StorageError,
    storage_from_settings,
)
from hub.storage.s3 import S3Storage

# Loaded here too so this file runs on its own; the plugin manager registers it only once.
pytest_plugins = ["tests.fixtures.s3"]

MiB = 1024 * 1024


@pytest.fixture(params=["file", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "file":
        return storage_from_settings(Settings(storage_url=f"file://{tmp_path}/store"))
    overrides: dict[str, Any] = request.getfixturevalue("s3_settings")
    return storage_from_settings(Settings(**overrides))


def _payload(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


class _GeneratedStream(io.RawIOBase):
    """``total`` bytes made on demand; refuses to be read whole and remembers its largest read."""

    def __init__(self, total: int, *, fail_after: int | None = None) -> None:
        self.remaining = total
        self.served = 0
        self.largest_read = 0
        self.fail_after = fail_after
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("stream read whole")
        if self.fail_after is not None and self.served >= self.fail_after:
            raise ConnectionResetError("client went away")
        self.largest_read = max(self.largest_read, size)
        chunk = _payload(min(size, self.remaining), seed=self.served)
        self.remaining -= len(chunk)
        self.served += len(chunk)
        self.digest.update(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("only read() is expected")


def _as_binary(stream: io.RawIOBase) -> BinaryIO:
    return cast(BinaryIO, stream)


def test_round_trip_of_a_multi_megabyte_stream(storage: Storage) -> None:
    data = _payload(9 * MiB + 123)  # past boto3's multipart threshold

    stored = storage.put("datasets/a/v1.csv", io.BytesIO(data), content_type="text/csv")

    expected_sha = hashlib.sha256(data).hexdigest()
    assert (stored.bytes, stored.sha256, stored.content_type) == (
        len(data),
        expected_sha,
        "text/csv",
    )
    assert storage.stat("datasets/a/v1.csv") == stored
    assert storage.exists("datasets/a/v1.csv")
    with storage.open("datasets/a/v1.csv") as reader:
        assert reader.read() == data
    chunks = list(storage.iter_chunks("datasets/a/v1.csv", chunk_size=256 * 1024))
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) <= 256 * 1024


def test_put_streams_in_bounded_reads(storage: Storage) -> None:
    stream = _GeneratedStream(12 * MiB + 5)

    stored = storage.put("uploads/big.bin", _as_binary(stream))

    assert stream.remaining == 0
    assert stream.largest_read <= MiB
    assert stored.bytes == 12 * MiB + 5
    assert stored.sha256 == stream.digest.hexdigest()
    assert storage.stat("uploads/big.bin") == stored


def test_overwrite_replaces_bytes_and_hash(storage: Storage) -> None:
    storage.put_bytes("seals/1.json", b"first")
    second = storage.put_bytes("seals/1.json", b"second version", content_type="application/json")

    assert storage.stat("seals/1.json") == second
    assert second.sha256 == hashlib.sha256(b"second version").hexdigest()
    with storage.open("seals/1.json") as reader:
        assert reader.read() == b"second version"


def test_list_by_prefix_in_key_order(storage: Storage) -> None:
    keys = [
        "seals/1.json",
        "datasets/b/v1.csv",
        "datasets/a/v2.csv",
        "datasetsx/z",
        "datasets/a/v1.csv",
    ]
    for key in keys:
        storage.put_bytes(key, key.encode())

    assert list(storage.list("datasets/a/")) == ["datasets/a/v1.csv", "datasets/a/v2.csv"]
    assert list(storage.list("datasets/")) == [
        "datasets/a/v1.csv",
        "datasets/a/v2.csv",
        "datasets/b/v1.csv",
    ]
    assert list(storage.list("datasets")) == [
        "datasets/a/v1.csv",
        "datasets/a/v2.csv",
        "datasets/b/v1.csv",
        "datasetsx/z",
    ]
    assert list(storage.list()) == sorted(keys)
    assert list(storage.list("nothing/")) == []


def test_delete_removes_the_object(storage: Storage) -> None:
    storage.put_bytes("uploads/x.csv", b"a,b\n")
    storage.put_bytes("uploads/y.csv", b"c,d\n")

    storage.delete("uploads/x.csv")

    assert not storage.exists("uploads/x.csv")
    assert storage.stat("uploads/x.csv") is None
    assert list(storage.list("uploads/")) == ["uploads/y.csv"]
    with pytest.raises(ObjectNotFound), storage.open("uploads/x.csv"):
        pass
    storage.delete("uploads/x.csv")  # a retried delete is not an error


def test_missing_key_raises_object_not_found(storage: Storage) -> None:
    storage.put_bytes("datasets/a/v1.csv", b"x")

    with pytest.raises(ObjectNotFound) as excinfo, storage.open("datasets/a/missing.csv"):
        pass
    assert excinfo.value.key == "datasets/a/missing.csv"
    with pytest.raises(ObjectNotFound):
        storage.iter_chunks("datasets/a/missing.csv")
    with pytest.raises(ObjectNotFound):
        storage.iter_chunks("datasets/a")  # a "folder" is not an object
    assert storage.stat("datasets/a/missing.csv") is None
    assert not storage.exists("datasets/a")


def test_failing_stream_leaves_no_object(storage: Storage) -> None:
    stream = _GeneratedStream(10 * MiB, fail_after=3 * MiB)

    with pytest.raises(ConnectionResetError):
        storage.put("uploads/broken.bin", _as_binary(stream))

    assert stream.served == 3 * MiB
    assert storage.stat("uploads/broken.bin") is None
    assert list(storage.list()) == []


def test_failing_stream_keeps_the_previous_version(storage: Storage) -> None:
    previous = storage.put_bytes("seals/latest.json", b'{"upto_seq": 10}')

    with pytest.raises(ConnectionResetError):
        storage.put("seals/latest.json", _as_binary(_GeneratedStream(4 * MiB, fail_after=MiB)))

    assert storage.stat("seals/latest.json") == previous
    with storage.open("seals/latest.json") as reader:
        assert reader.read() == b'{"upto_seq": 10}'
    assert list(storage.list()) == ["seals/latest.json"]


@pytest.mark.parametrize(
    "key",
    [
        "../escape",
        "a/../../escape",
        "/etc/passwd",
        "a\\b",
        "",
        "a//b",
        "a/",
        ".meta",
        "a/./b",
        "a\x00b",
    ],
)
def test_unsafe_keys_are_rejected(storage: Storage, tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError):
        storage.put_bytes(key, b"x")
    with pytest.raises(ValueError):
        storage.stat(key)
    with pytest.raises(ValueError):
        storage.delete(key)
    with pytest.raises(ValueError):
        storage.iter_chunks(key)
    assert not (tmp_path / "escape").exists()


@pytest.mark.parametrize("prefix", ["../", "a/../", "/etc/", "/", "a\\"])
def test_unsafe_prefixes_are_rejected(storage: Storage, prefix: str) -> None:
    with pytest.raises(ValueError):
        storage.list(prefix)


def test_check_passes_when_storage_is_reachable(storage: Storage) -> None:
    storage.check()


def test_presigned_url_downloads_the_bytes(s3_settings: dict[str, Any]) -> None:
    storage = storage_from_settings(Settings(**s3_settings))
    data = _payload(300_000)
    storage.put_bytes("datasets/a/v1.csv", data, content_type="text/csv")

    url = storage.presigned_url("datasets/a/v1.csv", expires_s=60, filename="report v1.csv")

    assert url is not None
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="report v1.csv"'
    )


def test_filesystem_has_no_presigned_urls(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.put_bytes("datasets/a/v1.csv", b"x")

    assert storage.presigned_url("datasets/a/v1.csv", filename="v1.csv") is None


def test_failed_filesystem_put_leaves_no_stray_files(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.put_bytes("uploads/kept.csv", b"kept")

    with pytest.raises(ConnectionResetError):
        storage.put("uploads/broken.csv", _as_binary(_GeneratedStream(3 * MiB, fail_after=MiB)))

    names = sorted(p.name for p in (tmp_path / "uploads").iterdir())
    assert names == [".kept.csv.meta", "kept.csv"]


def test_filesystem_hashes_files_placed_by_hand(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    storage.put_bytes("imports/providers.json", b"old")
    (tmp_path / "imports" / "providers.json").write_bytes(b"copied in by an operator")
    (tmp_path / "imports" / "extra.json").write_bytes(b"{}")

    replaced = storage.stat("imports/providers.json")
    extra = storage.stat("imports/extra.json")

    assert replaced is not None
    assert replaced.sha256 == hashlib.sha256(b"copied in by an operator").hexdigest()
    assert replaced.bytes == len(b"copied in by an operator")
    assert extra is not None
    assert extra.sha256 == hashlib.sha256(b"{}").hexdigest()


def test_filesystem_check_fails_when_root_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "store").write_bytes(b"not a folder")

    with pytest.raises(StorageError):
        FileStorage(tmp_path / "store").check()


@pytest.fixture
def closed_port() -> Iterator[int]:
    # A bound socket that never listens refuses connections for as long as it is held.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_s3_check_fails_on_a_closed_port(s3_endpoint_url: str, closed_port: int) -> None:
    storage = storage_from_settings(
        Settings(storage_url="s3://hub/data", s3_endpoint_url=f"http://127.0.0.1:{closed_port}")
    )

    with pytest.raises(StorageError):
        storage.check()


def test_s3_check_fails_when_the_bucket_is_missing(s3_endpoint_url: str) -> None:
    storage = storage_from_settings(
        Settings(storage_url="s3://no-such-bucket", s3_endpoint_url=s3_endpoint_url)
    )

    with pytest.raises(StorageError):
        storage.check()


def test_relative_file_url_is_taken_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    storage = storage_from_settings(Settings())
    monkeypatch.chdir(os.sep)

    storage.put_bytes("a/b.txt", b"hello")

    assert (tmp_path / "instance" / "storage" / "a" / "b.txt").read_bytes() == b"hello"


def test_s3_url_names_bucket_and_prefix(s3_settings: dict[str, Any], s3_client: Any) -> None:
    storage = storage_from_settings(Settings(**s3_settings))
    assert isinstance(storage, S3Storage)

    storage.put_bytes("a/b.txt", b"hello")

    bucket = s3_settings["storage_url"].removeprefix("s3://").split("/")[0]
    head = s3_client.head_object(Bucket=bucket, Key="hub/a/b.txt")
    assert head["Metadata"]["sha256"] == hashlib.sha256(b"hello").hexdigest()


@pytest.mark.parametrize("url", ["ftp://host/x", "file://", "s3:///prefix", "instance/storage"])
def test_unsupported_storage_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        storage_from_settings(Settings(storage_url=url))
