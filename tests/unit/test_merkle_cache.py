"""Inclusion paths from stored subtree roots: the same paths as from every leaf, for a bounded
number of leaves and O(log n) stored roots."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.audit.merkle import (
    TreeBuilder,
    fold,
    fold_leaves,
    inclusion_path,
    leaf_hash,
    path_from_plan,
    perfect_blocks,
    plan_inclusion,
    tree_head,
    verify_inclusion,
)

_HASHES = [hashlib.sha256(f"event {i}".encode()).hexdigest() for i in range(3000)]


def _subtrees(hashes: list[str], min_level: int) -> tuple[dict[tuple[int, int], bytes], str]:
    """Every complete aligned subtree root of ``min_level`` and up, as the seal job keeps them."""
    found: dict[tuple[int, int], bytes] = {}
    builder = TreeBuilder(
        lambda level, index, root: found.__setitem__((level, index), root), min_level
    )
    for event_hash in hashes:
        builder.add(event_hash)
    return found, builder.root()


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 3000), level=st.integers(1, 5), data=st.data())
def test_paths_from_stored_subtrees_equal_paths_from_every_leaf(n, level, data):
    hashes = _HASHES[:n]
    nodes, root = _subtrees(hashes, level)
    assert root == tree_head(hashes)
    for m in {data.draw(st.integers(0, n - 1)), 0, n - 1}:
        plan = plan_inclusion(m, n, level)
        # Only what the plan names is given: anything else would be a KeyError.
        given_nodes = {key: nodes[key] for key in plan.nodes}
        leaves = {i: leaf_hash(hashes[i]) for start, end in plan.leaves for i in range(start, end)}

        path = path_from_plan(plan, given_nodes, leaves)

        assert path == inclusion_path(m, n, hashes)
        assert verify_inclusion(m, n, hashes[m], path, root)
        assert len(leaves) < 2 * 2**level
        assert len(plan.nodes) <= 2 * n.bit_length()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 1500), level=st.integers(0, 4))
def test_the_builder_reports_every_complete_aligned_subtree_with_its_root(n, level):
    hashes = _HASHES[:n]
    nodes, _ = _subtrees(hashes, level)
    expected = {
        (lv, ix): bytes.fromhex(tree_head(hashes[ix << lv : (ix + 1) << lv]))
        for lv in range(level, n.bit_length())
        for ix in range(n >> lv)
    }
    assert nodes == expected


@given(n=st.integers(1, 5000))
def test_a_tree_is_the_fold_of_its_perfect_blocks(n):
    hashes = _HASHES[: min(n, 300)]
    size = len(hashes)
    roots = [
        fold_leaves(leaf_hash(h) for h in hashes[ix << lv : (ix + 1) << lv])
        for lv, ix in perfect_blocks(0, size)
    ]
    assert fold(roots).hex() == tree_head(hashes)
    # The blocks tile [0, n) left to right, each aligned to its size, sizes decreasing.
    start = 0
    for lv, ix in perfect_blocks(0, n):
        assert ix << lv == start
        start += 1 << lv
    assert start == n
    levels = [lv for lv, _ in perfect_blocks(0, n)]
    assert levels == sorted(set(levels), reverse=True)


def test_a_path_near_the_head_of_a_large_tree_needs_few_nodes_and_leaves():
    n, level = 1_000_003, 10
    plan = plan_inclusion(n - 500, n, level)
    assert sum(end - start for start, end in plan.leaves) < 2 * 2**level
    assert len(plan.nodes) < 2 * n.bit_length()
