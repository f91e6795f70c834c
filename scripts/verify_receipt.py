#!/usr/bin/env python3
"""Check an exchange hub receipt offline against the hub's signed audit seal.

Usage:
    python verify_receipt.py receipt.json --public-key key.pem

``receipt.json`` is the answer of ``GET /api/v1/receipts/{seq}`` ("-" reads standard input);
the key is the PEM from ``GET /api/v1/audit/public-key`` (``Accept: application/x-pem-file``;
a file of several PEM keys works too), or that endpoint's JSON answer as it comes. After a key
rotation the JSON lists every key (``keys``): the script checks the seal with the key whose
``key_id`` the seal names, falling back to the current key, and prints which key it used. Needs
Python 3.10+ and the ``cryptography`` package, nothing else, and no network.

Three checks, each printed:

1. hash: ``sha256(prev_hash + canonical_json(event))`` is the receipt's ``hash``, so the event
   shown is exactly the one the hub chained (canonical JSON: sorted keys, no whitespace, UTF-8).
2. proof: the RFC 9162 inclusion path leads from the event's leaf,
   ``SHA-256(0x00 || hash bytes)``, to the seal's ``merkle_root``, so the seal covers the event.
3. signature: the seal's Ed25519 signature over the canonical JSON of its body verifies with the
   public key, so the hub signed that root and no one has edited it since.

Exit status: 0 when all three pass; 1 when one fails (the failing step is named) or the input
cannot be read; 2 when the receipt is not sealed yet (only the hash could be checked: fetch it
again after the next seal, which the hub makes hourly).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

OK, FAILED, NOT_SEALED = 0, 1, 2
PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.DOTALL)


class InputError(Exception):
    """The receipt or the key cannot be read."""


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(leaf_index: int, tree_size: int, event_hash: str, path: list[str]) -> bytes:
    """RFC 9162 §2.1.3.2: the root an inclusion path leads to; ValueError if it cannot fit."""
    if not 0 <= leaf_index < tree_size:
        raise ValueError("the leaf index is outside the tree")
    fn, sn = leaf_index, tree_size - 1
    node = hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()
    for element in path:
        sibling = bytes.fromhex(element)
        if len(sibling) != 32:
            raise ValueError("a path element is not 32 bytes")
        if sn == 0:
            raise ValueError("the path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            node = _node(sibling, node)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            node = _node(node, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the path is shorter than the tree is deep")
    return node


def load_public_keys(text: str) -> list[Ed25519PublicKey]:
    """Every key given, the current one first: the JSON of ``GET /audit/public-key`` (its key,
    then those it lists in ``keys``), one or more PEM public keys, or a bare Ed25519 JWK."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise InputError(f"the public key file is not valid JSON: {exc}") from exc
        keys = [_json_key(data)]
        listed = data.get("keys") if isinstance(data, dict) else None
        for entry in listed if isinstance(listed, list) else []:
            keys.append(_json_key(entry))
        return keys
    blocks = [m.group(0) for m in PEM_BLOCK.finditer(stripped)] or [stripped]
    return [load_public_key(block) for block in blocks]


def _json_key(data: Any) -> Ed25519PublicKey:
    if isinstance(data, dict) and isinstance(data.get("public_key_pem"), str):
        return load_public_key(data["public_key_pem"])
    if isinstance(data, dict) and isinstance(data.get("public_key_b64"), str):
        return _raw_key(base64.b64decode(data["public_key_b64"], validate=True))
    jwk = data.get("jwk", data) if isinstance(data, dict) else None
    if isinstance(jwk, dict) and jwk.get("crv") == "Ed25519" and isinstance(jwk.get("x"), str):
        x = jwk["x"]
        return _raw_key(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
    raise InputError("the JSON holds no public_key_pem, public_key_b64 or Ed25519 jwk")


def choose_key(keys: list[Ed25519PublicKey], receipt: Any) -> tuple[Ed25519PublicKey, str]:
    """The key whose id the receipt's seal names, else the first (current) one; and why."""
    seal = receipt.get("seal") if isinstance(receipt, dict) else None
    named = seal.get("key_id") if isinstance(seal, dict) else None
    for position, key in enumerate(keys):
        if key_id(key) == named:
            role = " (a retired key)" if position else ""
            return key, f"{key_id(key)}, the key the seal names{role}"
    current = keys[0]
    return current, f"{key_id(current)}, the current key: none given is the seal's key {named}"


def load_public_key(text: str) -> Ed25519PublicKey:
    """A PEM public key, or the JSON of ``GET /audit/public-key`` (or a bare Ed25519 JWK)."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise InputError(f"the public key file is not valid JSON: {exc}") from exc
        return _json_key(data)
    try:
        key = load_pem_public_key(stripped.encode())
    except ValueError as exc:
        raise InputError("the public key is neither PEM nor the hub's JSON") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("the public key is not an Ed25519 key")
    return key


def _raw_key(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != 32:
        raise InputError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def check_hash(receipt: dict[str, Any]) -> tuple[bool, str]:
    event = receipt.get("event")
    if not isinstance(event, dict):
        return False, "the receipt has no event"
    if event.get("seq") != receipt.get("seq"):
        return (
            False,
            f"the event's seq {event.get('seq')} is not the receipt's {receipt.get('seq')}",
        )
    prev_hash = receipt.get("prev_hash")
    if not isinstance(prev_hash, str):
        return False, "the receipt has no prev_hash"
    payload = (prev_hash + canonical_json(event)).encode("utf-8")
    computed = hashlib.sha256(payload).hexdigest()
    if computed != receipt.get("hash"):
        return False, (
            f"sha256(prev_hash + canonical JSON of the event) is {computed}, "
            f"not the receipt's hash {receipt.get('hash')}: the event is not the one chained"
        )
    return True, "sha256(prev_hash + canonical JSON of the event) is the receipt's hash"


def check_proof(receipt: dict[str, Any]) -> tuple[bool, str]:
    proof, seal = receipt["proof"], receipt["seal"]
    try:
        body = seal["seal"]
        root = body["merkle_root"]
        leaf_index, tree_size = proof["leaf_index"], proof["tree_size"]
        path = proof["audit_path"]
    except (KeyError, TypeError):
        return False, "the proof or the seal lacks leaf_index, tree_size, audit_path or merkle_root"
    if leaf_index != receipt.get("seq", 0) - 1:
        return False, f"the proof is for leaf {leaf_index}, not for seq {receipt.get('seq')}"
    if tree_size != body.get("upto_seq"):
        return (
            False,
            f"the proof is for a tree of {tree_size}, the seal's has {body.get('upto_seq')}",
        )
    try:
        reached = root_from_path(leaf_index, tree_size, str(receipt["hash"]), list(path))
    except (ValueError, TypeError) as exc:
        return False, f"the inclusion path does not fit the tree: {exc}"
    if reached.hex() != root:
        return False, (
            f"the inclusion path leads to {reached.hex()}, not to the seal's merkle_root {root}"
        )
    return True, (
        f"the inclusion path leads from the event's leaf ({leaf_index} of {tree_size}) "
        "to the seal's merkle_root"
    )


def check_signature(receipt: dict[str, Any], key: Ed25519PublicKey) -> tuple[bool, str]:
    seal = receipt["seal"]
    if not isinstance(seal, dict) or not isinstance(seal.get("seal"), dict):
        return False, "the receipt's seal has no signed body"
    if seal.get("alg") != "Ed25519":
        return False, f"the seal's algorithm is {seal.get('alg')!r}, not Ed25519"
    try:
        signature = base64.b64decode(str(seal.get("signature")), validate=True)
        key.verify(signature, canonical_json(seal["seal"]).encode("utf-8"))
    except (InvalidSignature, binascii.Error, ValueError):
        ours = key_id(key)
        hint = (
            ""
            if seal.get("key_id") == ours
            else f" (sealed by key {seal.get('key_id')}, given {ours})"
        )
        return False, f"the seal's Ed25519 signature does not verify with the public key{hint}"
    return True, f"the seal's Ed25519 signature verifies with the public key {key_id(key)}"


def verify(
    receipt: Any, key: Ed25519PublicKey | list[Ed25519PublicKey], out: Any = sys.stdout
) -> int:
    """Check the receipt; with several keys, the seal is checked with the one it names."""
    if not isinstance(receipt, dict) or not isinstance(receipt.get("seq"), int):
        print("FAILED at step receipt: not a receipt from GET /api/v1/receipts/{seq}", file=out)
        return FAILED
    event = receipt.get("event")
    if not isinstance(event, dict):
        event = {}
    print(
        f"Receipt for audit event {receipt['seq']}: {event.get('action')} "
        f"at {event.get('occurred_at')}",
        file=out,
    )
    steps = [("hash", lambda: check_hash(receipt))]
    sealed = receipt.get("seal") is not None and receipt.get("proof") is not None
    if sealed:
        chosen, why = choose_key(key if isinstance(key, list) else [key], receipt)
        print(f"  key: using {why}", file=out)
        steps += [
            ("proof", lambda: check_proof(receipt)),
            ("signature", lambda: check_signature(receipt, chosen)),
        ]
    failed = []
    for name, step in steps:
        ok, message = step()
        print(f"  [{'ok' if ok else 'FAILED'}] {name}: {message}", file=out)
        if not ok:
            failed.append(name)
    if failed:
        print(f"NOT VERIFIED: failing step(s): {', '.join(failed)}", file=out)
        return FAILED
    if not sealed:
        print(
            "NOT SEALED YET: the event hash checks, but no seal covers it yet. Fetch the "
            "receipt again after the next seal (hourly) for its proof.",
            file=out,
        )
        return NOT_SEALED
    body = receipt["seal"]["seal"]
    print(
        f"VERIFIED: event {receipt['seq']} is in the audit chain the hub sealed up to "
        f"seq {body.get('upto_seq')} at {body.get('sealed_at')}.",
        file=out,
    )
    return OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check an exchange hub receipt offline against its signed audit seal."
    )
    parser.add_argument("receipt", help="the JSON of GET /api/v1/receipts/{seq}; - for stdin")
    parser.add_argument(
        "--public-key",
        required=True,
        help="PEM file (one or more keys, the current one first), or the JSON of "
        "GET /api/v1/audit/public-key",
    )
    args = parser.parse_args(argv)
    try:
        if args.receipt == "-":
            receipt = json.load(sys.stdin)
        else:
            with open(args.receipt, encoding="utf-8") as handle:
                receipt = json.load(handle)
        with open(args.public_key, encoding="utf-8") as handle:
            keys = load_public_keys(handle.read())
    except (OSError, ValueError, InputError) as exc:
        print(f"FAILED at step input: {exc}", file=sys.stdout)
        return FAILED
    return verify(receipt, keys)


if __name__ == "__main__":
    sys.exit(main())
