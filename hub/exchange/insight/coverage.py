"""Seldom-heard coverage: who the records with equality monitoring come from, region by region.

For each equality question (age band, sex, ethnic group, disability) and each region, the share
of the region's answers in each group beside the share across all regions, so engagement staff
see whose voices are missing where.

Disclosure control (NHS Digital's rule, :mod:`hub.privacy.disclosure`) applies to every figure
shown: counts of 1-7 are ``*`` and the rest are rounded to the nearest 5. Percentages are worked
out from the published (rounded) counts only, so they give away nothing the counts do not, and
are withheld when the count is suppressed or the base is under :data:`MIN_BASE`. A group is
flagged as under-represented in a region when even the most its published figures allow is under
half its share across all regions.

Withdrawn records are left out (their equality data is erased), and so are records without
equality monitoring.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.exchange.records.models import ExperienceRecord, not_withdrawn
from hub.privacy.disclosure import SMALL_COUNT_MAX, SUPPRESSED, is_small, round_count
from hub.registry.models import Location
from hub.vocab.models import VocabularyTerm

DIMENSIONS: dict[str, str] = {
    "age_band": "Age band",
    "sex": "Sex",
    "ethnic_group": "Ethnic group",
    "disability": "Disability",
}
UNKNOWN_REGION = "Region not known"
# Percentages need at least this many answers (as published, after rounding).
MIN_BASE = 20
# A group is under-represented when its share in a region is under this fraction of its share
# across all regions.
UNDER_FACTOR = 0.5


@dataclass(frozen=True)
class Cell:
    """One published figure: the count as shown and the share of the base, if it can be shown."""

    shown: str
    percent: float | None
    # The largest share the published figures allow (for a ``*``: seven people of the base).
    ceiling: float | None

    @property
    def suppressed(self) -> bool:
        return self.shown == SUPPRESSED


def publish(count: int, base: int) -> Cell:
    """A count and its share of ``base`` under disclosure control."""
    if count < 0 or base < count:
        raise ValueError("a count must lie between 0 and its base")
    shown_base = round_count(base)
    if count == 0:
        shown = "0"
    elif is_small(count):
        shown = SUPPRESSED
    else:
        shown = str(round_count(count))
    if is_small(base) or shown_base < MIN_BASE:
        return Cell(shown, None, None)
    if shown == SUPPRESSED:
        return Cell(shown, None, min(100.0 * SMALL_COUNT_MAX / shown_base, 100.0))
    percent = min(100.0 * int(shown) / shown_base, 100.0)
    return Cell(shown, percent, percent)


def shown_total(n: int) -> str:
    """A total under disclosure control."""
    if n == 0:
        return "0"
    return SUPPRESSED if is_small(n) else str(round_count(n))


def _rows(session: Session) -> Iterable[tuple[str | None, dict[str, Any]]]:
    stmt = (
        sa.select(Location.region, ExperienceRecord.equality)
        .select_from(ExperienceRecord)
        .outerjoin(Location, Location.id == ExperienceRecord.location_id)
        .where(not_withdrawn(), ExperienceRecord.equality.is_not(None))
        .execution_options(yield_per=5000)
    )
    for region, equality in session.execute(stmt):
        if isinstance(equality, dict) and equality:
            yield region, equality


def _labels(session: Session) -> dict[str, list[tuple[str, str]]]:
    terms = session.scalars(
        sa.select(VocabularyTerm)
        .where(VocabularyTerm.kind.in_(DIMENSIONS))
        .order_by(VocabularyTerm.kind, VocabularyTerm.position, VocabularyTerm.value)
    )
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for term in terms:
        out[term.kind].append((term.value, term.label))
    return out


def _groups(
    region_counts: Counter[str] | None,
    overall: Counter[str],
    labels: list[tuple[str, str]],
) -> list[dict[str, Any]]:
    """Each group's published figures, the vocabulary's groups first (even with no answers)."""
    known = [value for value, _ in labels]
    label_of = dict(labels)
    overall_base = sum(overall.values())
    region_base = sum(region_counts.values()) if region_counts is not None else 0
    groups = []
    for value in [*known, *sorted(set(overall) - set(known))]:
        everywhere = publish(overall[value], overall_base)
        here = publish(region_counts[value], region_base) if region_counts is not None else None
        under = (
            here is not None
            and here.ceiling is not None
            and everywhere.percent is not None
            and everywhere.percent > 0
            and here.ceiling < UNDER_FACTOR * everywhere.percent
        )
        groups.append(
            {
                "value": value,
                "label": label_of.get(value, value),
                "region": here,
                "overall": everywhere,
                "under_represented": under,
            }
        )
    return groups


def coverage(session: Session, *, region: str | None = None) -> dict[str, Any]:
    """Every region with its under-represented groups; for ``region``, each group's published
    count and share there beside its share across all regions."""
    totals: Counter[str] = Counter()
    counts: dict[str, dict[str, Counter[str]]] = {d: defaultdict(Counter) for d in DIMENSIONS}
    for raw_region, equality in _rows(session):
        name = raw_region or UNKNOWN_REGION
        totals[name] += 1
        for dimension in DIMENSIONS:
            value = equality.get(dimension)
            if isinstance(value, str) and value:
                counts[dimension][name][value] += 1
    labels = _labels(session)
    overall = {d: sum(counts[d].values(), Counter()) for d in DIMENSIONS}
    regions = []
    for name in sorted(totals, key=lambda r: (r == UNKNOWN_REGION, r)):
        missing = [
            f"{group['label']} ({DIMENSIONS[d].lower()})"
            for d in DIMENSIONS
            for group in _groups(counts[d].get(name, Counter()), overall[d], labels.get(d, []))
            if group["under_represented"]
        ]
        regions.append({"name": name, "records": shown_total(totals[name]), "missing": missing})
    chosen = region if region in totals else None
    dimensions = []
    for dimension, title in DIMENSIONS.items():
        here = counts[dimension].get(chosen, Counter()) if chosen else None
        dimensions.append(
            {
                "dimension": dimension,
                "title": title,
                "region_base": shown_total(sum(here.values())) if here is not None else None,
                "overall_base": shown_total(sum(overall[dimension].values())),
                "groups": _groups(here, overall[dimension], labels.get(dimension, [])),
            }
        )
    return {
        "regions": regions,
        "region": chosen,
        "records": shown_total(sum(totals.values())),
        "region_records": shown_total(totals[chosen]) if chosen else None,
        "dimensions": dimensions,
        "min_base": MIN_BASE,
        "under_factor": UNDER_FACTOR,
    }
