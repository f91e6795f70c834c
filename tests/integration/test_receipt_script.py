"""A partner checks its receipt offline with ``scripts/verify_receipt.py``; seals carry the
Merkle root that the receipt's proof leads to, and old seals without one still verify."""

from __future__ import annotations

import ast
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hub.actor import system
from hub.audit import sealing as seal_job
from hub.audit.checks import check_seals
from hub.audit.keys import key_id, signing_key
from hub.audit.merkle import tree_head
from hub.audit.models import AuditEvent, AuditSeal
from hub.audit.seals import Seal, seal_storage_key, sign_seal
from hub.audit.services import record, verify
from hub.clock import utcnow
from hub.db import transaction
from hub.jobs.runner import run_job
from hub.web import hub_context

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_receipt.py"


@pytest.fixture
def partner(make_party):
    return make_party("charity")


@pytest.fixture
def headers(partner, auth_headers):
    return auth_headers(partner)


def _run(receipt, key_path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    receipt_path = tmp_path / "receipt.json"
    receipt_path.write_text(json.dumps(receipt))
    # -I: isolated, so nothing but the standard library and installed packages is importable.
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(receipt_path), "--public-key", str(key_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )


@pytest.fixture
def sealed_receipt(app, client, headers, make_record):
    """A partner's batch receipt, fetched from the API after the audit-seal job has run."""
    answer = client.post(
        "/api/v1/experiences/batch", json={"records": [make_record()]}, headers=headers
    ).get_json()
    seq = answer["receipt"]["audit_seq"]
    unsealed = client.get(f"/api/v1/receipts/{seq}", headers=headers).get_json()
    run = run_job(hub_context(app), "audit-seal")
    assert run.status == "succeeded", run.error
    # More events after the seal: the proof must still lead to the sealed root.
    client.post("/api/v1/experiences/batch", json={"records": [make_record()]}, headers=headers)
    sealed = client.get(f"/api/v1/receipts/{seq}", headers=headers).get_json()
    assert sealed["sealed"] is True
    return unsealed, sealed


@pytest.fixture
def key_files(client, headers, tmp_path):
    pem = client.get(
        "/api/v1/audit/public-key", headers={**headers, "Accept": "application/x-pem-file"}
    )
    as_json = client.get("/api/v1/audit/public-key", headers=headers)
    pem_path, json_path = tmp_path / "key.pem", tmp_path / "key.json"
    pem_path.write_bytes(pem.data)
    json_path.write_bytes(as_json.data)
    return pem_path, json_path


def test_a_partner_verifies_its_sealed_receipt_with_the_pem_or_the_json_key(
    sealed_receipt, key_files, tmp_path
):
    _, receipt = sealed_receipt
    for key_path in key_files:
        result = _run(receipt, key_path, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "[ok] hash" in result.stdout
        assert "[ok] proof" in result.stdout
        assert "[ok] signature" in result.stdout
        assert "VERIFIED" in result.stdout


def test_a_changed_event_field_fails_the_hash_step(sealed_receipt, key_files, tmp_path):
    _, receipt = sealed_receipt
    changed = copy.deepcopy(receipt)
    changed["event"]["details"]["accepted"] += 1

    result = _run(changed, key_files[0], tmp_path)

    assert result.returncode == 1
    assert "[FAILED] hash" in result.stdout
    assert "failing step(s): hash" in result.stdout


def test_a_wrong_path_element_fails_the_proof_step(sealed_receipt, key_files, tmp_path):
    _, receipt = sealed_receipt
    assert receipt["proof"]["audit_path"], "the seal covers more than the one event"
    changed = copy.deepcopy(receipt)
    element = changed["proof"]["audit_path"][0]
    changed["proof"]["audit_path"][0] = ("0" if element[0] != "0" else "1") + element[1:]

    result = _run(changed, key_files[0], tmp_path)

    assert result.returncode == 1
    assert "[FAILED] proof" in result.stdout
    assert "[ok] signature" in result.stdout


def test_an_edited_seal_or_another_key_fails_the_signature_step(
    sealed_receipt, key_files, tmp_path
):
    _, receipt = sealed_receipt
    other = tmp_path / "other.pem"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    wrong_key = _run(receipt, other, tmp_path)
    assert wrong_key.returncode == 1
    assert "[FAILED] signature" in wrong_key.stdout
    assert "failing step(s): signature" in wrong_key.stdout

    edited = copy.deepcopy(receipt)
    edited["seal"]["seal"]["sealed_at"] = "2020-01-01T00:00:00.000000Z"
    assert _run(edited, key_files[0], tmp_path).returncode == 1


def test_an_unsealed_receipt_checks_its_hash_and_says_it_is_not_sealed_yet(
    sealed_receipt, key_files, tmp_path
):
    unsealed, _ = sealed_receipt
    result = _run(unsealed, key_files[0], tmp_path)
    assert result.returncode == 2, result.stdout
    assert "[ok] hash" in result.stdout
    assert "NOT SEALED YET" in result.stdout


def test_unreadable_input_fails(key_files, tmp_path):
    result = _run({"not": "a receipt"}, key_files[0], tmp_path)
    assert result.returncode == 1
    missing_key = _run({"seq": 1}, tmp_path / "absent.pem", tmp_path)
    assert missing_key.returncode == 1
    assert "step input" in missing_key.stdout


def test_the_script_needs_only_the_standard_library_and_cryptography():
    tree = ast.parse(SCRIPT.read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


# The seal's Merkle root, and seals from before it.


@pytest.fixture
def ctx(app):
    return hub_context(app)


def _write(ctx, n):
    for i in range(n):
        with transaction(ctx.session_factory) as session:
            record(session, system("tests"), "test.written", object_id=str(i), details={"i": i})


def _hashes(db_session, upto):
    return db_session.scalars(
        sa.select(AuditEvent.hash).where(AuditEvent.seq <= upto).order_by(AuditEvent.seq)
    ).all()


def _store_signed(ctx, db_session, seal):
    """A seal signed with the hub's key, stored and indexed as the job would."""
    private = signing_key(ctx.settings)
    signed = sign_seal(private, seal, key_id(private.public_key()))
    ctx.storage.put_bytes(seal_storage_key(seal.upto_seq), signed.to_bytes())
    with transaction(ctx.session_factory) as session:
        seal_job._index(session, signed, system("tests"), adopted=False)
    return signed


def test_a_new_seal_signs_the_tree_head_over_every_event_hash(ctx, db_session):
    _write(ctx, 5)
    upto = run_job(ctx, "audit-seal").stats["sealed_upto_seq"]

    with ctx.storage.open(seal_storage_key(upto)) as stream:
        stored = json.loads(stream.read())
    root = tree_head(_hashes(db_session, upto))
    assert stored["seal"]["merkle_root"] == root
    assert db_session.get(AuditSeal, upto).merkle_root == root


def test_a_seal_from_before_merkle_roots_still_verifies_and_the_next_one_gets_a_root(
    ctx, db_session, app, client, make_party, auth_headers
):
    _write(ctx, 3)
    chain = verify(db_session)
    old = Seal.of(chain.head_seq, chain.head_hash, chain.events, utcnow())
    _store_signed(ctx, db_session, old)
    public = signing_key(ctx.settings).public_key()
    assert check_seals(db_session, ctx.storage, public).ok
    assert db_session.get(AuditSeal, chain.head_seq).merkle_root is None

    _write(ctx, 2)
    run = run_job(ctx, "audit-seal")

    assert run.status == "succeeded", run.error
    new = db_session.get(AuditSeal, run.stats["sealed_upto_seq"])
    assert new.merkle_root == tree_head(_hashes(db_session, new.upto_seq))
    assert check_seals(db_session, ctx.storage, public).ok
    auditor = auth_headers(make_party("auditor"))
    receipt = client.get("/api/v1/receipts/1", headers=auditor).get_json()
    assert receipt["seal"]["seal"]["upto_seq"] == new.upto_seq, "the old seal has no root"


def test_a_signed_but_wrong_merkle_root_is_reported(ctx, db_session):
    _write(ctx, 3)
    chain = verify(db_session)
    wrong = Seal.of(chain.head_seq, chain.head_hash, chain.events, utcnow(), "ab" * 32)
    _store_signed(ctx, db_session, wrong)

    problems = check_seals(db_session, ctx.storage, signing_key(ctx.settings).public_key())

    assert [(p.upto_seq, p.reason) for p in problems.problems] == [
        (chain.head_seq, "the Merkle root is not the tree head of the chain")
    ]
    assert run_job(ctx, "audit-seal").status == "failed"
