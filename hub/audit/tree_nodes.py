"""The stored roots of the audit Merkle tree's complete aligned subtrees (``audit_tree_nodes``).

The audit-seal job computes them from the chain it has just verified, in the same pass that
gives the seal's ``merkle_root``, and stores those missing in batches of their own transactions:
a run killed midway keeps what it stored and the next run adds the rest, the same roots, since
a complete subtree of an append-only log never changes. A stored root that disagrees with the
chain is rewritten (and counted): the table is derived data, never trusted as evidence.

Receipts read O(log n) of them plus at most ``2 * 2**CACHED_LEVEL`` leaves per proof
(``inclusion_path``), and check the path against the seal's root before answering.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hub.audit import merkle
from hub.audit.models import AuditEvent, AuditTreeNode
from hub.audit.seals import event_hashes
from hub.db import transaction

log = logging.getLogger(__name__)

# Rows written per transaction when storing subtree roots.
STORE_BATCH = 1000
# Keys per query when reading stored roots.
_READ_BATCH = 200

NodeKey = tuple[int, int]


@dataclass
class TreeScan:
    """The tree head over events 1..``size`` and the roots of its complete aligned subtrees."""

    size: int
    root: str
    nodes: dict[NodeKey, bytes] = field(default_factory=dict)


def scan_tree(session: Session, upto_seq: int) -> TreeScan:
    """One pass over the hashes of events 1..``upto_seq``: the tree head, and the root of every
    complete aligned subtree of ``level >= CACHED_LEVEL`` (about 2/2**CACHED_LEVEL per event)."""
    nodes: dict[NodeKey, bytes] = {}

    def keep(level: int, index: int, root: bytes) -> None:
        nodes[(level, index)] = root

    builder = merkle.TreeBuilder(keep, merkle.CACHED_LEVEL)
    hashes = event_hashes(session, upto_seq)
    try:
        for event_hash in hashes:
            builder.add(event_hash)
    finally:
        hashes.close()
    return TreeScan(builder.size, builder.root(), nodes)


def expected_nodes(size: int, min_level: int | None = None) -> int:
    """How many complete aligned subtrees of ``level >= min_level`` a tree of ``size`` has."""
    level = merkle.CACHED_LEVEL if min_level is None else min_level
    total = 0
    while size >> level:
        total += size >> level
        level += 1
    return total


def stored_count(session: Session, size: int) -> int:
    """How many roots are stored for complete subtrees within the first ``size`` leaves."""
    levels = range(merkle.CACHED_LEVEL, max(size.bit_length(), merkle.CACHED_LEVEL))
    within = [
        sa.and_(AuditTreeNode.level == level, AuditTreeNode.index < size >> level)
        for level in levels
        if size >> level
    ]
    if not within:
        return 0
    return int(session.scalar(sa.select(sa.func.count()).where(sa.or_(*within))) or 0)


@dataclass
class StoreResult:
    added: int = 0
    repaired: int = 0


def store_nodes(factory: sessionmaker[Session], nodes: dict[NodeKey, bytes]) -> StoreResult:
    """Store the roots not yet stored, rewrite any that differ; ``STORE_BATCH`` rows a commit."""
    result = StoreResult()
    keys = sorted(nodes)
    for offset in range(0, len(keys), STORE_BATCH):
        batch = keys[offset : offset + STORE_BATCH]
        with transaction(factory) as session:
            stored = _load_span(session, batch)
            for key in batch:
                value = nodes[key].hex()
                if key not in stored:
                    session.add(AuditTreeNode(level=key[0], index=key[1], hash=value))
                    result.added += 1
                elif stored[key] != value:
                    session.execute(
                        sa.update(AuditTreeNode)
                        .where(AuditTreeNode.level == key[0], AuditTreeNode.index == key[1])
                        .values(hash=value)
                    )
                    result.repaired += 1
            _stored_batch(session, len(batch))
    if result.repaired:
        log.warning("%s stored Merkle subtree root(s) disagreed with the chain", result.repaired)
    return result


def _stored_batch(session: Session, rows: int) -> None:
    """Called once per batch before it commits (a seam for tests that kill the job midway)."""


def _load_span(session: Session, keys: list[NodeKey]) -> dict[NodeKey, str]:
    """The stored roots from the first to the last of ``keys`` (sorted), a range per level."""
    found: dict[NodeKey, str] = {}
    for level in sorted({lv for lv, _ in keys}):
        indexes = [ix for lv, ix in keys if lv == level]
        rows = session.execute(
            sa.select(AuditTreeNode.index, AuditTreeNode.hash).where(
                AuditTreeNode.level == level,
                AuditTreeNode.index.between(min(indexes), max(indexes)),
            )
        )
        for index, hash_ in rows:
            found[(level, index)] = hash_
    return found


def _load(session: Session, keys: Iterable[NodeKey]) -> dict[NodeKey, str]:
    """The stored roots of ``keys``, a few scattered ones (a proof's)."""
    found: dict[NodeKey, str] = {}
    wanted = list(keys)
    for offset in range(0, len(wanted), _READ_BATCH):
        chunk = wanted[offset : offset + _READ_BATCH]
        condition = sa.or_(
            *(sa.and_(AuditTreeNode.level == lv, AuditTreeNode.index == ix) for lv, ix in chunk)
        )
        for level, index, hash_ in session.execute(
            sa.select(AuditTreeNode.level, AuditTreeNode.index, AuditTreeNode.hash).where(condition)
        ):
            found[(level, index)] = hash_
    return found


def _leaves(session: Session, start: int, end: int) -> dict[int, bytes] | None:
    """The leaf hashes of leaves ``[start, end)`` (events ``start + 1 .. end``), or None if
    the chain does not hold exactly those events."""
    rows = session.execute(
        sa.select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.seq > start, AuditEvent.seq <= end)
        .order_by(AuditEvent.seq)
    ).all()
    if len(rows) != end - start:
        return None
    leaves: dict[int, bytes] = {}
    for offset, (seq, hash_) in enumerate(rows):
        if seq != start + offset + 1:
            return None
        leaves[seq - 1] = merkle.leaf_hash(hash_)
    return leaves


def inclusion_path(session: Session, leaf_index: int, tree_size: int) -> list[str] | None:
    """The inclusion path from stored subtree roots and the few leaves around them, or None
    if a root it needs is not stored (or the leaves are not all there): then stream instead."""
    plan = merkle.plan_inclusion(leaf_index, tree_size)
    stored = _load(session, plan.nodes)
    if len(stored) != len(set(plan.nodes)):
        return None
    leaves: dict[int, bytes] = {}
    for start, end in plan.leaves:
        span = _leaves(session, start, end)
        if span is None:
            return None
        leaves.update(span)
    nodes = {key: bytes.fromhex(value) for key, value in stored.items()}
    return merkle.path_from_plan(plan, nodes, leaves)
