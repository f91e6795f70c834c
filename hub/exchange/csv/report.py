"""A CSV submission's file as its sender gets it back: every row, with an ``errors`` column."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from hub.errors import NotFound
from hub.exchange.csv.template import COLUMNS, ERRORS_COLUMN, csv_line, is_blank
from hub.exchange.csv.upload import detect_encoding, text_of
from hub.exchange.records.models import Submission
from hub.storage import Storage


def annotated_csv(storage: Storage, submission: Submission) -> Iterator[str]:
    """The uploaded file's rows, formula-safe, with an ``errors`` column from the report.

    A submission without a file (sent through the API), or whose file storage no longer holds,
    is NotFound at once, before an answer starts: the rows themselves are read as it is sent.
    """
    if not submission.storage_key:
        raise NotFound("This submission has no file.")
    if not storage.exists(submission.storage_key):
        raise NotFound(FILE_GONE)
    return _annotated_rows(storage, submission)


FILE_GONE = "The hub no longer holds this file, so it cannot be given back."


def file_held(storage: Storage, submission: Submission) -> bool:
    """Whether the uploaded file can still be given back (storage still holds it), so that
    it is offered only then."""
    return bool(submission.storage_key) and storage.exists(submission.storage_key or "")


def _annotated_rows(storage: Storage, submission: Submission) -> Iterator[str]:
    assert submission.storage_key is not None
    by_row: dict[int, list[str]] = {}
    for error in submission.errors:
        column = f"{error['column']}: " if error.get("column") else ""
        by_row.setdefault(int(error["row"]), []).append(f"{column}{error['message']}")
    encoding = detect_encoding(storage.iter_chunks(submission.storage_key))
    with storage.open(submission.storage_key) as raw:
        text = text_of(raw, encoding)
        reader = csv.reader(text)
        header = next(reader, None) or list(COLUMNS)
        header = [header[0].lstrip("\ufeff"), *header[1:]] if header else header
        # A file that was itself an annotated file: its old errors give way to the new ones.
        keep = [i for i, name in enumerate(header) if name.strip() != ERRORS_COLUMN]
        yield csv_line([*(header[i] for i in keep), ERRORS_COLUMN])
        width = len(header)
        # Blank rows keep their place between rows (row numbers stay as the report gives them)
        # but are not written after the last row: the spreadsheet's trailing empty lines.
        blanks: list[str] = []
        for number, cells in enumerate(reader, start=2):
            padded = cells + [""] * (width - len(cells))
            line = csv_line([*(padded[i] for i in keep), "; ".join(by_row.get(number, []))])
            if is_blank(cells) and number not in by_row:
                blanks.append(line)
                continue
            yield from blanks
            blanks.clear()
            yield line
