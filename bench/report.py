"""Figures and how they are printed: a table by default, one JSON object with ``--json``."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

_OPS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le}
_SIGNS = {">=": "≥", "<=": "≤"}


@dataclass(frozen=True)
class Goal:
    """A bound a number must keep: ``>= 5000`` or ``<= 25``."""

    op: str
    bound: float

    def holds(self, value: float) -> bool:
        return _OPS[self.op](value, self.bound)

    def text(self, unit: str = "") -> str:
        return f"{_SIGNS[self.op]} {_number(self.bound)}{(' ' + unit) if unit else ''}"


@dataclass
class Figure:
    """One measured figure, its target, and its ratio to a baseline measured in the same run.

    ``target`` bounds the value itself, ``ratio_target`` bounds ``value / baseline``. A figure
    is met when every bound it has holds; ``met`` is None when it has no bound or no value.
    """

    name: str
    value: float | None
    unit: str
    target: Goal | None = None
    baseline: float | None = None
    ratio_target: Goal | None = None
    note: str = ""
    error: str | None = field(default=None)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        if self.value is None or (self.target is None and self.ratio_target is None):
            return None
        checks = []
        if self.target is not None:
            checks.append(self.target.holds(self.value))
        if self.ratio_target is not None:
            ratio = self.ratio
            checks.append(ratio is not None and self.ratio_target.holds(ratio))
        return all(checks)

    def target_text(self) -> str:
        parts = []
        if self.target is not None:
            parts.append(self.target.text(self.unit))
        if self.ratio_target is not None:
            parts.append(f"ratio {self.ratio_target.text()}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "name": self.name,
            "value": _rounded(self.value),
            "unit": self.unit,
            "target": self.target_text() or None,
            "baseline": _rounded(self.baseline),
            "ratio": None if ratio is None else round(ratio, 4),
            "met": self.met,
        }


def failed(name: str, unit: str, error: str, **kwargs: Any) -> Figure:
    """A figure whose measurement failed: no value, the error kept for the report."""
    return Figure(name, None, unit, error=error, **kwargs)


def _rounded(value: float | None) -> float | None:
    if value is None:
        return None
    return round(value, 3) if abs(value) < 1000 else round(value, 1)


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value == int(value):
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if value else "0"


def as_json(figures: Sequence[Figure], **context: Any) -> str:
    """Exactly one JSON object: ``{"figures": [...]}`` plus the run's context (mode, sizes)."""
    payload: dict[str, Any] = {"figures": [f.to_dict() for f in figures], **context}
    return json.dumps(payload, sort_keys=False)


def as_table(figures: Sequence[Figure], *, header: Sequence[str] = ()) -> str:
    """A plain-text table: figure, value, target, baseline, ratio, met; notes under it."""
    columns = ("figure", "value", "target", "baseline", "ratio", "met")
    rows = []
    for fig in figures:
        unit = f" {fig.unit}" if fig.unit else ""
        value = "ERROR" if fig.error else f"{_number(fig.value)}{unit}"
        baseline = "-" if fig.baseline is None else f"{_number(fig.baseline)}{unit}"
        ratio = fig.ratio
        met = {True: "yes", False: "NO", None: "-"}[fig.met]
        rows.append(
            (
                fig.name,
                value,
                fig.target_text() or "-",
                baseline,
                "-" if ratio is None else f"{ratio:.3g}",
                met,
            )
        )
    widths = [max(len(str(r[i])) for r in [columns, *rows]) for i in range(len(columns))]
    lines = list(header)
    lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    notes = [(f.name, f.error or f.note) for f in figures if f.error or f.note]
    if notes:
        lines.append("")
        lines += [f"* {name}: {text}" for name, text in notes]
    return "\n".join(lines)
