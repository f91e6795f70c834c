"""Audit seals: signed checkpoints in storage that catch any rewrite of the database."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from hub.actor import system
from hub.audit import sealing as seal_job
from hub.audit.chain import canonical_json, event_hash
from hub.audit.checks import check_seals, verify_all
from hub.audit.keys import public_key_pem, signing_key
from hub.audit.models import GENESIS_HASH, AuditEvent, AuditHead, AuditSeal
from hub.audit.seals import seal_storage_key
from hub.audit.services import record, verify
from hub.cli import main
from hub.context import HubContext
from hub.db import make_engine, transaction
from hub.jobs.runner import run_job


@pytest.fixture
def ctx(settings, engine, session_factory):
    return HubContext(settings=settings, engine=engine, session_factory=session_factory)


def _write(session_factory, n):
    for i in range(n):
        with transaction(session_factory) as session:
            record(session, system("tests"), "test.written", object_id=str(i), details={"i": i})


def _stored(ctx, upto_seq):
    with ctx.storage.open(seal_storage_key(upto_seq)) as stream:
        return json.loads(stream.read())


def _rewrite_chain_from(session, seq, **changes):
    """What an attacker with the database can do: edit one event and re-hash all that follow."""
    session.execute(sa.update(AuditEvent).where(AuditEvent.seq == seq).values(**changes))
    prev = GENESIS_HASH
    for ev in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)):
        if ev.seq >= seq:
            ev.prev_hash = prev
            ev.hash = "x" * 64  # clear first: hash is unique
            session.flush()
            ev.hash = event_hash(prev, {c: getattr(ev, c) for c in _CHAINED})
            session.flush()
        prev = ev.hash
    session.execute(sa.update(AuditHead).values(hash=prev))
    session.flush()


_CHAINED = (
    "seq",
    "occurred_at",
    "actor",
    "organisation_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "request_id",
    "ip",
    "details",
)


def test_the_seal_job_writes_a_signed_seal_to_storage_and_indexes_it(ctx, db_session):
    _write(ctx.session_factory, 3)
    head_seq = verify(db_session).head_seq

    run = run_job(ctx, "audit-seal")

    assert run.status == "succeeded", run.error
    assert run.stats["sealed_upto_seq"] == head_seq
    stored = _stored(ctx, head_seq)
    assert stored["alg"] == "Ed25519"
    assert stored["seal"]["upto_seq"] == head_seq
    assert stored["seal"]["count"] == head_seq
    head_hash = db_session.get(AuditEvent, head_seq).hash
    assert stored["seal"]["hash"] == head_hash
    row = db_session.get(AuditSeal, head_seq)
    assert (row.hash, row.signature) == (head_hash, stored["signature"])
    [sealed] = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "audit.sealed")
    ).all()
    assert sealed.details["upto_seq"] == head_seq


def test_the_development_key_is_generated_once_and_private(ctx):
    first = signing_key(ctx.settings)
    path = os.path.join(ctx.settings.instance_path, "audit-seal-key.pem")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = signing_key(ctx.settings)
    assert public_key_pem(first.public_key()) == public_key_pem(again.public_key())


def test_a_configured_key_is_used_from_a_variable_or_a_file(ctx, tmp_path):
    configured = signing_key(ctx.settings.replace(instance_path=str(tmp_path / "other")))
    pem = (tmp_path / "other" / "audit-seal-key.pem").read_text()
    from_var = signing_key(ctx.settings.replace(audit_signing_key=pem.replace("\n", "\\n")))
    key_file = tmp_path / "seal.pem"
    key_file.write_text(pem)
    from_file = signing_key(ctx.settings.replace(audit_signing_key_file=str(key_file)))
    expected = public_key_pem(configured.public_key())
    assert public_key_pem(from_var.public_key()) == expected
    assert public_key_pem(from_file.public_key()) == expected


def test_the_seal_verifies_with_the_public_key_and_fails_once_tampered(ctx):
    _write(ctx.session_factory, 2)
    run = run_job(ctx, "audit-seal")
    stored = _stored(ctx, run.stats["sealed_upto_seq"])
    public = load_pem_public_key(public_key_pem(signing_key(ctx.settings).public_key()).encode())
    signature = base64.b64decode(stored["signature"])

    public.verify(signature, canonical_json(stored["seal"]).encode())
    tampered = {**stored["seal"], "count": stored["seal"]["count"] - 1}
    with pytest.raises(InvalidSignature):
        public.verify(signature, canonical_json(tampered).encode())


def test_an_edited_seal_index_or_object_is_reported(ctx, db_session):
    _write(ctx.session_factory, 2)
    upto = run_job(ctx, "audit-seal").stats["sealed_upto_seq"]
    public = signing_key(ctx.settings).public_key()
    assert check_seals(db_session, ctx.storage, public).ok

    db_session.execute(sa.update(AuditSeal).values(count=AuditSeal.count + 1))
    problems = check_seals(db_session, ctx.storage, public).problems
    assert [p.upto_seq for p in problems] == [upto]
    assert "signature does not verify" in problems[0].reason

    db_session.execute(sa.delete(AuditSeal))
    obj = _stored(ctx, upto)
    obj["seal"]["hash"] = "0" * 64
    ctx.storage.put_bytes(seal_storage_key(upto), json.dumps(obj).encode())
    problems = check_seals(db_session, ctx.storage, public).problems
    assert "signature does not verify" in problems[0].reason


def test_a_consistent_rewrite_of_the_chain_is_caught_by_an_earlier_seal(ctx, db_session):
    _write(ctx.session_factory, 4)
    sealed_upto = run_job(ctx, "audit-seal").stats["sealed_upto_seq"]
    _write(ctx.session_factory, 2)

    _rewrite_chain_from(db_session, 2, details={"i": 99})

    chain, seals = verify_all(ctx)
    assert chain.ok, "the rewrite is consistent: the chain alone cannot tell"
    assert not seals.ok
    assert [p.upto_seq for p in seals.problems] == [sealed_upto]
    assert "rewritten" in seals.problems[0].reason


def test_the_job_refuses_to_seal_a_chain_that_disagrees_with_its_seals(ctx, db_session):
    _write(ctx.session_factory, 3)
    run_job(ctx, "audit-seal")
    _rewrite_chain_from(db_session, 1, actor="system:someone-else")
    before = db_session.scalar(sa.select(sa.func.count()).select_from(AuditSeal))

    run = run_job(ctx, "audit-seal")

    assert run.status == "failed"
    assert "seal problem" in run.error
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditSeal)) == before


def test_a_run_killed_after_storing_its_seal_is_finished_by_the_next(ctx, db_session, monkeypatch):
    _write(ctx.session_factory, 3)
    head_seq = verify(db_session).head_seq
    real_index = seal_job._index

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process is stopped between storage and database

    monkeypatch.setattr(seal_job, "_index", crash)
    with pytest.raises(KeyboardInterrupt):
        run_job(ctx, "audit-seal")
    assert ctx.storage.exists(seal_storage_key(head_seq))
    assert db_session.get(AuditSeal, head_seq) is None
    first_object = _stored(ctx, head_seq)

    monkeypatch.setattr(seal_job, "_index", real_index)
    run = run_job(ctx, "audit-seal")

    assert run.status == "succeeded", run.error
    assert run.stats["adopted"] == 1
    assert _stored(ctx, head_seq) == first_object, "the stored seal is adopted, not re-signed"
    assert db_session.get(AuditSeal, head_seq).signature == first_object["signature"]
    keys = list(ctx.storage.list("audit/seals/"))
    rows = db_session.scalars(sa.select(AuditSeal.storage_key).order_by(AuditSeal.upto_seq)).all()
    assert keys == rows
    assert len(set(keys)) == len(keys)


def test_cli_seals_then_verify_fails_after_one_row_is_edited(fresh_database_url, tmp_path):
    env = {
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
    }
    runner = CliRunner()
    added = runner.invoke(
        main, ["orgs", "add", "--name", "Seal Charity", "--kind", "charity"], env=env
    )
    assert added.exit_code == 0, added.output

    sealed = runner.invoke(main, ["jobs", "run", "audit-seal", "--json"], env=env)
    assert sealed.exit_code == 0, sealed.output
    upto = json.loads(sealed.output)["stats"]["sealed_upto_seq"]
    assert (tmp_path / "storage" / "audit" / "seals" / f"{upto:012d}.json").exists()

    ok = runner.invoke(main, ["audit", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "1 seals agree" in ok.output

    engine = make_engine(fresh_database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET object_type = 'edited' WHERE seq = 1"))
    engine.dispose()
    broken = runner.invoke(main, ["audit", "verify", "--json"], env=env)
    assert broken.exit_code == 1
    assert json.loads(broken.output)["first_bad_seq"] == 1


def test_cli_lists_jobs_and_runs_one(fresh_database_url, tmp_path):
    env = {
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
    }
    runner = CliRunner()
    before = runner.invoke(main, ["jobs", "list", "--json"], env=env)
    assert before.exit_code == 0, before.output
    listed = {j["name"]: j for j in json.loads(before.output)["jobs"]}
    assert listed["audit-seal"] == {"name": "audit-seal", "schedule": "0 * * * *", "last_run": None}

    assert runner.invoke(main, ["jobs", "run", "audit-seal"], env=env).exit_code == 0
    after = runner.invoke(main, ["jobs", "list"], env=env)
    assert "audit-seal" in after.output and "succeeded at" in after.output

    unknown = runner.invoke(main, ["jobs", "run", "no-such-job"], env=env)
    assert unknown.exit_code == 2
    assert "audit-seal" in unknown.output
