"""Sealing the audit chain (what the ``audit-seal`` job runs), and listing the seals.

Each run first checks the whole chain and every earlier seal, and fails (sealing nothing) if
anything is wrong: a seal over a tampered chain would vouch for the tampering. Then it signs
the chain's head, with the Merkle tree head over every event hash (``hub.audit.merkle``, for
receipts' inclusion proofs), and writes the seal to storage before indexing it in ``audit_seals``.
The pass that computes the tree head, over the verified snapshot, also gives the roots of the
tree's complete aligned subtrees; the run stores those missing (``hub.audit.tree_nodes``, in
batches of their own transactions) before it seals, so receipts' proofs read O(log n) of them
instead of every leaf. A run with no new events still stores any that are missing.

Resumable: a run killed after writing the object but before indexing it leaves a stored seal
with no row; the next run checks that seal's signature and indexes it ("adopts" it) rather than
signing again, and seals only if the chain has grown past the latest seal.
Checking the chain against the seals is ``hub.audit.checks``.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor, system
from hub.audit.checkpoints import prune_checkpoints
from hub.audit.checks import consistent_read, verify_with_seals
from hub.audit.keys import key_id, signing_key, verification_keys
from hub.audit.models import AuditSeal
from hub.audit.seals import Seal, SignedSeal, seal_storage_key, sign_seal, signed_from_row
from hub.audit.services import record
from hub.audit.tree_nodes import expected_nodes, scan_tree, store_nodes, stored_count
from hub.clock import utcnow
from hub.context import HubContext
from hub.db import transaction
from hub.keyset import keyset_page

log = logging.getLogger(__name__)

SEALER = "audit-seal"


class ChainNotSealable(Exception):
    """The chain or an earlier seal failed its check, so no new seal is made."""


def seal_chain(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Check the chain and every seal, adopt stored seals the index lacks, seal the head."""
    private_key = signing_key(ctx.settings)
    public_key = private_key.public_key()
    with consistent_read(session_factory) as session:
        # The chain and every seal in one pass over it.
        checked = verify_with_seals(session, ctx.storage, verification_keys(ctx.settings))
        chain, check = checked.chain, checked.seals
        sealable = chain.ok and check.ok
        grown = sealable and chain.head_seq > check.latest_upto_seq
        # From the same snapshot as the chain's head, so the root covers exactly 1..head_seq;
        # the same pass gives the roots of the complete subtrees that receipts' proofs use.
        tree = None
        if grown or (
            sealable and stored_count(session, chain.head_seq) < expected_nodes(chain.head_seq)
        ):
            tree = scan_tree(session, chain.head_seq)
        root = tree.root if grown and tree is not None else None
    if not chain.ok:
        raise ChainNotSealable(
            f"the audit chain is broken at seq {chain.first_bad_seq}: {chain.reason}"
        )
    if not check.ok:
        first = check.problems[0]
        raise ChainNotSealable(
            f"{len(check.problems)} seal problem(s); first at upto_seq {first.upto_seq}: "
            f"{first.reason}"
        )
    actor = system(f"job:{SEALER}")
    for signed in check.unindexed:
        with transaction(session_factory) as session:
            _index(session, signed, actor, adopted=True)
    stats: dict[str, Any] = {
        "events": chain.events,
        "seals_checked": check.checked,
        "adopted": len(check.unindexed),
        "sealed_upto_seq": None,
    }
    if tree is not None:
        # Before the seal: a run killed in between stores the rest and seals next time.
        stored = store_nodes(session_factory, tree.nodes)
        stats["tree_nodes_added"] = stored.added
        stats["tree_nodes_repaired"] = stored.repaired
    if chain.head_seq <= check.latest_upto_seq:
        return stats
    seal = Seal.of(chain.head_seq, chain.head_hash, chain.events, utcnow(), root)
    signed = sign_seal(private_key, seal, key_id(public_key))
    # Storage first: a kill before the row is written leaves a seal the next run adopts.
    ctx.storage.put_bytes(
        seal_storage_key(seal.upto_seq), signed.to_bytes(), content_type="application/json"
    )
    with transaction(session_factory) as session:
        _index(session, signed, actor, adopted=False)
    log.info("sealed the audit chain up to seq %s", seal.upto_seq)
    stats["sealed_upto_seq"] = seal.upto_seq
    stats["checkpoints_removed"] = prune_checkpoints(ctx.storage, seal.upto_seq)
    return stats


def _index(session: Session, signed: SignedSeal, actor: Actor, *, adopted: bool) -> None:
    seal = signed.seal
    key = seal_storage_key(seal.upto_seq)
    session.add(
        AuditSeal(
            upto_seq=seal.upto_seq,
            hash=seal.hash,
            count=seal.count,
            sealed_at=seal.sealed_at_time,
            alg=signed.alg,
            key_id=signed.key_id,
            signature=signed.signature,
            storage_key=key,
            object_sha256=hashlib.sha256(signed.to_bytes()).hexdigest(),
            merkle_root=seal.merkle_root,
        )
    )
    details = {
        "upto_seq": seal.upto_seq,
        "hash": seal.hash,
        "count": seal.count,
        "key_id": signed.key_id,
        "storage_key": key,
    }
    if seal.merkle_root is not None:
        details["merkle_root"] = seal.merkle_root
    if adopted:
        details["adopted"] = True
    record(
        session,
        actor,
        "audit.sealed",
        object_type="audit_seal",
        object_id=str(seal.upto_seq),
        details=details,
        organisation_id=None,
    )


def list_seals(
    session: Session, *, limit: int, after: list[Any] | None
) -> tuple[list[AuditSeal], list[Any] | None]:
    """One page of seals, newest first."""
    stmt: Any = sa.select(AuditSeal)
    keys: list[Any] = [AuditSeal.upto_seq]
    rows: list[AuditSeal]
    rows, next_key = keyset_page(session, stmt, keys, limit=limit, after=after, descending=True)
    return rows, next_key


def describe_seal(row: AuditSeal) -> dict[str, Any]:
    """A seal as the API shows it: what was signed, the signature, and where it is stored."""
    signed = signed_from_row(row)
    return {
        **signed.to_dict(),
        "upto_seq": row.upto_seq,
        "sealed_at": row.sealed_at,
        "storage_key": row.storage_key,
        "object_sha256": row.object_sha256,
    }
