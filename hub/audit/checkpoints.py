"""Checkpoints: a signed note of the chain's head written whenever a partner is given a receipt.

Seals are made by the audit-seal job (hourly by default), so without more, the newest events
could be deleted and the head moved back without trace until the next seal. A checkpoint closes
that gap at once: when a request that gave a receipt (``seq``, ``hash``) commits, the hub signs
``{upto_seq, hash, count}`` with the seal key and stores it beside the seals, in object storage,
out of reach of someone who can only edit the database. ``hub audit verify`` checks every
checkpoint newer than the latest seal like a seal: a chain cut or rewritten below a checkpoint
is reported. Once a seal covers a checkpoint the seal job removes it (the seal says more).

A checkpoint is a seal without a Merkle root, in its own prefix, so that neither receipts'
proofs nor the seal job's "anything new to seal?" ever count it.
"""

from __future__ import annotations

import re
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from hub.audit.keys import key_id
from hub.audit.seals import (
    Seal,
    SealFormatError,
    SealProblem,
    SignedSeal,
    sign_seal,
    signature_problem,
    verify_against_seals,
)
from hub.storage import ObjectNotFound, Storage

CHECKPOINT_PREFIX = "audit/checkpoints/"
_KEY = re.compile(r"^audit/checkpoints/(\d{12})\.json$")
_GIVEN = "audit_receipts_given"


def checkpoint_key(seq: int) -> str:
    return f"{CHECKPOINT_PREFIX}{seq:012d}.json"


def note_receipt(session: Session, seq: int, hash_: str) -> None:
    """Remember that this transaction gave a receipt for event ``seq``."""
    given: dict[int, str] = session.info.setdefault(_GIVEN, {})
    given[seq] = hash_


def take_receipts_given(session: Session) -> tuple[int, str] | None:
    """The newest receipt this transaction gave (and forget them all)."""
    given: dict[int, str] = session.info.pop(_GIVEN, {})
    if not given:
        return None
    seq = max(given)
    return seq, given[seq]


def write_checkpoint(
    storage: Storage, private_key: Ed25519PrivateKey, seq: int, hash_: str, now: datetime
) -> str:
    """Sign and store the checkpoint of event ``seq`` (call after the transaction commits)."""
    seal = Seal.of(seq, hash_, seq, now)
    signed = sign_seal(private_key, seal, key_id(private_key.public_key()))
    key = checkpoint_key(seq)
    storage.put_bytes(key, signed.to_bytes(), content_type="application/json")
    return key


def stored_checkpoints(storage: Storage) -> dict[int, str]:
    found: dict[int, str] = {}
    for key in storage.list(CHECKPOINT_PREFIX):
        match = _KEY.match(key)
        if match:
            found[int(match.group(1))] = key
    return found


def check_checkpoints(
    session: Session,
    storage: Storage,
    keys: dict[str, Ed25519PublicKey],
    *,
    above: int = 0,
) -> list[SealProblem]:
    """Every checkpoint newer than ``above`` (the latest seal), checked against the chain."""
    problems, good = read_checkpoints(storage, keys, above=above)
    return problems + as_checkpoint_problems(verify_against_seals(session, good))


def read_checkpoints(
    storage: Storage,
    keys: dict[str, Ed25519PublicKey],
    *,
    above: int = 0,
    stored: dict[int, str] | None = None,
) -> tuple[list[SealProblem], list[Seal]]:
    """The checkpoints newer than ``above`` whose signature verifies, and what is wrong with the
    others; ``stored`` is ``stored_checkpoints(storage)`` if already listed."""
    problems: list[SealProblem] = []
    good: list[Seal] = []
    listed = stored_checkpoints(storage) if stored is None else stored
    for seq, key in sorted(listed.items()):
        if seq <= above:
            continue
        try:
            with storage.open(key) as stream:
                signed = SignedSeal.from_bytes(stream.read())
        except (SealFormatError, ObjectNotFound, OSError):
            problems.append(SealProblem(seq, "the checkpoint cannot be read"))
            continue
        if signed.seal.upto_seq != seq:
            problems.append(SealProblem(seq, "the checkpoint names another seq than its key"))
        elif (reason := signature_problem(keys, signed)) is not None:
            problems.append(SealProblem(seq, f"checkpoint: {reason}"))
        else:
            good.append(signed.seal)
    return problems, good


def as_checkpoint_problems(problems: list[SealProblem]) -> list[SealProblem]:
    """What checking checkpoints as seals found, said of checkpoints."""
    return [SealProblem(p.upto_seq, f"checkpoint: {p.reason}") for p in problems]


def prune_checkpoints(storage: Storage, upto_seq: int) -> int:
    """Remove the checkpoints a seal up to ``upto_seq`` now covers; how many."""
    removed = 0
    for seq, key in stored_checkpoints(storage).items():
        if seq <= upto_seq:
            storage.delete(key)
            removed += 1
    return removed
