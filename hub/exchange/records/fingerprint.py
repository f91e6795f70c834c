"""Keyed digests of records: cross-partner duplicate fingerprints and content digests (pure).

Both are HMACs under keys derived from the server secret, so nobody without the secret can test
a guessed narrative against a stored digest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SEP = "\x1f"


def derive_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose, so a digest made for one use is useless for another."""
    return hmac.new(secret.encode(), f"hub:{purpose}:v1".encode(), hashlib.sha256).digest()


def normalise_narrative(text: str) -> str:
    """Case, accents, punctuation and spacing removed: how near-identical copies compare."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def location_key(location_id: str | None, service_name: str | None, postcode: str | None) -> str:
    """The place an account is about: the registry id, else the normalised name and postcode."""
    if location_id:
        return f"id:{location_id.upper()}"
    name = normalise_narrative(service_name or "")
    return f"svc:{name}|{(postcode or '').replace(' ', '').upper()}"


def fingerprint(key: bytes, narrative: str, place: str, month: str) -> str | None:
    """HMAC over the normalised narrative, place and ``YYYY-MM``; None for an empty narrative."""
    text = normalise_narrative(narrative)
    if not text:
        return None
    message = _SEP.join((place, month, text)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def content_digest(key: bytes, content: Mapping[str, Any]) -> str:
    """HMAC over canonical JSON of what is stored for a record."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hmac.new(key, canonical.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
