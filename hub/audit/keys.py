"""The Ed25519 key that signs audit seals.

Production supplies it: ``HUB_AUDIT_SIGNING_KEY`` (the PEM itself) or
``HUB_AUDIT_SIGNING_KEY_FILE`` (a file holding it). With neither, a key is generated once into
``<instance>/audit-seal-key.pem`` (mode 0600) for development; that key lives on one machine
only, so every process of a multi-machine deployment must be given the same configured key.

Rotation: retired public keys that still vouch for the seals they signed are
``HUB_AUDIT_TRUSTED_KEYS`` (PEM public keys, concatenated) and/or ``HUB_AUDIT_TRUSTED_KEYS_FILE``.
A seal is checked with the key its ``key_id`` names, the current key or a retired one; new seals
are always signed by the current key.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.config import Settings

log = logging.getLogger(__name__)

DEV_KEY_NAME = "audit-seal-key.pem"
ALG = "Ed25519"
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----.*?-----END \1-----", re.DOTALL)


class SigningKeyError(Exception):
    """The configured seal key is missing or is not an Ed25519 private key."""


def _load_pem(data: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{source}: not a PEM private key without a password") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{source}: the audit seal key must be Ed25519")
    return key


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _generate_once(path: Path) -> None:
    """Write a new key to ``path`` unless one is there; safe when processes race to do it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(_private_pem(Ed25519PrivateKey.generate()))
            out.flush()
            os.fsync(out.fileno())
        # link() never replaces an existing file: the first process to get here wins.
        os.link(tmp, path)
        log.warning(
            "Generated a development audit seal key at %s. Set HUB_AUDIT_SIGNING_KEY or "
            "HUB_AUDIT_SIGNING_KEY_FILE in production.",
            path,
        )
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The seal key from settings, a key file, or (development) the instance folder."""
    if settings.audit_signing_key:
        # An environment variable may carry the PEM's line breaks as literal "\n".
        pem = settings.audit_signing_key.replace("\\n", "\n").encode()
        return _load_pem(pem, "HUB_AUDIT_SIGNING_KEY")
    if settings.audit_signing_key_file:
        path = Path(settings.audit_signing_key_file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"HUB_AUDIT_SIGNING_KEY_FILE: {exc}") from exc
        return _load_pem(data, str(path))
    path = Path(settings.instance_path) / DEV_KEY_NAME
    if not path.exists():
        _generate_once(path)
    return _load_pem(path.read_bytes(), str(path))


def public_key_pem(key: Ed25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM, as ``openssl pkey -pubin`` reads it."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of the public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short, stable name for the key: the first 16 hex digits of sha256 of its raw bytes."""
    return hashlib.sha256(public_key_raw(key)).hexdigest()[:16]


def describe_public_key(key: Ed25519PublicKey) -> dict[str, object]:
    """The public key in the forms a verifier may want: PEM, raw base64 and a JWK."""
    raw = public_key_raw(key)
    return {
        "alg": ALG,
        "key_id": key_id(key),
        "public_key_pem": public_key_pem(key),
        "public_key_b64": base64.b64encode(raw).decode(),
        "jwk": {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": base64.urlsafe_b64encode(raw).decode().rstrip("="),
            "kid": key_id(key),
            "use": "sig",
        },
    }


def _load_public_pems(data: bytes, source: str) -> list[Ed25519PublicKey]:
    """Every PEM public key in ``data`` (concatenated blocks), refusing anything else."""
    blocks = [m.group(0) for m in _PEM_BLOCK.finditer(data)]
    if not blocks and data.strip():
        raise SigningKeyError(f"{source}: holds no PEM block")
    keys = []
    for number, block in enumerate(blocks, start=1):
        if b"PRIVATE KEY" in block.split(b"\n", 1)[0]:
            raise SigningKeyError(
                f"{source}: block {number} is a private key; give the retired key's public key"
            )
        try:
            key = serialization.load_pem_public_key(block)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"{source}: block {number} is not a PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{source}: block {number} is not an Ed25519 key")
        keys.append(key)
    return keys


def trusted_keys(settings: Settings) -> list[Ed25519PublicKey]:
    """The retired public keys that still vouch for the seals they signed."""
    keys: list[Ed25519PublicKey] = []
    if settings.audit_trusted_keys:
        pem = settings.audit_trusted_keys.replace("\\n", "\n").encode()
        keys += _load_public_pems(pem, "HUB_AUDIT_TRUSTED_KEYS")
    if settings.audit_trusted_keys_file:
        path = Path(settings.audit_trusted_keys_file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"HUB_AUDIT_TRUSTED_KEYS_FILE: {exc}") from exc
        keys += _load_public_pems(data, str(path))
    return keys


def verification_keys(settings: Settings) -> dict[str, Ed25519PublicKey]:
    """Every key a seal may be checked with, by ``key_id``: the current key first, then the
    retired ones (each once, in the order configured)."""
    current = signing_key(settings).public_key()
    keys = {key_id(current): current}
    for key in trusted_keys(settings):
        keys.setdefault(key_id(key), key)
    return keys


def describe_keys(keys: dict[str, Ed25519PublicKey]) -> dict[str, object]:
    """The current key (the first) as ``describe_public_key`` shows it, plus ``keys``: every key
    in the same form, each marked ``current`` or not."""
    described = [describe_public_key(key) for key in keys.values()]
    listed = [{**d, "current": i == 0} for i, d in enumerate(described)]
    return {**described[0], "keys": listed}
