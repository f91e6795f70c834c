"""CSV uploads on a real database: storing, processing in chunks, resuming, reporting."""

from __future__ import annotations

import csv
import io
import math
import tracemalloc
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from hub.actor import Actor
from hub.audit.models import AuditEvent
from hub.errors import PayloadTooLarge
from hub.exchange.csv import chunks as csv_chunks
from hub.exchange.csv.finish import finish
from hub.exchange.csv.process import process_submission
from hub.exchange.csv.progress import described
from hub.exchange.csv.report import annotated_csv
from hub.exchange.csv.split import CHUNKS_PER_FILE, FEWEST_ROWS, chunk_size, split
from hub.exchange.csv.template import COLUMNS, EXAMPLE_ROWS, csv_line, row_to_record
from hub.exchange.csv.upload import accept_upload
from hub.exchange.records.config import IntakeConfig
from hub.exchange.records.models import ExperienceRecord, Submission
from hub.exchange.records.validation import Candidate, validate_record
from hub.storage import FileStorage
from hub.vocab.services import load_vocabularies

CONFIG = IntakeConfig(digest_key=b"d" * 32, fingerprint_key=b"f" * 32)
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def actor(make_org):
    org = make_org("charity")
    return Actor(
        kind="client",
        id="hub_test",
        organisation_id=org.id,
        organisation_kind="charity",
        scopes=frozenset({"experiences:write"}),
    )


@pytest.fixture
def storage(tmp_path):
    return FileStorage(str(tmp_path / "store"))


def row(n: int, **changes: str) -> dict[str, str]:
    base = dict(EXAMPLE_ROWS[n % len(EXAMPLE_ROWS)])
    base["partner_record_id"] = f"csv-{n:05d}"
    base.update(changes)
    return base


def make_csv(rows, columns=COLUMNS) -> str:
    return csv_line(columns) + "".join(csv_line(r.get(c, "") for c in columns) for r in rows)


def upload(session, actor, storage, text: str | bytes, **limits):
    data = text.encode() if isinstance(text, str) else text
    submission = accept_upload(
        session, actor, storage, io.BytesIO(data), "people.csv", now=NOW, **limits
    )
    session.commit()
    return submission


def process(session_factory, storage, submission, **kwargs):
    return process_submission(
        session_factory, storage, submission.id, config=CONFIG, now=NOW, **kwargs
    )


def described_one(submission):
    from sqlalchemy.orm import object_session

    return described(object_session(submission), [submission])[0]


def stored(session, actor) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(ExperienceRecord)
        .where(ExperienceRecord.organisation_id == actor.organisation_id)
    )


def test_the_example_rows_pass_every_rule(db_session):
    vocab = load_vocabularies(db_session)
    for example in EXAMPLE_ROWS:
        record, problems = row_to_record(example)
        assert problems == []
        assert isinstance(validate_record(record, vocab, NOW), Candidate)


def test_valid_rows_are_kept_and_invalid_ones_reported_by_row_and_column(
    db_session, session_factory, actor, storage
):
    rows = [row(0), row(1, experience_date="2099-01-01"), row(2), row(3, consent_feedback="maybe")]
    submission = upload(db_session, actor, storage, make_csv(rows))
    assert submission.status == "processing"
    assert submission.channel == "csv" and submission.declared_count == 4
    assert storage.exists(submission.storage_key)

    done = process(session_factory, storage, submission)
    assert done.status == "completed"
    assert (done.accepted_count, done.rejected_count) == (2, 2)
    assert described_one(done)["rows_done"] == 4
    assert {(e["row"], e["column"]) for e in done.errors} == {
        (3, "experience_date"),
        (5, "consent_feedback"),
    }
    assert stored(db_session, actor) == 2
    event = db_session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "submission.completed", AuditEvent.object_id == str(done.id)
        )
    )
    assert event is not None


def test_a_bom_is_ignored(db_session, session_factory, actor, storage):
    submission = upload(db_session, actor, storage, b"\xef\xbb\xbf" + make_csv([row(0)]).encode())
    done = process(session_factory, storage, submission)
    assert (done.status, done.accepted_count, done.errors) == ("completed", 1, [])


EXCEL_TEXT = "The nurse\u2019s care was \u201cexcellent\u201d \u2013 caf\u00e9 food too."


def test_windows_1252_from_excel_is_read(db_session, session_factory, actor, storage):
    text = make_csv([row(0, narrative=EXCEL_TEXT)])
    submission = upload(db_session, actor, storage, text.encode("cp1252"))
    done = process(session_factory, storage, submission)
    assert (done.status, done.accepted_count) == ("completed", 1)
    narrative = db_session.scalar(
        sa.select(ExperienceRecord.narrative).where(ExperienceRecord.submission_id == done.id)
    )
    assert narrative == EXCEL_TEXT


def test_a_bad_header_fails_the_file_with_did_you_mean(db_session, session_factory, actor, storage):
    columns = [("narative" if c == "narrative" else c) for c in COLUMNS]
    text = make_csv([{**row(0), "narative": "x"}], columns=columns)
    submission = upload(db_session, actor, storage, text)
    done = process(session_factory, storage, submission)
    assert done.status == "failed"
    messages = [e["message"] for e in done.errors]
    assert "Unknown column 'narative'. Did you mean 'narrative'?" in messages
    assert "Missing column 'narrative': the template requires it." in messages
    assert stored(db_session, actor) == 0


def test_the_same_file_again_creates_nothing(db_session, session_factory, actor, storage):
    text = make_csv([row(0), row(1)])
    first = upload(db_session, actor, storage, text)
    process(session_factory, storage, first)
    again = upload(db_session, actor, storage, text)
    assert again.id == first.id
    assert (
        db_session.scalar(
            sa.select(sa.func.count())
            .select_from(Submission)
            .where(Submission.organisation_id == actor.organisation_id)
        )
        == 1
    )
    assert stored(db_session, actor) == 2


def test_a_fixed_file_adds_only_the_fixed_rows(db_session, session_factory, actor, storage):
    first = upload(db_session, actor, storage, make_csv([row(0), row(1, narrative="")]))
    process(session_factory, storage, first)
    fixed = upload(db_session, actor, storage, make_csv([row(0), row(1)]))
    assert fixed.id != first.id
    done = process(session_factory, storage, fixed)
    assert (done.accepted_count, done.replayed_count, done.rejected_count) == (1, 1, 0)
    assert stored(db_session, actor) == 2


@pytest.mark.parametrize(
    ("limits", "field"), [({"max_rows": 2}, "rows"), ({"max_bytes": 100}, "bytes")]
)
def test_over_a_limit_nothing_is_kept(db_session, actor, storage, limits, field):
    with pytest.raises(PayloadTooLarge) as caught:
        upload(db_session, actor, storage, make_csv([row(0), row(1), row(2)]), **limits)
    assert field in str(caught.value)
    assert list(storage.list("uploads/")) == []
    assert (
        db_session.scalar(
            sa.select(sa.func.count())
            .select_from(Submission)
            .where(Submission.organisation_id == actor.organisation_id)
        )
        == 0
    )


def test_processing_resumes_after_a_crash_without_duplicating(
    db_session, session_factory, actor, storage, monkeypatch
):
    rows = [row(n) for n in range(7)]
    rows[5]["overall_experience"] = "9"
    submission = upload(db_session, actor, storage, make_csv(rows))
    real = csv_chunks.ingest_rows
    calls = []

    def crash_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(csv_chunks, "ingest_rows", crash_on_second)
    with pytest.raises(RuntimeError):
        process(session_factory, storage, submission, chunk_rows=3)
    db_session.expire_all()
    [half] = described(db_session, [db_session.get(Submission, submission.id)])
    assert (half["status"], half["rows_done"], half["rows_total"]) == ("processing", 3, 7)

    monkeypatch.setattr(csv_chunks, "ingest_rows", real)
    done = process(session_factory, storage, submission, chunk_rows=3)
    assert done.status == "completed"
    assert (done.accepted_count, done.replayed_count, done.rejected_count) == (6, 0, 1)
    assert [(e["row"], e["column"]) for e in done.errors] == [(7, "overall_experience")]
    assert stored(db_session, actor) == 6


def test_the_annotated_file_is_formula_safe(db_session, session_factory, actor, storage):
    rows = [
        row(0, narrative='=HYPERLINK("http://evil.example","click")'),
        row(1, sex="x", narrative=""),
    ]
    submission = upload(db_session, actor, storage, make_csv(rows))
    done = process(session_factory, storage, submission)
    lines = list(csv.reader(io.StringIO("".join(annotated_csv(storage, done)))))
    assert lines[0] == [*COLUMNS, "errors"]
    narrative = COLUMNS.index("narrative")
    assert lines[1][narrative] == '\'=HYPERLINK("http://evil.example","click")'
    assert lines[1][-1] == ""
    assert lines[2][-1].startswith("narrative: ")


def test_the_process_uploads_job_queues_pending_files_which_the_task_finishes(
    db_session, session_factory, actor, storage, settings, engine
):
    from hub.context import HubContext
    from hub.jobs.catalogue import JOBS
    from hub.tasks import uploads

    assert JOBS["process-uploads"] is uploads.run
    ctx = HubContext(settings=settings, engine=engine, session_factory=session_factory)
    submission = accept_upload(
        db_session, actor, ctx.storage, io.BytesIO(make_csv([row(0)]).encode()), "a.csv", now=NOW
    )
    db_session.commit()
    stats = uploads.run(ctx, session_factory, now=NOW)
    # Tests run tasks in the caller (eager): queued, and done by the time the job returns.
    assert stats == {"pending": 1, "queued": 1}
    db_session.expire_all()
    assert db_session.get(Submission, submission.id).status == "completed"
    assert uploads.run(ctx, session_factory, now=NOW) == {"pending": 0, "queued": 0}


# --- chunks in parallel ---------------------------------------------------------------------------


def test_chunks_done_in_any_order_give_the_file_read_top_to_bottom(
    db_session, session_factory, actor, storage
):
    """Repeats of a partner_record_id are found in the first pass and settled last, in order:
    an identical repeat is a replay, a different one a conflict, wherever their chunks fall."""
    rows = [row(0), row(1), row(2), row(0), row(3), row(1, narrative="Changed my mind."), row(4)]
    rows[4]["overall_experience"] = "9"
    submission = upload(db_session, actor, storage, make_csv(rows))
    pending = split(session_factory, storage, submission.id, chunk_rows=2)
    # Rows 2-3, 4-5... without the repeats (file rows 5 and 7), which wait for the end.
    assert pending == [0, 1, 2]
    for index in reversed(pending):  # the last chunk first, as a busy queue may hand them out
        assert csv_chunks.process_chunk(
            session_factory, storage, submission.id, index, config=CONFIG, now=NOW
        )
        # Done once: a redelivered message does nothing.
        assert not csv_chunks.process_chunk(
            session_factory, storage, submission.id, index, config=CONFIG, now=NOW
        )
    done = finish(session_factory, storage, submission.id, config=CONFIG, now=NOW)
    assert done is not None and done.status == "completed"
    assert (done.accepted_count, done.replayed_count, done.rejected_count) == (4, 1, 2)
    assert [(e["row"], e["column"]) for e in done.errors] == [
        (6, "overall_experience"),
        (7, "partner_record_id"),
    ]
    assert stored(db_session, actor) == 4
    assert finish(session_factory, storage, submission.id, config=CONFIG) is None


def test_a_chunk_failed_for_good_fails_the_file_and_keeps_the_other_rows(
    db_session, session_factory, actor, storage
):
    submission = upload(db_session, actor, storage, make_csv([row(n) for n in range(5)]))
    assert split(session_factory, storage, submission.id, chunk_rows=2) == [0, 1, 2]
    for index in (0, 2):
        csv_chunks.process_chunk(session_factory, storage, submission.id, index, config=CONFIG)
    csv_chunks.give_up_chunk(session_factory, submission.id, 1)
    done = finish(session_factory, storage, submission.id, config=CONFIG, now=NOW)
    assert done is not None and done.status == "failed"
    assert done.accepted_count == 3
    assert done.errors[-1]["message"].startswith("Rows 4 to 5 could not be processed")


def test_a_file_is_cut_into_enough_chunks_for_the_workers_to_share_and_none_too_large(
    db_session, session_factory, actor, storage
):
    submission = upload(db_session, actor, storage, make_csv([row(n) for n in range(200)]))
    pending = split(session_factory, storage, submission.id, chunk_rows=500)
    assert pending is not None and len(pending) >= 2  # not one chunk of the setting's 500 rows
    for rows in (1, 1_000, 20_000, 200_000):
        size = chunk_size(rows, 500)
        assert 1 <= size <= 500
        assert math.ceil(rows / size) >= min(CHUNKS_PER_FILE, math.ceil(rows / FEWEST_ROWS))


def test_progress_is_what_the_chunks_done_so_far_counted(
    db_session, session_factory, actor, storage
):
    rows = [row(n) for n in range(4)]
    rows[0]["overall_experience"] = "9"
    submission = upload(db_session, actor, storage, make_csv(rows))
    assert split(session_factory, storage, submission.id, chunk_rows=2) == [0, 1]
    assert csv_chunks.process_chunk(session_factory, storage, submission.id, 0, config=CONFIG)
    db_session.expire_all()
    half = described_one(db_session.get(Submission, submission.id))
    assert (half["status"], half["rows_done"], half["accepted"], half["rejected"]) == (
        "processing",
        2,
        1,
        1,
    )
    assert [e["row"] for e in half["errors"]] == [2]
    csv_chunks.process_chunk(session_factory, storage, submission.id, 1, config=CONFIG)
    done = finish(session_factory, storage, submission.id, config=CONFIG, now=NOW)
    assert done is not None
    db_session.expire_all()
    closed = db_session.get(Submission, submission.id)
    # Closed: the counts are the submission's own, as for every channel.
    assert (closed.accepted_count, closed.rejected_count, len(closed.errors)) == (3, 1, 1)
    assert described_one(closed)["rows_done"] == 4


def test_the_first_pass_holds_one_chunk_of_rows_at_a_time_not_the_whole_file(
    db_session, session_factory, actor, storage
):
    text = make_csv([row(n) for n in range(6_000)])
    submission = upload(db_session, actor, storage, text)
    tracemalloc.start()
    try:
        everything = list(csv.reader(io.StringIO(text)))
        _, whole_file = tracemalloc.get_traced_memory()
        del everything
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        pending = split(session_factory, storage, submission.id, chunk_rows=50)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pending is not None and len(pending) == 120
    # The rows of the whole file read into memory at once are several times what splitting
    # it takes: each chunk is written out as soon as it is full.
    assert peak - base < whole_file / 3
