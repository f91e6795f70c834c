"""The pooled anonymised datasets' rules: who counts, disclosure control, k-anonymous quotes."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from hub.privacy.pooled import (
    COUNT_COLUMNS,
    PoolInput,
    condition_areas_of,
    count_rows,
    quote_rows,
    to_csv,
)


def rec(**kw):
    base = {
        "location_id": "1-1",
        "experience_date": date(2026, 5, 14),
        "key_questions": ["safe"],
        "condition_areas": ["cancer"],
        "sentiment": "negative",
        "publish_anonymised": True,
        "withdrawn": False,
        "narrative_redacted": "It was [NAME].",
        "age_band": "65-74",
        "sex": "female",
        "ethnic_group": "white",
    }
    base.update(kw)
    return PoolInput.from_dict(base)


def test_only_consented_matched_records_that_are_not_withdrawn_count():
    records = (
        [rec()] * 10
        + [rec(publish_anonymised=False)] * 20
        + [rec(withdrawn=True)] * 20
        + [rec(location_id=None)] * 20
    )
    assert count_rows(records, "cancer") == [
        {
            "location_id": "1-1",
            "month": "2026-05",
            "key_question": "safe",
            "sentiment": "negative",
            "records": "10",
        }
    ]
    assert condition_areas_of([rec(withdrawn=True), rec(condition_areas=["dementia"])]) == [
        "dementia"
    ]


def test_a_record_counts_under_each_key_question_and_only_in_its_areas():
    rows = count_rows([rec(key_questions=["safe", "caring"])] * 9, "cancer")
    assert {(r["key_question"], r["records"]) for r in rows} == {("safe", "10"), ("caring", "10")}
    assert count_rows([rec()] * 9, "dementia") == []


@given(st.lists(st.tuples(st.sampled_from(["1-1", "1-2"]), st.integers(1, 12)), max_size=40))
def test_no_published_count_is_between_1_and_7_and_others_are_multiples_of_5(cells):
    records = [rec(location_id=loc, experience_date=date(2026, month, 1)) for loc, month in cells]
    for row in count_rows(records, "cancer"):
        assert row["records"] == "*" or int(row["records"]) % 5 == 0
        assert row["records"] not in {str(n) for n in range(0, 8)}


def test_quotes_are_kept_only_where_k_share_their_quasi_identifiers():
    records = [rec()] * 10 + [rec(sex="male")] * 9 + [rec(narrative_redacted=None)] * 5
    rows = quote_rows(records, "cancer", k=10)
    assert len(rows) == 10
    assert {r["sex"] for r in rows} == {"female"}
    assert quote_rows(records, "cancer", k=11) == []


def test_the_csv_has_exactly_the_contract_columns_and_is_stable():
    rows = count_rows([rec(location_id="1-2")] * 8 + [rec()] * 3, "cancer")
    body = to_csv(rows, COUNT_COLUMNS)
    assert body.splitlines()[0] == b"location_id,month,key_question,sentiment,records"
    assert list(csv.DictReader(io.StringIO(body.decode()))) == rows
    assert [r["location_id"] for r in rows] == ["1-1", "1-2"]
    assert body == to_csv(
        count_rows([rec()] * 3 + [rec(location_id="1-2")] * 8, "cancer"), COUNT_COLUMNS
    )
