"""Rotating the audit seal key: old seals and receipts keep verifying with the retired public key
an operator lists in ``HUB_AUDIT_TRUSTED_KEYS``; a seal by a key in neither place is reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from hub.audit.checks import verify_all
from hub.audit.keys import SigningKeyError, key_id, signing_key, trusted_keys, verification_keys
from hub.cli import main
from hub.jobs.runner import run_job
from hub.web import hub_context

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_receipt.py"


def _private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def _public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def _id(key: Ed25519PrivateKey) -> str:
    return key_id(key.public_key())


@pytest.fixture
def cli_env(fresh_database_url, tmp_path):
    env = {
        "HUB_DATABASE_URL": fresh_database_url,
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "HUB_STORAGE_URL": f"file://{tmp_path}/storage",
    }

    def run(*args, **settings):
        return CliRunner().invoke(main, list(args), env={**env, **settings})

    return run


def test_after_a_rotation_the_old_seal_checks_with_the_trusted_key_and_not_without(
    cli_env, tmp_path
):
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    old_file, new_file = tmp_path / "seal-old.pem", tmp_path / "seal-new.pem"
    old_file.write_text(_private_pem(old))
    new_file.write_text(_private_pem(new))
    trusted_file = tmp_path / "trusted-seal-keys.pem"
    trusted_file.write_text(_public_pem(old))
    before = {"HUB_AUDIT_SIGNING_KEY_FILE": str(old_file)}
    rotated = {
        "HUB_AUDIT_SIGNING_KEY_FILE": str(new_file),
        "HUB_AUDIT_TRUSTED_KEYS_FILE": str(trusted_file),
    }
    forgotten = {"HUB_AUDIT_SIGNING_KEY_FILE": str(new_file)}

    assert cli_env("orgs", "add", "--name", "First", "--kind", "charity").exit_code == 0
    first = cli_env("jobs", "run", "audit-seal", "--json", **before)
    assert first.exit_code == 0, first.output
    first_upto = json.loads(first.output)["stats"]["sealed_upto_seq"]
    assert cli_env("orgs", "add", "--name", "Second", "--kind", "charity").exit_code == 0

    second = cli_env("jobs", "run", "audit-seal", "--json", **rotated)
    assert second.exit_code == 0, second.output
    assert json.loads(second.output)["status"] == "succeeded"
    second_upto = json.loads(second.output)["stats"]["sealed_upto_seq"]
    assert second_upto > first_upto
    stored = {
        upto: json.loads(
            (tmp_path / "storage" / "audit" / "seals" / f"{upto:012d}.json").read_text()
        )
        for upto in (first_upto, second_upto)
    }
    assert stored[first_upto]["key_id"] == _id(old), "an old seal keeps the key that signed it"
    assert stored[second_upto]["key_id"] == _id(new), "a new seal is signed by the current key"

    verified = cli_env("audit", "verify", "--json", **rotated)
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["seals"] == {
        "checked": 2,
        "ok": True,
        "latest_upto_seq": second_upto,
        "problems": [],
    }

    broken = cli_env("audit", "verify", **forgotten)
    assert broken.exit_code == 1
    assert f"upto_seq {first_upto}: signed by unknown key {_id(old)}" in broken.output
    assert f"upto_seq {second_upto}" not in broken.output
    refused = cli_env("jobs", "run", "audit-seal", "--json", **forgotten)
    assert json.loads(refused.output)["status"] == "failed"
    assert f"unknown key {_id(old)}" in json.loads(refused.output)["error"]


@pytest.fixture
def rotated_app(app, make_app):
    """The suite's app seals with its development key; this one has rotated away from it."""
    old_public = signing_key(hub_context(app).settings).public_key()
    new = Ed25519PrivateKey.generate()
    pem = old_public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    rotated = make_app(audit_signing_key=_private_pem(new), audit_trusted_keys=pem)
    return rotated, key_id(old_public), _id(new)


def test_the_public_key_endpoint_lists_the_current_and_the_retired_key(
    app, rotated_app, make_party, auth_headers
):
    rotated, old_id, new_id = rotated_app
    headers = auth_headers(make_party("charity"))
    described = rotated.test_client().get("/api/v1/audit/public-key", headers=headers).get_json()

    assert described["key_id"] == new_id, "the top-level fields stay the current key's"
    assert described["jwk"]["kid"] == new_id
    assert [(k["key_id"], k["current"]) for k in described["keys"]] == [
        (new_id, True),
        (old_id, False),
    ]
    assert described["keys"][0]["public_key_pem"] == described["public_key_pem"]
    assert all(k["jwk"]["kid"] == k["key_id"] for k in described["keys"])

    before = app.test_client().get("/api/v1/audit/public-key", headers=headers).get_json()
    assert [(k["key_id"], k["current"]) for k in before["keys"]] == [(old_id, True)]

    pem = rotated.test_client().get(
        "/api/v1/audit/public-key", headers={**headers, "Accept": "application/x-pem-file"}
    )
    assert pem.get_data(as_text=True) == described["public_key_pem"]


def _script(receipt: dict, key_path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    receipt_path = tmp_path / "receipt.json"
    receipt_path.write_text(json.dumps(receipt))
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(receipt_path), "--public-key", str(key_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )


def test_a_receipt_sealed_before_the_rotation_verifies_against_the_listed_keys(
    app, client, rotated_app, make_party, auth_headers, make_record, tmp_path
):
    rotated, old_id, new_id = rotated_app
    headers = auth_headers(make_party("charity"))
    answer = client.post(
        "/api/v1/experiences/batch", json={"records": [make_record()]}, headers=headers
    ).get_json()
    seq = answer["receipt"]["audit_seq"]
    assert run_job(hub_context(app), "audit-seal").status == "succeeded"
    new_client = rotated.test_client()
    new_client.post("/api/v1/experiences/batch", json={"records": [make_record()]}, headers=headers)
    run = run_job(hub_context(rotated), "audit-seal")
    assert run.status == "succeeded", run.error
    chain, seals = verify_all(hub_context(rotated))
    assert chain.ok and seals.ok and seals.checked == 2

    receipt = new_client.get(f"/api/v1/receipts/{seq}", headers=headers).get_json()
    assert receipt["seal"]["key_id"] == old_id, "the receipt keeps the earliest seal covering it"
    keys_json, current_pem = tmp_path / "keys.json", tmp_path / "current.pem"
    keys_json.write_bytes(new_client.get("/api/v1/audit/public-key", headers=headers).data)
    current_pem.write_bytes(
        new_client.get(
            "/api/v1/audit/public-key", headers={**headers, "Accept": "application/x-pem-file"}
        ).data
    )

    result = _script(receipt, keys_json, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"key: using {old_id}, the key the seal names (a retired key)" in result.stdout
    assert (
        f"[ok] signature: the seal's Ed25519 signature verifies with the public key {old_id}"
        in (result.stdout)
    )

    only_current = _script(receipt, current_pem, tmp_path)
    assert only_current.returncode == 1
    assert f"key: using {new_id}, the current key: none given is the seal's key {old_id}" in (
        only_current.stdout
    )
    assert "[FAILED] signature" in only_current.stdout

    newer = dict(receipt, seal=dict(receipt["seal"], key_id=new_id))
    assert (
        f"key: using {new_id}, the key the seal names\n"
        in _script(newer, keys_json, tmp_path).stdout
    )


def test_trusted_keys_come_from_the_variable_and_the_file_and_refuse_anything_else(
    settings, tmp_path
):
    a, b, current = (Ed25519PrivateKey.generate() for _ in range(3))
    key_file = tmp_path / "trusted.pem"
    key_file.write_text(_public_pem(b))
    configured = settings.replace(
        audit_signing_key=_private_pem(current),
        # An environment variable may carry the PEM's line breaks as literal "\n".
        audit_trusted_keys=(_public_pem(a) + _public_pem(current)).replace("\n", "\\n"),
        audit_trusted_keys_file=str(key_file),
    )
    assert [key_id(k) for k in trusted_keys(configured)] == [_id(a), _id(current), _id(b)]
    assert list(verification_keys(configured)) == [_id(current), _id(a), _id(b)]

    for bad, reason in [
        (_private_pem(a), "private key"),
        ("not a key", "no PEM block"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a PEM public key"),
    ]:
        with pytest.raises(SigningKeyError, match=reason):
            trusted_keys(settings.replace(audit_trusted_keys=bad))
    with pytest.raises(SigningKeyError, match="HUB_AUDIT_TRUSTED_KEYS_FILE"):
        trusted_keys(settings.replace(audit_trusted_keys_file=str(tmp_path / "absent.pem")))
