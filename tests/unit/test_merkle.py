"""The RFC 9162 Merkle tree over event hashes: heads, inclusion paths and their verification."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.audit.merkle import (
    EMPTY_ROOT,
    TreeBuilder,
    inclusion_path,
    path_ranges,
    tree_head,
    verify_inclusion,
)
from hub.audit.seals import SealFormatError, SignedSeal


def _event_hashes(n: int) -> list[str]:
    return [hashlib.sha256(f"event {i}".encode()).hexdigest() for i in range(n)]


# The RFC's definitions, written out recursively over whole lists.
def _mth(leaves: list[str]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + bytes.fromhex(leaves[0])).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _path(m: int, leaves: list[str]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def test_small_trees_have_the_heads_the_rfc_defines():
    h = _event_hashes(3)
    leaf = [hashlib.sha256(b"\x00" + bytes.fromhex(x)).digest() for x in h]
    node01 = hashlib.sha256(b"\x01" + leaf[0] + leaf[1]).digest()
    assert tree_head([]) == EMPTY_ROOT
    assert tree_head(h[:1]) == leaf[0].hex()
    assert tree_head(h[:2]) == node01.hex()
    assert tree_head(h) == hashlib.sha256(b"\x01" + node01 + leaf[2]).hexdigest()


@pytest.mark.parametrize("n", [*range(1, 34), 64, 65, 100])
def test_heads_and_paths_match_the_recursive_definitions(n):
    hashes = _event_hashes(n)
    assert tree_head(hashes) == _mth(hashes).hex()
    for m in range(n):
        path = inclusion_path(m, n, iter(hashes))
        assert path == [p.hex() for p in _path(m, hashes)]
        assert verify_inclusion(m, n, hashes[m], path, tree_head(hashes))


def test_a_growing_tree_gives_every_intermediate_head():
    hashes = _event_hashes(40)
    builder = TreeBuilder()
    for i, h in enumerate(hashes, start=1):
        builder.add(h)
        assert builder.root() == _mth(hashes[:i]).hex()


def test_a_path_is_computed_from_the_first_n_hashes_of_a_longer_stream():
    hashes = _event_hashes(20)
    assert inclusion_path(3, 10, iter(hashes)) == [p.hex() for p in _path(3, hashes[:10])]


def test_too_few_hashes_or_a_leaf_outside_the_tree_is_an_error():
    with pytest.raises(ValueError):
        inclusion_path(0, 5, iter(_event_hashes(4)))
    with pytest.raises(ValueError):
        path_ranges(5, 5)


def _flip(hex_value: str, byte: int) -> str:
    raw = bytearray(bytes.fromhex(hex_value))
    raw[byte % len(raw)] ^= 0x01
    return raw.hex()


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_leaf_of_any_tree_verifies_and_any_flipped_byte_fails(data):
    n = data.draw(st.integers(min_value=1, max_value=300), label="n")
    m = data.draw(st.integers(min_value=0, max_value=n - 1), label="m")
    hashes = _event_hashes(n)
    root = tree_head(hashes)
    path = inclusion_path(m, n, hashes)
    assert verify_inclusion(m, n, hashes[m], path, root)

    byte = data.draw(st.integers(min_value=0, max_value=31), label="byte")
    assert not verify_inclusion(m, n, _flip(hashes[m], byte), path, root)
    assert not verify_inclusion(m, n, hashes[m], path, _flip(root, byte))
    if path:
        i = data.draw(st.integers(min_value=0, max_value=len(path) - 1), label="element")
        wrong = [*path[:i], _flip(path[i], byte), *path[i + 1 :]]
        assert not verify_inclusion(m, n, hashes[m], wrong, root)
        assert not verify_inclusion(m, n, hashes[m], path[:-1], root)
    assert not verify_inclusion(m, n, hashes[m], [*path, path[0] if path else root], root)
    if n > 1:
        other = (m + 1) % n
        assert not verify_inclusion(other, n, hashes[m], path, root)


def test_seal_bodies_are_read_with_or_without_a_merkle_root_but_never_a_malformed_one():
    body = {"upto_seq": 3, "hash": "a" * 64, "count": 3, "sealed_at": "2026-11-02T10:00:00Z"}
    stored = {"alg": "Ed25519", "key_id": "k", "signature": "s"}
    old = SignedSeal.from_dict({**stored, "seal": body})
    new = SignedSeal.from_dict({**stored, "seal": {**body, "merkle_root": "b" * 64}})
    assert old.to_dict()["seal"] == body, "an old seal is signed over the same four keys"
    assert new.to_dict()["seal"]["merkle_root"] == "b" * 64
    for bad in (None, "B" * 64, "b" * 63, 7):
        with pytest.raises(SealFormatError):
            SignedSeal.from_dict({**stored, "seal": {**body, "merkle_root": bad}})
