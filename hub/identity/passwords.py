"""Hashing of passwords and client secrets (argon2id), and of bearer tokens (sha256)."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# A hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not-a-real-secret")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, candidate: str) -> bool:
    """True when ``candidate`` matches; constant work whether or not a hash exists."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, candidate) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    """Bearer tokens are high-entropy random strings, so a plain sha256 is a safe lookup key."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
