"""Hashing of passwords and client secrets (argon2id), and of bearer tokens (sha256)."""

from __future__ import annotations

import functools
import hashlib
import os

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# The test suite's switch, never a deployment's: with it set to 1, argon2id runs with its
# cheapest parameters, so the thousands of passwords and secrets its fixtures make and check do
# not take most of its time (one hash and check with the defaults: about 0.4 s of CPU). Hashes
# made either way verify either way: the parameters are written in each hash.
CHEAP_HASHING_ENV = "HUB_TEST_CHEAP_PASSWORD_HASHING"


def _make_hasher() -> PasswordHasher:
    if os.environ.get(CHEAP_HASHING_ENV) == "1":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


_hasher = _make_hasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so timing does not tell
    (made on first use: hashing is deliberately slow, and most commands never verify)."""
    return _hasher.hash("not-a-real-secret")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, candidate: str) -> bool:
    """True when ``candidate`` matches; constant work whether or not a hash exists."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), candidate) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    """Bearer tokens are high-entropy random strings, so a plain sha256 is a safe lookup key."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
