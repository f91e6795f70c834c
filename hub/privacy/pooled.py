"""The pooled anonymised experience datasets, built from plain records (pure rules: no I/O).

Two files per condition area (CONTRACT §5a):

- ``experience-<area>``: counts of records by location, month, key question and sentiment under
  the NHS Digital rule (1-7 shown as ``*``, other counts rounded to the nearest 5; empty cells
  omitted). A record with several key questions counts once under each.
- ``experience-quotes-<area>``: redacted quotes, released only where at least ``k`` quotes share
  their quasi-identifiers (location, month, age band, sex, ethnic group, condition area), so no
  quote can be tied to a person by those attributes alone.

Only records whose consent is in force and has ``publish_anonymised`` count; withdrawn records
never do. Rows come out sorted, so the same records always give byte-identical files and a
re-run can tell by digest that nothing changed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.privacy.disclosure import DEFAULT_K, k_anonymous, suppress_count
from hub.privacy.generalise import to_month

COUNT_COLUMNS = ("location_id", "month", "key_question", "sentiment", "records")
QUASI_IDENTIFIERS = ("location_id", "month", "age_band", "sex", "ethnic_group", "condition_area")
QUOTE_COLUMNS = (*QUASI_IDENTIFIERS, "quote")
NOT_GIVEN = "not-given"


@dataclass(frozen=True, slots=True)
class PoolInput:
    """What the pooled datasets need of one record; nothing else about it is read."""

    location_id: str | None
    experience_date: Any  # a date, datetime or ISO string
    key_questions: Sequence[str]
    condition_areas: Sequence[str]
    sentiment: str | None
    publish_anonymised: bool
    withdrawn: bool
    narrative_redacted: str | None = None
    age_band: str | None = None
    sex: str | None = None
    ethnic_group: str | None = None

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> PoolInput:
        """A record from a plain mapping with these field names (missing optional ones: None)."""
        return cls(
            location_id=row.get("location_id"),
            experience_date=row["experience_date"],
            key_questions=tuple(row.get("key_questions") or ()),
            condition_areas=tuple(row.get("condition_areas") or ()),
            sentiment=row.get("sentiment"),
            publish_anonymised=bool(row.get("publish_anonymised")),
            withdrawn=bool(row.get("withdrawn")),
            narrative_redacted=row.get("narrative_redacted"),
            age_band=row.get("age_band"),
            sex=row.get("sex"),
            ethnic_group=row.get("ethnic_group"),
        )


def poolable(record: PoolInput) -> bool:
    """Whether a record may count at all: consented, not withdrawn, matched to a location."""
    return record.publish_anonymised and not record.withdrawn and bool(record.location_id)


def condition_areas_of(records: Iterable[PoolInput]) -> list[str]:
    """The condition areas that have at least one record that may count, sorted."""
    return sorted({area for r in records if poolable(r) for area in r.condition_areas})


def count_rows(records: Iterable[PoolInput], condition_area: str) -> list[dict[str, str]]:
    """The published count rows of one condition area, sorted; zero cells are omitted."""
    cells: Counter[tuple[str, str, str, str]] = Counter()
    for r in records:
        if not poolable(r) or condition_area not in r.condition_areas:
            continue
        month = to_month(r.experience_date)
        for key_question in sorted(set(r.key_questions)):
            cells[(str(r.location_id), month, key_question, r.sentiment or NOT_GIVEN)] += 1
    return [
        dict(zip(COUNT_COLUMNS, (*cell, suppress_count(n)), strict=True))
        for cell, n in sorted(cells.items())
        if n > 0
    ]


def quote_rows(
    records: Iterable[PoolInput], condition_area: str, k: int = DEFAULT_K
) -> list[dict[str, str]]:
    """The k-anonymous extract of redacted quotes of one condition area, sorted."""
    rows: list[dict[str, str]] = []
    for r in records:
        if not poolable(r) or condition_area not in r.condition_areas:
            continue
        quote = (r.narrative_redacted or "").strip()
        if not quote:
            continue
        rows.append(
            {
                "location_id": str(r.location_id),
                "month": to_month(r.experience_date),
                "age_band": r.age_band or NOT_GIVEN,
                "sex": r.sex or NOT_GIVEN,
                "ethnic_group": r.ethnic_group or NOT_GIVEN,
                "condition_area": condition_area,
                "quote": quote,
            }
        )
    kept = k_anonymous(rows, QUASI_IDENTIFIERS, k)
    return sorted(kept, key=lambda row: tuple(row[c] for c in QUOTE_COLUMNS))


def to_csv(rows: Iterable[Mapping[str, str]], columns: Sequence[str]) -> bytes:
    """The rows as UTF-8 CSV with a header line and ``\\n`` line ends."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
