"""Checking one record against CONTRACT §4, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.exchange.records.validation import Candidate, Rejection, validate_record
from hub.vocab.services import Vocabularies
from tests.factories import experience_record

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
VOCAB = Vocabularies(
    {
        "key_question": ("safe", "effective", "caring", "responsive", "well-led"),
        "respondent_role": ("patient", "carer"),
        "sentiment": ("positive", "negative", "mixed", "neutral"),
        "safeguarding_category": ("physical", "neglect"),
        "service_type": ("mental-health-inpatient", "gp"),
        "collection_channel": ("online",),
        "theme": ("staff-attitude", "communication"),
        "condition_area": ("mental-health", "cancer"),
        "age_band": ("65-74",),
        "sex": ("female",),
        "ethnic_group": ("black",),
        "disability": ("yes",),
    }
)


def record(**overrides):
    base = experience_record(experience_date="2026-10-03")
    base["consent"]["obtained_at"] = "2026-10-04T10:00:00Z"
    for key, value in overrides.items():
        if value is ...:
            base.pop(key)
        else:
            base[key] = value
    return base


def check(raw) -> Candidate | Rejection:
    return validate_record(raw, VOCAB, NOW)


def rejected(raw) -> Rejection:
    result = check(raw)
    assert isinstance(result, Rejection), result
    return result


def test_the_contract_example_is_valid():
    result = check(record())
    assert isinstance(result, Candidate)
    assert result.fields["experience_date"] == date(2026, 10, 3)
    assert result.fields["date_precision"] == "day"
    assert result.fields["equality"] == {
        "age_band": "65-74",
        "sex": "female",
        "ethnic_group": "black",
        "disability": "yes",
    }
    assert not result.equality_dropped


@pytest.mark.parametrize(
    "missing", ["partner_record_id", "experience_date", "narrative", "consent"]
)
def test_required_fields(missing):
    assert rejected(record(**{missing: ...})).errors[missing] == [
        "Missing data for required field."
    ]


def test_location_or_service_is_required():
    errors = rejected(record(location_id=...)).errors
    assert "location_id" in errors
    assert isinstance(check(record(location_id=..., service={"name": "Riverside Ward"})), Candidate)


def test_service_postcode_is_normalised_or_refused():
    ok = check(record(location_id=None, service={"name": "Ward 7", "postcode": "sw1a1aa"}))
    assert isinstance(ok, Candidate)
    assert ok.fields["service_postcode"] == "SW1A 1AA"
    bad = rejected(record(service={"name": "Ward 7", "postcode": "NOT A CODE"}))
    assert "service.postcode" in bad.errors


@pytest.mark.parametrize("location_id", ["1-12345678", "1-12345678901", "RXQ", "RXQ02", "rxq02"])
def test_registry_and_ods_ids_are_accepted(location_id):
    result = check(record(location_id=location_id))
    assert isinstance(result, Candidate)
    assert result.fields["submitted_location_id"] == location_id.upper()


@pytest.mark.parametrize(
    "location_id", ["1-1234567", "1-123456789012", "2-12345678", "RX", "RXQ0234", "X1234"]
)
def test_other_location_ids_are_refused(location_id):
    assert "location_id" in rejected(record(location_id=location_id)).errors


def test_month_only_dates_are_kept_as_months():
    result = check(record(experience_date="2026-11"))
    assert isinstance(result, Candidate)
    assert (result.fields["experience_date"], result.fields["date_precision"]) == (
        date(2026, 11, 1),
        "month",
    )


@pytest.mark.parametrize("value", ["2026-11-22", "2026-12", "2027-01-01"])
def test_future_dates_are_refused(value):
    assert rejected(record(experience_date=value)).errors == {
        "experience_date": ["Must not be in the future."]
    }


@pytest.mark.parametrize("value", ["03/10/2026", "2026-02-30", "2026-13", "2026-1-5", 20261003])
def test_malformed_dates_are_refused(value):
    assert "experience_date" in rejected(record(experience_date=value)).errors


def test_narrative_limits():
    assert isinstance(check(record(narrative="x" * 10_000)), Candidate)
    assert "narrative" in rejected(record(narrative="x" * 10_001)).errors
    assert "narrative" in rejected(record(narrative="")).errors
    assert "narrative" in rejected(record(narrative="   \n ")).errors


def test_unknown_fields_are_named():
    errors = rejected(record(colour="blue", consent={**record()["consent"], "extra": 1})).errors
    assert errors["colour"] == ["Unknown field."]
    assert errors["consent.extra"] == ["Unknown field."]


def test_vocabulary_values_are_checked_with_their_paths():
    errors = rejected(
        record(
            service_type="spaceship",
            themes=["communication", "weather"],
            safeguarding={"concern": True, "categories": ["neglect", "gossip"]},
        )
    ).errors
    assert set(errors) == {"service_type", "themes[1]", "safeguarding.categories[1]"}
    assert "Choose from: mental-health-inpatient, gp." in errors["service_type"][0]


def test_overall_experience_is_the_friends_and_family_scale():
    assert isinstance(check(record(overall_experience=None)), Candidate)
    for bad in (0, 6, "4", 4.5):
        assert "overall_experience" in rejected(record(overall_experience=bad)).errors


def test_missing_regulator_use_alone_is_consent_required():
    consent = {**record()["consent"], "scopes": ["publish_anonymised"]}
    result = rejected(record(consent=consent))
    assert result.code == "consent-required"
    assert list(result.errors) == ["consent.scopes"]


def test_missing_regulator_use_beside_other_errors_is_named_too():
    consent = {**record()["consent"], "scopes": ["feedback"]}
    result = rejected(record(consent=consent, narrative=""))
    assert result.code == "validation-failed"
    assert {"consent.scopes", "narrative"} <= set(result.errors)


def test_unknown_consent_scope_is_refused():
    consent = {**record()["consent"], "scopes": ["regulator_use", "sell_to_advertisers"]}
    assert "consent.scopes[1]" in rejected(record(consent=consent)).errors


def test_consent_obtained_in_the_future_is_refused():
    consent = {**record()["consent"], "obtained_at": "2026-11-22T12:00:00Z"}
    assert "consent.obtained_at" in rejected(record(consent=consent)).errors


def test_lawful_basis_is_normalised_and_checked():
    consent = {**record()["consent"], "lawful_basis": "Public_Task"}
    result = check(record(consent=consent))
    assert isinstance(result, Candidate)
    assert result.consent.lawful_basis == "public-task"
    consent["lawful_basis"] = "because"
    assert "consent.lawful_basis" in rejected(record(consent=consent)).errors


def test_equality_without_monitoring_consent_is_dropped_even_if_invalid():
    consent = {**record()["consent"], "scopes": ["regulator_use"]}
    result = check(record(consent=consent, equality={"age_band": "not-a-band", "sex": "female"}))
    assert isinstance(result, Candidate)
    assert result.fields["equality"] is None
    assert result.equality_dropped
    assert "not-a-band" not in repr(result.content())


def test_equality_with_consent_is_checked():
    assert "equality.age_band" in rejected(record(equality={"age_band": "ancient"})).errors


def test_identical_records_have_identical_content_and_a_change_shows():
    a, b = check(record(partner_record_id="x")), check(record(partner_record_id="x"))
    assert isinstance(a, Candidate) and isinstance(b, Candidate)
    assert a.content() == b.content()
    c = check(record(partner_record_id="x", narrative="Something else entirely."))
    assert isinstance(c, Candidate)
    assert c.content() != a.content()


def test_repeated_list_values_are_kept_once():
    result = check(record(themes=["communication", "communication"]))
    assert isinstance(result, Candidate)
    assert result.fields["themes"] == ["communication"]


@pytest.mark.parametrize("raw", [None, [], "record", 3])
def test_a_record_must_be_an_object(raw):
    assert rejected(raw).errors == {"_schema": ["Each record must be a JSON object."]}


@pytest.mark.parametrize("pid", [" padded", "tab\tinside", "x" * 101, ""])
def test_partner_record_id_shape(pid):
    assert "partner_record_id" in rejected(record(partner_record_id=pid)).errors


def test_today_is_the_uk_day_in_summer_time():
    late_evening_utc = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in London
    consent = {**record()["consent"], "obtained_at": "2026-07-01T20:00:00Z"}
    ok = validate_record(
        record(experience_date="2026-07-02", consent=consent), VOCAB, late_evening_utc
    )
    assert isinstance(ok, Candidate)
    too_soon = validate_record(
        record(experience_date="2026-07-03", consent=consent), VOCAB, late_evening_utc
    )
    assert isinstance(too_soon, Rejection)
    assert list(too_soon.errors) == ["experience_date"]


def test_no_consent_at_all_is_consent_required():
    result = rejected(record(consent=...))
    assert result.code == "consent-required"
    assert set(result.errors) == {"consent", "consent.scopes"}
    no_scopes = rejected(record(consent={"method": "online"}))
    assert no_scopes.code == "consent-required"


def test_malformed_scopes_are_a_validation_failure():
    consent = {**record()["consent"], "scopes": "regulator_use"}
    assert rejected(record(consent=consent)).code == "validation-failed"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_fields = st.sampled_from(sorted(record()))


@settings(max_examples=300, deadline=None)
@given(replacements=st.dictionaries(_fields, _json, max_size=4))
def test_any_json_gives_an_answer_never_an_exception(replacements):
    result = check(record(**replacements))
    assert isinstance(result, Candidate | Rejection)
    if isinstance(result, Rejection):
        assert result.errors and all(result.errors.values())


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"narrative": "before\x00after"}, "narrative"),
        ({"themes": ["communication", "x\ud800"]}, "themes[1]"),
        ({"equality": {"sex\x00": "female"}}, "equality.sex?"),
    ],
)
def test_text_no_database_can_hold_is_refused_by_path(overrides, path):
    result = rejected(record(**overrides))
    assert list(result.errors) == [path]


def test_a_backslash_sequence_in_ordinary_text_is_fine():
    assert isinstance(check(record(narrative="They typed \\u0000 into the form.")), Candidate)
