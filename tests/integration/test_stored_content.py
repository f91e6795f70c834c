"""An edit of a stored record or consent is found by ``hub audit verify`` (issue: the chain did
not cover what a record holds, so editing a stored narrative or consent went unnoticed)."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa

from hub.cli.audit import stored_content_problems
from hub.consent.models import ConsentRecord
from hub.exchange.records.models import ExperienceRecord


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
