"""The benchmark report: the JSON shape ``bench/run --json`` promises; how figures are judged."""

from __future__ import annotations

import json

from bench.load import percentile
from bench.report import Figure, Goal, as_json, as_table, failed

KEYS = {"name", "value", "unit", "target", "baseline", "ratio", "met"}


def test_json_is_one_object_with_every_key_of_every_figure() -> None:
    figures = [
        Figure("ingest", 400.0, "records/s", Goal(">=", 5000), 8000.0, Goal(">=", 0.15)),
        Figure("p50", 30.0, "ms", baseline=10.0),
        failed("csv", "s", "RuntimeError: no server"),
    ]
    payload = json.loads(as_json(figures, mode="quick", sizes={"csv_rows": 1000}))
    assert payload["mode"] == "quick"
    assert [set(f) for f in payload["figures"]] == [KEYS, KEYS, KEYS]
    ingest, p50, csv = payload["figures"]
    assert ingest["ratio"] == 0.05
    assert ingest["met"] is False
    assert ingest["target"] == "≥ 5,000 records/s; ratio ≥ 0.15"
    assert p50["ratio"] == 3.0 and p50["met"] is None and p50["target"] is None
    assert csv["value"] is None and csv["met"] is None


def test_a_figure_is_met_only_when_value_and_ratio_both_hold() -> None:
    both = Figure("x", 10.0, "ms", Goal("<=", 25), baseline=5.0, ratio_target=Goal("<=", 3))
    ratio_missed = Figure("x", 20.0, "ms", Goal("<=", 25), baseline=5.0, ratio_target=Goal("<=", 3))
    no_baseline = Figure("x", 20.0, "ms", ratio_target=Goal("<=", 3))
    assert both.met is True
    assert ratio_missed.met is False
    assert no_baseline.ratio is None and no_baseline.met is False


def test_table_shows_each_figure_with_its_target_ratio_and_errors() -> None:
    table = as_table(
        [
            Figure("verify", 150_000.0, "events/s", Goal(">=", 200_000), note="1.2 s"),
            failed("redaction", "narratives/s", "ImportError: spacy"),
        ],
        header=["sizes: small"],
    )
    lines = table.splitlines()
    assert lines[0] == "sizes: small"
    verify = next(line for line in lines if line.startswith("verify"))
    assert "150,000 events/s" in verify and "≥ 200,000 events/s" in verify and "NO" in verify
    assert "ERROR" in next(line for line in lines if line.startswith("redaction"))
    assert "* redaction: ImportError: spacy" in lines


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
