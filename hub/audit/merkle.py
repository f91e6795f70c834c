"""A Merkle tree over the audit chain's event hashes, as RFC 9162 (Certificate Transparency 2.0)
defines it: inclusion proofs that a partner checks offline against a signed seal.

The leaves are the events' hashes in ``seq`` order (leaf ``m`` is the event at ``seq = m + 1``):

    leaf hash   = SHA-256(0x00 || bytes.fromhex(event_hash))
    node hash   = SHA-256(0x01 || left || right)
    MTH(D[0:n]) = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n

Everything here takes the hashes as a stream, in order, and keeps O(log n) of them in memory,
so a tree over millions of events is never held whole.

Cached subtrees. The log only grows, so the root of a complete, aligned, perfect subtree (the
leaves ``[index * 2**level, (index + 1) * 2**level)``) never changes once its leaves exist. The
audit-seal job stores those of ``level >= CACHED_LEVEL`` (``audit_tree_nodes``). Every subtree
of an RFC 9162 tree splits, left to right, into perfect aligned subtrees of decreasing size
(``perfect_blocks``), so an inclusion path needs only O(log n) stored roots, plus the raw leaves
of the few blocks below ``CACHED_LEVEL``: those beside the leaf, and those at the tree's ragged
right edge (fewer than ``2 * 2**CACHED_LEVEL`` leaves in all, ``plan_inclusion``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
# The lowest level of subtree whose root is stored (1,024 leaves): about 1/512 of the log.
CACHED_LEVEL = 10


def leaf_hash(event_hash: str) -> bytes:
    """The tree's leaf for one event: SHA-256(0x00 || the event hash's 32 bytes)."""
    return hashlib.sha256(LEAF_PREFIX + bytes.fromhex(event_hash)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


# Called with (level, index, root) of each perfect aligned subtree as it completes.
SubtreeSink = Callable[[int, int, bytes], None]


class TreeBuilder:
    """The tree head of a growing list of leaves, kept as the roots of its perfect subtrees.

    With ``on_subtree``, it also reports every perfect aligned subtree of ``level >=
    min_level`` as its last leaf arrives (the subtrees the audit-seal job stores).
    """

    def __init__(self, on_subtree: SubtreeSink | None = None, min_level: int = 0) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (leaves under it, root), sizes decreasing
        self.size = 0
        self._on_subtree = on_subtree
        self._min_level = min_level

    def add_leaf(self, leaf: bytes) -> None:
        size, node = 1, leaf
        if self._on_subtree is not None and self._min_level <= 0:
            self._on_subtree(0, self.size, leaf)
        while self._stack and self._stack[-1][0] == size:
            left_size, left = self._stack.pop()
            size, node = left_size + size, node_hash(left, node)
            if self._on_subtree is not None:
                level = size.bit_length() - 1
                if level >= self._min_level:
                    self._on_subtree(level, (self.size + 1 - size) >> level, node)
        self._stack.append((size, node))
        self.size += 1

    def add(self, event_hash: str) -> None:
        self.add_leaf(leaf_hash(event_hash))

    def root_bytes(self) -> bytes:
        """MTH of the leaves so far; the builder can keep growing afterwards."""
        if not self._stack:
            return bytes.fromhex(EMPTY_ROOT)
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node

    def root(self) -> str:
        return self.root_bytes().hex()


def tree_head(event_hashes: Iterable[str]) -> str:
    """MTH over the event hashes, in order, as hex."""
    builder = TreeBuilder()
    for event_hash in event_hashes:
        builder.add(event_hash)
    return builder.root()


def path_ranges(m: int, n: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[start, end)`` whose roots form the inclusion path of leaf ``m`` in a
    tree of ``n`` leaves, in the path's order (nearest the leaf first), as RFC 9162 §2.1.3.1."""
    if not 0 <= m < n:
        raise ValueError(f"leaf {m} is not in a tree of {n} leaves")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = split(hi - lo)
        if m < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()
    return ranges


def inclusion_path(m: int, n: int, event_hashes: Iterable[str]) -> list[str]:
    """The audit path of leaf ``m`` in the tree over the first ``n`` of ``event_hashes``.

    One pass over the hashes; raises ValueError if fewer than ``n`` come.
    """
    ranges = path_ranges(m, n)
    roots: dict[tuple[int, int], str] = {}
    pending = iter(sorted(ranges))
    current = next(pending, None)
    builder = TreeBuilder()
    seen = 0
    for index, event_hash in _first(event_hashes, n):
        seen += 1
        if current is None or index < current[0]:
            continue  # the leaf itself, or between ranges (only the leaf is)
        builder.add(event_hash)
        if index == current[1] - 1:
            roots[current] = builder.root()
            builder = TreeBuilder()
            current = next(pending, None)
    if seen < n:
        raise ValueError(f"the tree needs {n} leaves, only {seen} were given")
    return [roots[r] for r in ranges]


def perfect_blocks(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect aligned subtrees ``(level, index)`` that make up the subtree over leaves
    ``[start, end)`` of an RFC 9162 tree, left to right: the binary digits of its size.

    Every subtree of such a tree (the whole tree, each range of ``path_ranges``) starts at a
    multiple of the smallest power of two not below its size, so each block is aligned.
    """
    blocks: list[tuple[int, int]] = []
    while start < end:
        level = (end - start).bit_length() - 1
        blocks.append((level, start >> level))
        start += 1 << level
    return blocks


def fold(roots: list[bytes]) -> bytes:
    """The root of a subtree from the roots of its perfect blocks, left to right."""
    if not roots:
        return bytes.fromhex(EMPTY_ROOT)
    node = roots[-1]
    for left in reversed(roots[:-1]):
        node = node_hash(left, node)
    return node


@dataclass(frozen=True)
class ProofPlan:
    """What an inclusion path needs: stored subtree roots, and raw leaves for the rest."""

    leaf_index: int
    tree_size: int
    min_level: int
    ranges: list[tuple[int, int]]
    nodes: list[tuple[int, int]]  # (level, index), each of level >= min_level
    leaves: list[tuple[int, int]]  # [start, end) of leaves to read, sorted and disjoint


def plan_inclusion(m: int, n: int, min_level: int | None = None) -> ProofPlan:
    """The stored roots and the leaf ranges from which the path of leaf ``m`` in a tree of
    ``n`` leaves is computed, with subtrees of ``min_level`` (default ``CACHED_LEVEL``) and up
    taken as stored."""
    level_floor = CACHED_LEVEL if min_level is None else min_level
    ranges = path_ranges(m, n)
    nodes: list[tuple[int, int]] = []
    spans: list[tuple[int, int]] = []
    for start, end in ranges:
        for level, index in perfect_blocks(start, end):
            if level >= level_floor:
                nodes.append((level, index))
            else:
                spans.append((index << level, (index + 1) << level))
    spans.sort()
    leaves: list[tuple[int, int]] = []
    for start, end in spans:
        if leaves and leaves[-1][1] == start:
            leaves[-1] = (leaves[-1][0], end)
        else:
            leaves.append((start, end))
    return ProofPlan(m, n, level_floor, ranges, nodes, leaves)


def path_from_plan(
    plan: ProofPlan, nodes: Mapping[tuple[int, int], bytes], leaves: Mapping[int, bytes]
) -> list[str]:
    """The inclusion path, from the stored roots ``plan.nodes`` and the leaf hashes (leaf
    index to ``leaf_hash``) of ``plan.leaves``; KeyError if one is missing."""
    path: list[str] = []
    for start, end in plan.ranges:
        roots: list[bytes] = []
        for level, index in perfect_blocks(start, end):
            if level >= plan.min_level:
                roots.append(nodes[(level, index)])
            else:
                first = index << level
                roots.append(fold_leaves([leaves[i] for i in range(first, first + (1 << level))]))
        path.append(fold(roots).hex())
    return path


def fold_leaves(leaves: Iterable[bytes]) -> bytes:
    """MTH over leaf hashes (already ``leaf_hash``-ed), in order."""
    builder = TreeBuilder()
    for leaf in leaves:
        builder.add_leaf(leaf)
    return builder.root_bytes()


def _first(items: Iterable[str], n: int) -> Iterator[tuple[int, str]]:
    for index, item in enumerate(items):
        if index >= n:
            return
        yield index, item


def root_from_path(leaf_index: int, tree_size: int, event_hash: str, path: list[str]) -> bytes:
    """The root that ``path`` leads to from the leaf (RFC 9162 §2.1.3.2); ValueError if the
    path cannot belong to a tree of this size."""
    if not 0 <= leaf_index < tree_size:
        raise ValueError("the leaf index is outside the tree")
    fn, sn = leaf_index, tree_size - 1
    node = leaf_hash(event_hash)
    for element in path:
        sibling = bytes.fromhex(element)
        if len(sibling) != 32:
            raise ValueError("a path element is not 32 bytes")
        if sn == 0:
            raise ValueError("the path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the path is shorter than the tree is deep")
    return node


def verify_inclusion(
    leaf_index: int, tree_size: int, event_hash: str, path: list[str], root: str
) -> bool:
    """Whether ``path`` proves the event hash is leaf ``leaf_index`` of the tree with ``root``."""
    try:
        return root_from_path(leaf_index, tree_size, event_hash, path) == bytes.fromhex(root)
    except ValueError:
        return False
