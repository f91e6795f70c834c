"""Reading a large JSON document value by value, so a registry file never sits whole in memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

CHUNK = 1 << 16
# One registry entry is a few kilobytes; anything far larger is a broken file, not a location.
MAX_VALUE_CHARS = 16 << 20


class JsonStreamError(ValueError):
    """The document is not valid JSON at the point reached."""


class JsonStream:
    """Reads top-level JSON containers value by value without holding the whole file."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _fill(self, at_least: int = 0) -> bool:
        if self.eof:
            return False
        data = self.fh.read(max(at_least, CHUNK))
        if not data:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + data
        self.pos = 0
        return True

    def peek(self) -> str | None:
        """The next non-blank character, not consumed; None at the end of the file."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return None

    def expect(self, char: str) -> None:
        """Consume ``char`` or fail."""
        if self.peek() != char:
            raise JsonStreamError(f"expected {char!r} at this point of the JSON")
        self.pos += 1

    def value(self) -> Any:
        """Decode the next complete JSON value, reading as much of the file as it needs."""
        self.peek()
        while True:
            pending = len(self.buf) - self.pos
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if pending > MAX_VALUE_CHARS or not self._fill(pending):
                    raise JsonStreamError(f"not valid JSON ({exc.msg})") from None
                continue
            # A number at the end of the buffer may continue in the next chunk.
            if end == len(self.buf) and not self.eof and self._fill(pending):
                continue
            self.pos = end
            return obj

    def array_items(self) -> Iterator[Any]:
        """Yield the values of the array that starts here, one at a time."""
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            nxt = self.peek()
            self.pos += 1
            if nxt == "]":
                return
            if nxt != ",":
                raise JsonStreamError("expected ',' or ']' between array items")
