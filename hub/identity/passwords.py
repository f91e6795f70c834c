"""Hashing of passwords and client secrets (argon2id), and of bearer tokens (sha256)."""

from __future__ import annotations

import functools
import hashlib

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from hub.config import CHEAP_HASHING_ENV, cheap_password_hashing

__all__ = ["CHEAP_HASHING_ENV", "hash_secret", "token_digest", "verify_secret"]


def _make_hasher() -> PasswordHasher:
    # The test suite's switch (hub.config): argon2id with its cheapest parameters, so the
    # thousands of passwords its fixtures make and check do not take most of its time (one hash
    # and check with the defaults: about 0.4 s of CPU). Hashes carry their parameters, so hashes
    # made either way verify either way.
    if cheap_password_hashing():
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
