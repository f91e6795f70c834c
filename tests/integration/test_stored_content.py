"""An edit of a stored record or consent is found by ``hub audit verify`` (issue: the chain did
not cover what a record holds, so editing a stored narrative or consent went unnoticed)."""

from __future__ import annotations

import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.audit.models import AuditEvent
from hub.audit.services import chain_pending, record_many
from hub.cli.audit import stored_content_problems
from hub.consent.models import ConsentRecord
from hub.exchange.records.integrity import (
    CONSENT_FIELDS,
    RECORD_FIELDS,
    _plain,
    check_stored_content,
    record_digests,
)
from hub.exchange.records.models import ExperienceRecord, Submission
from tests.factories import ACTOR


def _submit(client, headers, make_record, **fields):
    answer = client.post("/api/v1/experiences", json=make_record(**fields), headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _edit(db_session, model, where, **values):
    db_session.execute(sa.update(model).where(where).values(**values))
    db_session.flush()


def test_untouched_records_and_hub_made_changes_verify_clean(
    app, client, make_party, auth_headers, make_record, db_session
):
    ctx = app.extensions["hub"]
    headers = auth_headers(make_party("charity"))
    kept = _submit(client, headers, make_record)
    withdrawn = _submit(client, headers, make_record)
    answer = client.post(f"/api/v1/experiences/{withdrawn}/withdrawal", json={}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    # Retention replaces the raw narrative by its redacted copy.
    _edit(
        db_session,
        ExperienceRecord,
        ExperienceRecord.id == uuid.UUID(kept),
        narrative=ExperienceRecord.narrative_redacted,
    )
    assert stored_content_problems(ctx) == []


def test_an_edited_narrative_field_or_consent_is_found(
    app, client, make_party, auth_headers, make_record, db_session
):
    ctx = app.extensions["hub"]
    headers = auth_headers(make_party("charity"))
    ids = [_submit(client, headers, make_record) for _ in range(3)]
    assert stored_content_problems(ctx) == []
    narrative, field, consent = (uuid.UUID(i) for i in ids)

    _edit(db_session, ExperienceRecord, ExperienceRecord.id == narrative, narrative="Forged words.")
    _edit(db_session, ExperienceRecord, ExperienceRecord.id == field, overall_experience=1)
    _edit(
        db_session,
        ConsentRecord,
        ConsentRecord.experience_id == consent,
        scopes=["regulator_use", "publish_anonymised", "feedback", "equality_monitoring", "x"],
    )

    found = {(p.experience_id, p.reason) for p in stored_content_problems(ctx)}
    assert found == {
        (ids[0], "the stored narrative was edited"),
        (ids[1], "the record's stored fields were edited"),
        (ids[2], "the record's consent was edited or removed"),
    }


def test_stored_json_is_read_as_json_loads_reads_it():
    from hub.exchange.records.integrity import _loads

    # orjson refuses integers beyond 64 bits; json.loads takes them, and so does the check.
    for text in ('["safe", "caring"]', "[18446744073709551616, 1.5e-07]", "null", None):
        assert _loads(text) == (None if text is None else json.loads(text))


_TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8, minutes=45))]
)
_TIMES = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=_ZONES
)


def _words(size: int) -> st.SearchStrategy[str]:
    return st.text(_TEXT, max_size=size)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


_STORED = st.fixed_dictionaries(
    {
        "partner_record_id": _words(100),
        "received_at": _TIMES,
        "submitted_location_id": _maybe(_words(20)),
        "service_name": _maybe(_words(300)),
        "service_postcode": _maybe(_words(10)),
        "service_type": _maybe(_words(60)),
        "experience_date": st.dates(),
        "date_precision": st.sampled_from(["day", "month"]),
        "respondent_role": _maybe(_words(60)),
        "collection_channel": _maybe(_words(60)),
        "overall_experience": _maybe(st.integers(1, 5)),
        "key_questions": st.lists(_words(12), max_size=3),
        "condition_areas": st.lists(_words(12), max_size=3),
        "themes": st.lists(_words(12), max_size=3),
        "safeguarding_concern": st.booleans(),
        "safeguarding_immediate": st.booleans(),
        "safeguarding_categories": st.lists(_words(12), max_size=3),
        "narrative": _maybe(_words(200)),
    }
)
_TERMS = st.fixed_dictionaries(
    {
        "scopes": st.lists(_words(20), max_size=4),
        "publish_anonymised": st.booleans(),
        "feedback": st.booleans(),
        "equality_monitoring": st.booleans(),
        "obtained_at": _maybe(_TIMES),
        "method": _maybe(_words(40)),
        "lawful_basis": _words(40),
        "notice_version": _maybe(_words(100)),
    }
)


def _as_first_pinned(key: bytes, values: dict[str, Any], names: tuple[str, ...]) -> str:
    """The digest as events already in audit chains were made: events stored before still
    verify."""
    plain = {n: _plain(values.get(n)) for n in names}
    canonical = json.dumps(plain, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8", "surrogatepass"), "sha256").hexdigest()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(_STORED, _TERMS),
        min_size=1,
        max_size=4,
        unique_by=lambda pair: pair[0]["partner_record_id"],
    )
)
def test_the_check_reads_what_intake_digested(db_session, make_org, generated):
    """The check's reading of stored rows (the driver's values, not the ORM's) gives the bytes
    intake digested, for every kind of field: None, dates, times in any zone, JSON lists,
    unicode and empty text."""
    key = b"k" * 32
    org = make_org()
    nested = db_session.begin_nested()
    submission = Submission(
        organisation_id=org.id, channel="batch", status="completed", submitted_by="tests"
    )
    db_session.add(submission)
    db_session.flush()
    head = db_session.execute(sa.select(sa.func.max(AuditEvent.seq))).scalar() or 0
    events = []
    for stored, terms in generated:
        record = {
            "id": uuid.uuid4(),
            "organisation_id": org.id,
            "submission_id": submission.id,
            "status": "accepted",
            "narrative_redacted": None,
            **stored,
        }
        consent = {
            "id": uuid.uuid4(),
            "experience_id": record["id"],
            "organisation_id": org.id,
            "status": "given",
            **terms,
        }
        db_session.execute(sa.insert(ExperienceRecord), [record])
        db_session.execute(sa.insert(ConsentRecord), [consent])
        digests = record_digests(key, record, consent)
        assert digests["stored_digest"] == _as_first_pinned(key, record, RECORD_FIELDS)
        assert digests["consent_digest"] == _as_first_pinned(key, consent, CONSENT_FIELDS)
        events.append((record["id"], digests))
    record_many(db_session, ACTOR, "experience.created", events, object_type="experience_record")
    chain_pending(db_session)
    try:
        assert list(check_stored_content(db_session, key, after=head)) == []
        # Under another key every record differs: each was read and compared.
        other = {p.experience_id for p in check_stored_content(db_session, b"x" * 32, after=head)}
        assert other == {str(i) for i, _ in events}
    finally:
        nested.rollback()
