"""Receipts: an exchange's audit event, and once sealed, the proof that a seal covers it.

A receipt holds the event exactly as its hash covers it, so a partner recomputes
``hash = sha256(prev_hash + canonical_json(event))``; the earliest seal with a Merkle root
that covers the event (``upto_seq >= seq``); and the RFC 9162 inclusion path from the event's
leaf to that root. With the hub's public key, ``scripts/verify_receipt.py`` checks all three
offline (docs/receipts.md).

A proof costs O(log n): the path is built from the stored roots of the tree's complete aligned
subtrees and at most ``2 * 2**CACHED_LEVEL`` raw leaves (``hub.audit.tree_nodes``), and checked
against the seal's root before it is given. If a root it needs is not stored yet (a seal made
before they were, until the next audit-seal run) or the check fails, the path is computed by
streaming every hash up to the seal instead, as the answer would otherwise be wrong.

Who may read one: an auditor (``audit:read``), or the organisation the exchange belongs to, for
the actions that are exchanges (EXCHANGE_ACTIONS). Anything else answers as if there were no
such event, so a receipt's number reveals nothing about other organisations' events.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit import tree_nodes
from hub.audit.chain import event_body
from hub.audit.checkpoints import note_receipt
from hub.audit.merkle import inclusion_path, verify_inclusion
from hub.audit.models import AuditEvent, AuditSeal, chained_columns
from hub.audit.seals import event_hashes, signed_from_row
from hub.audit.services import chain_pending
from hub.errors import NotFound

log = logging.getLogger(__name__)

AUDIT_READ = "audit:read"
RECEIPT_HEADER = "Hub-Receipt"
# What an organisation gave or got: its receipts are its own to read.
EXCHANGE_ACTIONS = frozenset(
    {
        "submission.created",
        "submission.completed",
        "experience.created",
        "consent.withdrawn",
        "dataset.downloaded",
        "dataset.released",
        "webhook.delivered",
    }
)
# A submission's receipt is for the event that closes it (with what was accepted and rejected),
# or, while a file is still being processed, for the one that opened it.
SUBMISSION_ACTIONS = ("submission.created", "submission.completed")


def may_read(actor: Actor, organisation_id: uuid.UUID | None, action: str) -> bool:
    if actor.has(AUDIT_READ):
        return True
    return (
        actor.organisation_id is not None
        and organisation_id == actor.organisation_id
        and action in EXCHANGE_ACTIONS
    )


def get_receipt(session: Session, actor: Actor, seq: int) -> dict[str, Any]:
    """The receipt of event ``seq``, if the actor may read it; else NotFound."""
    row = session.execute(sa.select(*chained_columns()).where(AuditEvent.seq == seq)).one_or_none()
    if row is None or not may_read(actor, row.organisation_id, row.action):
        raise NotFound("No such receipt.")
    seal = session.scalars(
        sa.select(AuditSeal)
        .where(AuditSeal.upto_seq >= seq, AuditSeal.merkle_root.is_not(None))
        .order_by(AuditSeal.upto_seq)
        .limit(1)
    ).first()
    receipt: dict[str, Any] = {
        "seq": row.seq,
        "hash": row.hash,
        "prev_hash": row.prev_hash,
        "event": event_body(row._asdict()),
        "sealed": False,
        "seal": None,
        "proof": None,
    }
    if seal is None:
        return receipt
    proof = _cached_proof(session, seq, row.hash, seal.upto_seq, seal.merkle_root)
    if proof is None:
        proof = _proof(session, seq, seal.upto_seq)
    if proof is None:
        return receipt
    receipt.update(sealed=True, seal=signed_from_row(seal).to_dict(), proof=proof)
    return receipt


def _cached_proof(
    session: Session, seq: int, event_hash: str, tree_size: int, root: str | None
) -> dict[str, Any] | None:
    """The proof from stored subtree roots, if they are all there and it leads to the root."""
    if root is None or not 1 <= seq <= tree_size:
        return None
    try:
        path = tree_nodes.inclusion_path(session, seq - 1, tree_size)
    except ValueError:  # a stored root that is not hex
        path = None
    if path is None:
        return None
    if not verify_inclusion(seq - 1, tree_size, event_hash, path, root):
        # A stored root disagrees with the chain, or the event's own row was edited: the
        # streamed path says which (it is what the answer always was).
        log.warning("the stored Merkle subtrees gave no proof of seq %s; streaming", seq)
        return None
    return {"leaf_index": seq - 1, "tree_size": tree_size, "audit_path": path}


def _proof(session: Session, seq: int, tree_size: int) -> dict[str, Any] | None:
    """The proof from every hash up to the seal, streamed: O(tree_size)."""
    hashes = event_hashes(session, tree_size)
    try:
        path = inclusion_path(seq - 1, tree_size, hashes)
    except ValueError:
        # Fewer events than the seal counts: the chain is broken, which `hub audit verify`
        # reports; a proof from it could not verify anyway.
        log.error("no inclusion proof for seq %s: the chain is shorter than its seal", seq)
        return None
    finally:
        hashes.close()
    return {"leaf_index": seq - 1, "tree_size": tree_size, "audit_path": path}


def submission_receipts(
    session: Session, submission_ids: Iterable[uuid.UUID | str]
) -> dict[str, dict[str, Any]]:
    """``{submission id: {audit_seq, hash}}``: each submission's latest lifecycle event."""
    ids = [str(i) for i in submission_ids]
    if not ids:
        return {}
    # Events recorded in this transaction are chained now, so that they can be named.
    chain_pending(session)
    rows = session.execute(
        sa.select(AuditEvent.object_id, AuditEvent.seq, AuditEvent.hash)
        .where(
            AuditEvent.object_id.in_(ids),
            AuditEvent.object_type == "submission",
            AuditEvent.action.in_(SUBMISSION_ACTIONS),
        )
        .order_by(AuditEvent.seq)
    )
    found: dict[str, dict[str, Any]] = {}
    for object_id, seq, hash_ in rows:
        if object_id is not None:
            found[object_id] = {"audit_seq": seq, "hash": hash_}  # the later event wins
            note_receipt(session, seq, hash_)
    return found


def submission_receipt(session: Session, submission_id: uuid.UUID | str) -> dict[str, Any] | None:
    return submission_receipts(session, [submission_id]).get(str(submission_id))


def receipt_header(session: Session, event: AuditEvent) -> str:
    """The ``Hub-Receipt`` header of an event (chained now if it is still pending)."""
    if event.seq is None:
        chain_pending(session)
    note_receipt(session, event.seq, event.hash)
    return f"seq={event.seq}, hash={event.hash}"
