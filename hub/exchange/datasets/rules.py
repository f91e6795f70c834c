"""Pure rules for dataset releases: slugs, file names and formats, CSV row counting.

No I/O beyond the stream a caller hands in; no Flask, no database, no boto3.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import BinaryIO

SLUG = re.compile(r"[a-z0-9-]{3,60}")
# Path words under /datasets that a slug would shadow.
RESERVED_SLUGS = frozenset({"feed"})

# Format → content type. The format is what partners filter on; the content type is what a
# download is served as.
FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "parquet": "application/vnd.apache.parquet",
    "zip": "application/zip",
    "pdf": "application/pdf",
}
_EXTENSION_ALIASES = {"ndjson": "jsonl"}
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_LINE_END = re.compile(rb"[\r\n]")
MAX_FILENAME = 120


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot name a dataset, or None if it can."""
    if not SLUG.fullmatch(slug):
        return "3 to 60 characters: lower-case letters, digits and hyphens."
    if slug in RESERVED_SLUGS:
        return f"{slug!r} is reserved."
    return None


def format_from_filename(filename: str) -> str | None:
    """The format a file name's extension names (``report.CSV`` → ``csv``), if a known one."""
    _, dot, ext = filename.rpartition(".")
    if not dot:
        return None
    ext = _EXTENSION_ALIASES.get(ext.lower(), ext.lower())
    return ext if ext in FORMATS else None


def safe_filename(filename: str | None, fmt: str) -> str:
    """A storage- and header-safe version of an uploaded file's name, ending in ``.fmt``."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE_NAME_CHARS.sub("-", stem).strip(".-_")[: MAX_FILENAME - len(fmt) - 1]
    return f"{stem or 'data'}.{fmt}"


class CsvRowCounter:
    """Counts CSV records fed in arbitrary byte chunks, honouring quoted line breaks.

    Blank lines are not records (as ``csv.DictReader`` skips them). ``\\r``, ``\\n`` and
    ``\\r\\n`` all end a line: treating each as an end and skipping empty records gives the
    same count whatever the line endings, even when ``\\r\\n`` straddles two chunks.
    """

    def __init__(self) -> None:
        self.records = 0
        self._in_quotes = False
        self._has_content = False
        self._finished = False

    def feed(self, data: bytes) -> None:
        for index, part in enumerate(data.split(b'"')):
            if index:
                self._in_quotes = not self._in_quotes
                self._has_content = True
            if not self._in_quotes and part:
                self._scan(part)

    def _scan(self, text: bytes) -> None:
        pieces = _LINE_END.split(text)
        if pieces[0]:
            self._has_content = True
        for piece in pieces[1:]:
            if self._has_content:
                self.records += 1
            self._has_content = bool(piece)

    def finish(self) -> int:
        """Close the last record; return the number of data rows (the header excluded)."""
        if not self._finished:
            if self._has_content:
                self.records += 1
            self._has_content = False
            self._finished = True
        return max(self.records - 1, 0)


class CountingReader(io.RawIOBase):
    """Passes a stream through unchanged while a row counter watches the bytes go by."""

    def __init__(self, stream: BinaryIO, counter: CsvRowCounter) -> None:
        self._stream = stream
        self.counter = counter

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self.counter.feed(data)
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


UTF8_BOM = b"\xef\xbb\xbf"


def served_start(head: bytes) -> bytes:
    """The opening bytes of a CSV file as the hub stores and serves it (CONTRACT §5): a UTF-8
    byte order mark in front, unless they start with one already. An empty file stays empty, so
    it is still refused as empty.

    ``head`` is the whole file or at least its first ``len(UTF8_BOM)`` bytes (fewer only when
    the file is shorter): the one rule both ``as_served`` and ``BomFirst`` apply.
    """
    return head if not head or head.startswith(UTF8_BOM) else UTF8_BOM + head


def as_served(csv_bytes: bytes) -> bytes:
    """A CSV file's bytes as the hub stores and serves them (see ``served_start``)."""
    return served_start(csv_bytes)


class BomFirst(io.RawIOBase):
    """Passes a CSV stream through as ``as_served`` would give it, without reading it whole.

    Every CSV the hub serves starts with a UTF-8 byte order mark (CONTRACT §5), so spreadsheets
    open it as UTF-8; the release's digest and size are those of the file as served.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._head: bytes | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head is None:
            first = self._stream.read(len(UTF8_BOM))
            while 0 < len(first) < len(UTF8_BOM) and UTF8_BOM.startswith(first):
                more = self._stream.read(len(UTF8_BOM) - len(first))
                if not more:
                    break
                first += more
            self._head = served_start(first)
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._stream.read(size)

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# What a spreadsheet runs as a formula when a cell starts with it (CSV injection).
_FORMULA_LEADS = ("=", "@", "\t", "\r", "+", "-")


def _is_formula(cell: str) -> bool:
    if not cell.startswith(_FORMULA_LEADS):
        return False
    if cell[0] in "+-":
        # A signed number is data, not a formula.
        try:
            float(cell.replace(",", ""))
        except ValueError:
            return True
        return False
    return True


def formula_cells(text: Iterable[str], *, limit: int = 5) -> list[tuple[int, int]]:
    """(row, column) of the first ``limit`` cells a spreadsheet would run as formulas, counting
    both from 1 (the header is row 1)."""
    found: list[tuple[int, int]] = []
    for row_number, row in enumerate(csv.reader(text), start=1):
        for column, cell in enumerate(row, start=1):
            if _is_formula(cell):
                found.append((row_number, column))
                if len(found) >= limit:
                    return found
    return found
