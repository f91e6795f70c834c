"""Seals: Ed25519-signed checkpoints of the audit chain, and checking the chain against them.

A seal says "the event at ``upto_seq`` had hash ``hash``, and the chain then held ``count``
events", signed at ``sealed_at``. Because every hash covers the one before it, a seal pins the
whole chain up to ``upto_seq``: anyone who rewrites the database, even recomputing every hash,
produces a different hash at ``upto_seq`` and is caught.

The stored object (``audit/seals/<upto_seq, 12 digits>.json``) is::

    {"alg": "Ed25519", "key_id": "...", "seal": {"count": ..., "hash": "...",
     "merkle_root": "...", "sealed_at": "...Z", "upto_seq": ...}, "signature": "<base64>"}

``merkle_root`` is the RFC 9162 tree head over the hashes of events 1..``upto_seq``
(``hub.audit.merkle``): it lets anyone check one event's receipt against the seal with a short
inclusion proof, without the rest of the chain. Seals signed before it existed lack it, and
still verify: the signature covers whichever keys the body holds.

To check one offline: take ``seal`` exactly as stored, serialise it as canonical JSON (sorted
keys, no whitespace, UTF-8), and verify ``signature`` (standard base64 of 64 bytes) over those
bytes with the public key ``key_id`` names, from ``GET /api/v1/audit/public-key`` (its ``keys``
list holds the current key and any retired key that still vouches for older seals).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from hub.audit.chain import canonical_json, format_time
from hub.audit.merkle import TreeBuilder, tree_head
from hub.audit.models import AuditEvent, AuditSeal
from hub.audit.services import Seen

ALG = "Ed25519"
SEAL_PREFIX = "audit/seals/"
_HASH = re.compile(r"^[0-9a-f]{64}$")
_BODY_KEYS = frozenset({"upto_seq", "hash", "count", "sealed_at"})
_BODY_KEYS_WITH_ROOT = _BODY_KEYS | {"merkle_root"}


class SealFormatError(ValueError):
    """A stored seal object is not shaped as a seal."""


def seal_storage_key(upto_seq: int) -> str:
    """Where the seal up to ``upto_seq`` is stored; zero-padded so keys sort by seq."""
    return f"{SEAL_PREFIX}{upto_seq:012d}.json"


@dataclass(frozen=True)
class Seal:
    """The signed statement: the chain's hash at ``upto_seq`` and its length then."""

    upto_seq: int
    hash: str
    count: int
    sealed_at: str
    merkle_root: str | None = None

    @classmethod
    def of(
        cls,
        upto_seq: int,
        hash: str,
        count: int,
        sealed_at: datetime,
        merkle_root: str | None = None,
    ) -> Seal:
        return cls(upto_seq, hash, count, format_time(sealed_at), merkle_root)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "upto_seq": self.upto_seq,
            "hash": self.hash,
            "count": self.count,
            "sealed_at": self.sealed_at,
        }
        if self.merkle_root is not None:
            body["merkle_root"] = self.merkle_root
        return body

    def message(self) -> bytes:
        """The exact bytes the signature covers."""
        return canonical_json(self.body()).encode("utf-8")

    @property
    def sealed_at_time(self) -> datetime:
        return datetime.fromisoformat(self.sealed_at)


@dataclass(frozen=True)
class SignedSeal:
    seal: Seal
    signature: str
    key_id: str
    alg: str = ALG

    def to_dict(self) -> dict[str, Any]:
        return {
            "alg": self.alg,
            "key_id": self.key_id,
            "seal": self.seal.body(),
            "signature": self.signature,
        }

    def to_bytes(self) -> bytes:
        return (canonical_json(self.to_dict()) + "\n").encode("utf-8")

    @classmethod
    def from_dict(cls, data: Any) -> SignedSeal:
        """Read a stored seal, refusing anything not shaped exactly as one."""
        if not isinstance(data, dict):
            raise SealFormatError("a seal is a JSON object")
        body = data.get("seal")
        if not isinstance(body, dict) or set(body) not in (_BODY_KEYS, _BODY_KEYS_WITH_ROOT):
            raise SealFormatError(
                "seal must hold exactly upto_seq, hash, count, sealed_at (and merkle_root)"
            )
        upto, count, hash_, at = body["upto_seq"], body["count"], body["hash"], body["sealed_at"]
        if not _is_count(upto) or upto < 1 or not _is_count(count):
            raise SealFormatError("upto_seq and count must be whole numbers")
        if not isinstance(hash_, str) or not _HASH.match(hash_):
            raise SealFormatError("hash must be 64 lowercase hex digits")
        root = body.get("merkle_root")
        if "merkle_root" in body and (not isinstance(root, str) or not _HASH.match(root)):
            raise SealFormatError("merkle_root must be 64 lowercase hex digits")
        if not isinstance(at, str):
            raise SealFormatError("sealed_at must be a timestamp")
        try:
            datetime.fromisoformat(at)
        except ValueError as exc:
            raise SealFormatError("sealed_at must be a timestamp") from exc
        signature, key_id, alg = data.get("signature"), data.get("key_id"), data.get("alg")
        if not all(isinstance(v, str) for v in (signature, key_id, alg)):
            raise SealFormatError("signature, key_id and alg must be strings")
        return cls(Seal(upto, hash_, count, at, root), str(signature), str(key_id), str(alg))

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedSeal:
        try:
            parsed = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SealFormatError("a seal is UTF-8 JSON") from exc
        return cls.from_dict(parsed)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def sign_seal(private_key: Ed25519PrivateKey, seal: Seal, key_id: str) -> SignedSeal:
    """Sign the seal's canonical JSON."""
    signature = private_key.sign(seal.message())
    return SignedSeal(seal, base64.b64encode(signature).decode(), key_id)


def verify_seal(public_key: Ed25519PublicKey, signed: SignedSeal) -> bool:
    """Whether ``signed`` carries a valid Ed25519 signature by ``public_key``."""
    if signed.alg != ALG:
        return False
    try:
        signature = base64.b64decode(signed.signature, validate=True)
        public_key.verify(signature, signed.seal.message())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def signature_problem(keys: Mapping[str, Ed25519PublicKey], signed: SignedSeal) -> str | None:
    """Why ``signed`` does not verify with the key its ``key_id`` names, or None if it does.

    ``keys`` maps key ids to the current key and the retired keys still trusted.
    """
    public_key = keys.get(signed.key_id)
    if public_key is None:
        return (
            f"signed by unknown key {signed.key_id}: neither the current key nor a trusted "
            "retired key (HUB_AUDIT_TRUSTED_KEYS)"
        )
    if not verify_seal(public_key, signed):
        return f"the signature does not verify with key {signed.key_id}"
    return None


@dataclass(frozen=True)
class SealProblem:
    upto_seq: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"upto_seq": self.upto_seq, "reason": self.reason}


def verify_against_seals(session: Session, seals: Iterable[Seal]) -> list[SealProblem]:
    """Check that the chain still holds what each seal pinned: the hash at its seq, its count,
    and (where the seal has one) the Merkle tree head over every hash up to it.

    One pass over the events up to the latest seal, in ``seq`` order.
    """
    pending = sorted(seals, key=lambda s: s.upto_seq)
    if not pending:
        return []
    problems: list[SealProblem] = []
    stmt = (
        sa.select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.seq <= pending[-1].upto_seq)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=5000)
    )
    result = session.execute(stmt)
    count = 0
    index = 0
    tree = TreeBuilder() if any(s.merkle_root is not None for s in pending) else None
    try:
        for seq, hash_ in result:
            count += 1
            if tree is not None:
                tree.add(hash_)
            while index < len(pending) and pending[index].upto_seq < seq:
                problems.append(SealProblem(pending[index].upto_seq, "the sealed event is gone"))
                index += 1
            while index < len(pending) and pending[index].upto_seq == seq:
                root = tree.root if tree is not None else _no_root
                problems.extend(_compare(pending[index], hash_, count, root))
                index += 1
    finally:
        result.close()
    for seal in pending[index:]:
        problems.append(SealProblem(seal.upto_seq, "the sealed event is gone"))
    return problems


def event_hashes(session: Session, upto_seq: int, batch: int = 5000) -> Generator[str, None, None]:
    """The hashes of events 1..``upto_seq`` in ``seq`` order, streamed (never as ORM objects)."""
    stmt = (
        sa.select(AuditEvent.hash)
        .where(AuditEvent.seq <= upto_seq)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch)
    )
    result = session.execute(stmt)
    try:
        for (hash_,) in result:
            yield hash_
    finally:
        result.close()


def merkle_root(session: Session, upto_seq: int) -> str:
    """The RFC 9162 tree head over the hashes of events 1..``upto_seq``."""
    hashes = event_hashes(session, upto_seq)
    try:
        return tree_head(hashes)
    finally:
        hashes.close()


def compare_seen(seals: Iterable[Seal], seen: Mapping[int, Seen]) -> list[SealProblem] | None:
    """``verify_against_seals``'s answer from what one walk of the chain saw at each seal's seq
    (``hub.audit.services.walk``), or None if a tree head it needs could not be had there."""
    problems: list[SealProblem] = []
    for seal in sorted(seals, key=lambda s: s.upto_seq):
        at = seen.get(seal.upto_seq)
        if at is None or at.hash is None:
            problems.append(SealProblem(seal.upto_seq, "the sealed event is gone"))
            continue
        agrees = at.hash == seal.hash and at.count == seal.count
        if agrees and seal.merkle_root is not None and at.root is None:
            return None
        problems.extend(_compare(seal, at.hash, at.count, _given(at.root)))
    return problems


def _no_root() -> str | None:
    return None


def _given(root: str | None) -> Callable[[], str | None]:
    return lambda: root


def _compare(
    seal: Seal, hash_: str, count: int, root: Callable[[], str | None]
) -> list[SealProblem]:
    problems = []
    if hash_ != seal.hash:
        problems.append(
            SealProblem(seal.upto_seq, "the event's hash is not the sealed hash: rewritten")
        )
    if count != seal.count:
        problems.append(
            SealProblem(
                seal.upto_seq, f"{count} events up to this seq, but {seal.count} were sealed"
            )
        )
    # Only for a seal that agrees with the chain otherwise: a rewrite is reported once, above.
    if not problems and seal.merkle_root is not None and root() != seal.merkle_root:
        problems.append(
            SealProblem(seal.upto_seq, "the Merkle root is not the tree head of the chain")
        )
    return problems


def signed_from_row(row: AuditSeal) -> SignedSeal:
    """The signed seal as its index row repeats it."""
    seal = Seal.of(row.upto_seq, row.hash, row.count, row.sealed_at, row.merkle_root)
    return SignedSeal(seal, row.signature, row.key_id, row.alg)
