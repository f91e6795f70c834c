"""Secrets the hub must read back (webhook signing secrets, two-factor keys), encrypted at rest
under a key derived from the hub's own secret, one key per purpose."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SecretBox:
    """Fernet under ``HKDF(hub secret, info=purpose)``: a box opens only what it sealed."""

    def __init__(self, hub_secret: str, purpose: bytes) -> None:
        if not hub_secret:
            raise ValueError("the hub secret is empty")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            hub_secret.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str | None:
        """The secret, or None if it was sealed under another hub secret or purpose."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None
