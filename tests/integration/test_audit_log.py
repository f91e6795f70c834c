"""The audit chain: written with each change, verified, tamper-evident, safe with many writers."""

from __future__ import annotations

import itertools
import multiprocessing

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.actor import system
from hub.audit.models import AuditEvent
from hub.audit.services import record, verify
from hub.cli import main
from hub.db import make_engine, make_session_factory, transaction


def _write(session_factory, n, action="test.written"):
    for i in range(n):
        with transaction(session_factory) as session:
            record(session, system("tests"), action, object_id=str(i), details={"i": i})


def test_events_chain_and_verify(session_factory, db_session):
    _write(session_factory, 5)
    result = verify(db_session)
    assert result.ok
    assert result.events >= 5
    rows = db_session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)).all()
    for earlier, later in itertools.pairwise(rows):
        assert later.prev_hash == earlier.hash
        assert later.seq == earlier.seq + 1
    assert rows[0].prev_hash == "0" * 64


def test_rolled_back_work_leaves_no_event(session_factory, db_session):
    before = verify(db_session).events
    with pytest.raises(RuntimeError), transaction(session_factory) as session:
        record(session, system("tests"), "test.rolled_back")
        raise RuntimeError("abort")
    assert verify(db_session).events == before
    assert verify(db_session).ok


def test_a_transaction_extends_the_chain_once_and_keeps_events_a_savepoint_did_not_undo(
    session_factory, db_session
):
    before = verify(db_session).head_seq
    with transaction(session_factory) as session:
        record(session, system("tests"), "test.before_savepoint")
        with session.begin_nested():
            record(session, system("tests"), "test.kept")
        # Released, not committed: nothing is chained yet.
        assert verify(db_session).head_seq == before
        with pytest.raises(RuntimeError), session.begin_nested():
            record(session, system("tests"), "test.undone")
            raise RuntimeError("the savepoint rolls back")
        record(session, system("tests"), "test.after_savepoint")
    actions = db_session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.seq > before).order_by(AuditEvent.seq)
    ).all()
    assert actions == ["test.before_savepoint", "test.kept", "test.after_savepoint"]
    assert verify(db_session).ok


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_events SET details = '{\"i\": 99}' WHERE seq = :seq",
        "UPDATE audit_events SET action = 'test.other' WHERE seq = :seq",
        "DELETE FROM audit_events WHERE seq = :seq",
    ],
    ids=["edited-details", "edited-action", "deleted"],
)
def test_tampering_is_found_at_the_right_seq(session_factory, db_session, tamper):
    _write(session_factory, 6)
    target = verify(db_session).events - 3
    db_session.execute(sa.text(tamper), {"seq": target})
    result = verify(db_session)
    assert not result.ok
    assert result.first_bad_seq == target


def test_truncating_the_tail_is_found(session_factory, db_session):
    _write(session_factory, 4)
    last = verify(db_session).events
    db_session.execute(sa.text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": last})
    result = verify(db_session)
    assert not result.ok
    assert result.first_bad_seq == last


def _writer(url: str, worker: int, n: int) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    for i in range(n):
        with transaction(factory) as session:
            record(
                session, system(f"worker-{worker}"), "test.concurrent", object_id=f"{worker}-{i}"
            )
    engine.dispose()


def test_chain_stays_whole_with_several_processes(fresh_database_url):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(fresh_database_url, w, 25)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    engine = make_engine(fresh_database_url)
    with transaction(make_session_factory(engine)) as session:
        result = verify(session)
        actors = session.scalars(sa.select(sa.func.count(sa.distinct(AuditEvent.actor)))).one()
    engine.dispose()
    assert result.ok, result
    assert result.events == 100
    assert actors == 4


def test_cli_verify_passes_then_fails_after_an_edit(fresh_database_url, tmp_path):
    env = {
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
    }
    runner = CliRunner()
    added = runner.invoke(
        main, ["orgs", "add", "--name", "Verify Charity", "--kind", "charity", "--json"], env=env
    )
    assert added.exit_code == 0, added.output
    ok = runner.invoke(main, ["audit", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("OK")
    engine = make_engine(fresh_database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET actor = 'system:someone-else' WHERE seq = 1"))
    engine.dispose()
    broken = runner.invoke(main, ["audit", "verify", "--json"], env=env)
    assert broken.exit_code == 1
    assert '"first_bad_seq": 1' in broken.output
