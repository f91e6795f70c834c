"""Hashing of passwords and client secrets (argon2id), and of bearer tokens (sha256)."""

from __future__ import annotations

import functools
import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


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
