"""Stored Merkle subtree roots: the audit-seal job fills them in as the chain grows, receipts'
proofs are built from them (and still verify offline), and anything missing or wrong in them
costs speed, never a wrong proof."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.actor import system
from hub.audit import merkle, receipts, tree_nodes
from hub.audit.chain import canonical_json, event_hash
from hub.audit.models import AuditEvent, AuditSeal, AuditTreeNode
from hub.audit.services import record
from hub.db import transaction
from hub.jobs.runner import run_job
from hub.web import hub_context

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_receipt.py"
LEVEL = 2  # subtrees of 4 leaves and up are stored, so a few dozen events exercise it all


@pytest.fixture(autouse=True)
def small_subtrees(monkeypatch):
    monkeypatch.setattr(merkle, "CACHED_LEVEL", LEVEL)


@pytest.fixture
def ctx(app):
    return hub_context(app)


@pytest.fixture
def auditor(make_party, auth_headers):
    return auth_headers(make_party("auditor"))


def _write(ctx, n):
    for i in range(n):
        with transaction(ctx.session_factory) as session:
            record(session, system("tests"), "test.written", object_id=str(i), details={"i": i})


def _seal(ctx):
    run = run_job(ctx, "audit-seal")
    assert run.status == "succeeded", run.error
    return run


def _hashes(db_session, upto=None):
    stmt = sa.select(AuditEvent.hash).order_by(AuditEvent.seq)
    if upto is not None:
        stmt = stmt.where(AuditEvent.seq <= upto)
    return list(db_session.scalars(stmt))


def _stored(db_session):
    db_session.expire_all()
    rows = db_session.execute(
        sa.select(AuditTreeNode.level, AuditTreeNode.index, AuditTreeNode.hash)
    )
    return {(level, index): hash_ for level, index, hash_ in rows}


def _expected(hashes):
    """Every complete aligned subtree of LEVEL and up, each computed from its own leaves."""
    n = len(hashes)
    return {
        (level, index): merkle.tree_head(hashes[index << level : (index + 1) << level])
        for level in range(LEVEL, n.bit_length())
        for index in range(n >> level)
    }


def test_the_seal_job_stores_the_complete_subtrees_as_the_chain_grows(ctx, db_session):
    _write(ctx, 5)
    first = _seal(ctx)
    upto = first.stats["sealed_upto_seq"]
    assert _stored(db_session) == _expected(_hashes(db_session, upto))
    assert first.stats["tree_nodes_added"] == len(_expected(_hashes(db_session, upto)))

    _write(ctx, 23)
    second = _seal(ctx)
    later = second.stats["sealed_upto_seq"]
    expected = _expected(_hashes(db_session, later))
    assert _stored(db_session) == expected
    # Only the new ones were added; those already stored were kept as they were.
    assert second.stats["tree_nodes_added"] == len(expected) - len(
        _expected(_hashes(db_session, upto))
    )
    assert second.stats["tree_nodes_repaired"] == 0
    [row] = db_session.scalars(sa.select(AuditSeal).where(AuditSeal.upto_seq == later)).all()
    assert row.merkle_root == merkle.tree_head(_hashes(db_session, later))


def test_a_run_killed_while_storing_leaves_the_rest_to_the_next_run(ctx, db_session, monkeypatch):
    _write(ctx, 40)
    monkeypatch.setattr(tree_nodes, "STORE_BATCH", 3)
    batches = []

    def killed_on_the_third_batch(session, rows):
        batches.append(rows)
        if len(batches) == 3:
            raise RuntimeError("killed")

    monkeypatch.setattr(tree_nodes, "_stored_batch", killed_on_the_third_batch)
    failed = run_job(ctx, "audit-seal")
    assert failed.status == "failed"
    partial = _stored(db_session)
    assert len(partial) == 6  # two batches committed, the third rolled back
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditSeal)) == 0

    monkeypatch.setattr(tree_nodes, "_stored_batch", lambda session, rows: None)
    run = _seal(ctx)

    stored = _stored(db_session)
    assert stored == _expected(_hashes(db_session, run.stats["sealed_upto_seq"]))
    assert partial.items() <= stored.items()
    assert run.stats["tree_nodes_added"] == len(stored) - len(partial)


def test_proofs_from_stored_subtrees_are_the_streamed_proofs(ctx, db_session):
    _write(ctx, 37)
    upto = _seal(ctx).stats["sealed_upto_seq"]
    _write(ctx, 5)  # events past the seal change nothing
    hashes = _hashes(db_session, upto)
    root = merkle.tree_head(hashes)
    for m in range(upto):
        path = tree_nodes.inclusion_path(db_session, m, upto)
        assert path == merkle.inclusion_path(m, upto, hashes), m
        assert merkle.verify_inclusion(m, upto, hashes[m], path, root)


def _verify_with_script(receipt, client, headers, tmp_path):
    pem = client.get(
        "/api/v1/audit/public-key", headers={**headers, "Accept": "application/x-pem-file"}
    )
    (tmp_path / "key.pem").write_bytes(pem.data)
    (tmp_path / "receipt.json").write_text(json.dumps(receipt))
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), "receipt.json", "--public-key", "key.pem"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )


def test_a_partner_receipt_built_from_stored_subtrees_verifies_offline(
    ctx, client, make_party, auth_headers, make_record, monkeypatch, tmp_path
):
    headers = auth_headers(make_party("charity"))
    answer = client.post(
        "/api/v1/experiences/batch", json={"records": [make_record()]}, headers=headers
    ).get_json()
    seq = answer["receipt"]["audit_seq"]
    _write(ctx, 30)
    _seal(ctx)

    def streamed(*args):
        raise AssertionError("the proof should come from the stored subtrees")

    monkeypatch.setattr(receipts, "_proof", streamed)
    receipt = client.get(f"/api/v1/receipts/{seq}", headers=headers).get_json()

    assert receipt["sealed"] is True
    assert len(receipt["proof"]["audit_path"]) >= 5
    result = _verify_with_script(receipt, client, headers, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout


def _receipt(client, headers, seq):
    response = client.get(f"/api/v1/receipts/{seq}", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def _proves(receipt):
    proof, seal = receipt["proof"], receipt["seal"]["seal"]
    return merkle.verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        receipt["hash"],
        proof["audit_path"],
        seal["merkle_root"],
    )


def test_without_stored_subtrees_the_proof_is_streamed(ctx, client, auditor, db_session):
    _write(ctx, 20)
    upto = _seal(ctx).stats["sealed_upto_seq"]
    with transaction(ctx.session_factory) as session:
        session.execute(sa.delete(AuditTreeNode))  # as for seals made before they were stored
    hashes = _hashes(db_session, upto)

    receipt = _receipt(client, auditor, 6)

    assert receipt["proof"]["audit_path"] == merkle.inclusion_path(5, upto, hashes)
    assert _proves(receipt)


def test_a_wrong_stored_root_gives_no_wrong_proof_and_the_next_run_repairs_it(
    ctx, client, auditor, db_session
):
    _write(ctx, 20)
    upto = _seal(ctx).stats["sealed_upto_seq"]
    with transaction(ctx.session_factory) as session:
        # The root over leaves 4..7 is on the path of leaf 0.
        session.execute(
            sa.update(AuditTreeNode)
            .where(AuditTreeNode.level == 2, AuditTreeNode.index == 1)
            .values(hash="0" * 64)
        )

    receipt = _receipt(client, auditor, 1)

    assert receipt["proof"]["audit_path"] == merkle.inclusion_path(
        0, upto, _hashes(db_session, upto)
    )
    assert _proves(receipt)
    run = _seal(ctx)
    assert run.stats["tree_nodes_repaired"] == 1
    assert _stored(db_session) == _expected(_hashes(db_session, run.stats["sealed_upto_seq"]))


def test_an_edited_event_row_fails_its_proof(ctx, client, auditor, db_session):
    _write(ctx, 20)
    _seal(ctx)
    seq = 9
    receipt = _receipt(client, auditor, seq)
    assert _proves(receipt)
    # Edit the row and give it a hash that matches its new content: the hash step passes,
    # but the leaf is no longer the one the seal's root was made from.
    body = {**receipt["event"], "details": {"i": 999}}
    with transaction(ctx.session_factory) as session:
        event = session.get(AuditEvent, seq)
        assert event is not None
        event.details = {"i": 999}
        event.hash = event_hash(receipt["prev_hash"], body)
    edited = _receipt(client, auditor, seq)

    assert edited["event"]["details"] == {"i": 999}
    assert edited["hash"] != receipt["hash"]
    # What the script's hash step recomputes holds; its proof step does not.
    payload = edited["prev_hash"] + canonical_json(edited["event"])
    assert hashlib.sha256(payload.encode()).hexdigest() == edited["hash"]
    assert not _proves(edited)
