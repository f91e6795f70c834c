"""Pure rules of dataset releases: slugs, formats, file names and CSV row counting."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.exchange.datasets.rules import (
    UTF8_BOM,
    BomFirst,
    CountingReader,
    CsvRowCounter,
    as_served,
    format_from_filename,
    safe_filename,
    slug_problem,
)


@pytest.mark.parametrize("slug", ["cancer", "experience-cancer", "abc", "a" * 60, "ncpes-2025"])
def test_good_slugs(slug):
    assert slug_problem(slug) is None


@pytest.mark.parametrize("slug", ["ab", "a" * 61, "Cancer", "cancer_2025", "can cer", "feed", ""])
def test_bad_slugs(slug):
    assert slug_problem(slug) is not None


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("results.csv", "csv"),
        ("RESULTS.CSV", "csv"),
        ("data.tar.json", "json"),
        ("x.ndjson", "jsonl"),
        ("book.xlsx", "xlsx"),
        ("noext", None),
        ("weird.exe", None),
    ],
)
def test_format_from_filename(name, fmt):
    assert format_from_filename(name) == fmt


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("results 2025.csv", "results-2025.csv"),
        ("../../etc/passwd.csv", "passwd.csv"),
        ("C:\\Users\\me\\report.csv", "report.csv"),
        (".hidden.csv", "hidden.csv"),
        ("", "data.csv"),
        (None, "data.csv"),
        ("résumé.csv", "r-sum.csv"),
    ],
)
def test_safe_filename(name, safe):
    assert safe_filename(name, "csv") == safe


def _count(data: bytes, chunk: int) -> int:
    counter = CsvRowCounter()
    reader = CountingReader(io.BytesIO(data), counter)
    copied = b"".join(iter(lambda: reader.read(chunk), b""))
    assert copied == data
    return counter.finish()


def test_counts_data_rows_without_the_header():
    data = b'a,b\n1,"two\nlines"\n3,"say ""hi"""\r\n\r\n4,5'
    for chunk in (1, 2, 3, 7, 1024):
        assert _count(data, chunk) == 3


def test_empty_and_header_only_files_have_no_rows():
    assert _count(b"", 10) == 0
    assert _count(b"a,b,c\n", 10) == 0
    assert _count(b"a,b,c", 10) == 0


_cell = st.text(alphabet=st.sampled_from('ab,"\n\r x'), max_size=6)


@given(
    rows=st.lists(st.lists(_cell, min_size=1, max_size=4), max_size=12),
    terminator=st.sampled_from(["\n", "\r\n"]),
    chunk=st.integers(min_value=1, max_value=17),
)
def test_agrees_with_the_csv_module(rows, terminator, chunk):
    out = io.StringIO()
    csv.writer(out, lineterminator=terminator).writerows([["h1", "h2"], *rows])
    data = out.getvalue().encode()
    expected = sum(1 for row in csv.reader(io.StringIO(out.getvalue(), newline="")) if row) - 1
    assert _count(data, chunk) == expected


class _Trickle(io.RawIOBase):
    """A stream that hands out at most ``step`` bytes a read, as a slow upload does."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = data
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self._step if size is None or size < 0 else min(size, self._step)
        data, self._data = self._data[:size], self._data[size:]
        return data


@pytest.mark.parametrize(
    ("data", "served"),
    [
        (b"a,b\r\n1,2\r\n", UTF8_BOM + b"a,b\r\n1,2\r\n"),
        (UTF8_BOM + b"a,b\n", UTF8_BOM + b"a,b\n"),
        (b"\xef\xbb", UTF8_BOM + b"\xef\xbb"),  # a BOM's first bytes are not a BOM
        (b"", b""),  # an empty file stays empty, so it is refused as empty
    ],
)
def test_a_served_csv_starts_with_one_bom(data, served):
    assert as_served(data) == served
    assert BomFirst(io.BytesIO(data)).read() == served


@given(
    st.binary(max_size=12).map(lambda tail: UTF8_BOM + tail) | st.binary(max_size=12),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=1, max_value=5),
)
def test_streamed_bom_matches_the_whole_file_rule(data, step, size):
    stream = BomFirst(_Trickle(data, step))
    chunks = []
    while chunk := stream.read(size):
        chunks.append(chunk)
    assert b"".join(chunks) == as_served(data)
