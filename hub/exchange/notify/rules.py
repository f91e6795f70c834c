"""Pure rules for webhooks: event names, endpoint URLs, signatures, retries, secret sealing."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import unicodedata
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from hub.retry import RetryPolicy
from hub.secretbox import SecretBox as Box

EVENTS = (
    "dataset.released",
    "outcome.created",
    "submission.completed",
    "consent.withdrawn",
    "safeguarding.alert",
)
# Only the regulator acts on these: they concern every partner's records.
REGULATOR_ONLY_EVENTS = frozenset({"consent.withdrawn", "safeguarding.alert"})

SIGNATURE_HEADER = "Hub-Signature"
SIGNATURE_TOLERANCE_S = 300
MAX_URL_LENGTH = 2000

# Retries: 1, 2, 4, ... minutes, at most 6 hours apart; after 12 failed attempts (about 20 hours
# of trying) the delivery is given up as failed.
RETRY = RetryPolicy(base=timedelta(minutes=1), cap=timedelta(hours=6), max_attempts=12)


def events_for(organisation_kind: str | None) -> tuple[str, ...]:
    """The events an organisation of this kind may subscribe to."""
    if organisation_kind == "regulator":
        return EVENTS
    return tuple(e for e in EVENTS if e not in REGULATOR_ONLY_EVENTS)


PRIVATE_TARGET = (
    "Must reach a public address: private, loopback and link-local addresses are refused "
    "(HUB_WEBHOOK_ALLOW_PRIVATE)."
)


# IPv6 ranges that carry an IPv4 address inside (IPv4-compatible, NAT64): they reach whatever
# the IPv4 address names, so they count as private whatever that is.
_EMBEDDING_IPV4 = (
    ipaddress.ip_network("::/96"),
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
)


def is_public_address(address: str) -> bool:
    """Whether an IP address is globally routable (not private, loopback, link-local, ...)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif any(ip in net for net in _EMBEDDING_IPV4):
            return False
    return ip.is_global and not ip.is_multicast


# What a browser's URL parser (WHATWG, with UTS 46 mapping) reads as a full stop.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


class InvalidHost(ValueError):
    """A host a browser's URL parser would refuse (e.g. ends in a number but is no IPv4)."""


def _ipv4_number(part: str) -> int | None:
    """One part of a WHATWG IPv4 address (decimal, 0x hex or 0 octal), or None."""
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if digits == "":
        return 0
    allowed = "0123456789abcdefABCDEF"[: 10 if base == 10 else (8 if base == 8 else 22)]
    if not all(c in allowed for c in digits):
        return None
    return int(digits, base)


def _whatwg_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a browser reads ``host`` as (``2130706433``, ``0x7f000001``,
    ``0177.0.0.1``, ``127.1``, ``0``), None if it is a name; InvalidHost if neither."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    ends_in_number = last != "" and (
        all(c in "0123456789" for c in last) or _ipv4_number(last) is not None
    )
    if not ends_in_number:
        return None
    if len(parts) > 4 or any(p == "" for p in parts):
        raise InvalidHost(host)
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        raise InvalidHost(host)
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise InvalidHost(host)
    address = values[-1]
    for i, n in enumerate(values[:-1]):
        address += n * 256 ** (3 - i)
    return ipaddress.IPv4Address(address)


def normalise_host(host: str) -> str:
    """``host`` as a browser's URL parser reads it: percent-decoded, mapped (fullwidth and
    circled digits, ideographic full stops: NFKC and UTS 46's dots), lower-cased, and an IPv4
    address in any of its WHATWG spellings written plainly. InvalidHost if it is no host."""
    if ":" in host:  # an IPv6 literal (urlsplit took the brackets off)
        try:
            return str(ipaddress.IPv6Address(host.split("%", 1)[0]))
        except ValueError as exc:
            raise InvalidHost(host) from exc
    decoded = unquote(host).translate(_DOTS)
    mapped = unicodedata.normalize("NFKC", decoded).translate(_DOTS).lower()
    if any(ord(c) < 33 or c in "#%/:<>?@[\\]^|" for c in mapped):
        raise InvalidHost(host)
    ipv4 = _whatwg_ipv4(mapped)
    return str(ipv4) if ipv4 is not None else mapped


def _names_a_private_host(host: str) -> bool:
    """A host that is an internal IP literal or a name that always means this machine."""
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return not is_public_address(host)


def url_problem(url: str, *, allow_private: bool = False) -> str | None:
    """Why ``url`` cannot be a webhook endpoint, or None if it can.

    Unless ``allow_private``, a URL naming a private, loopback or link-local address is refused
    (the hub must not be a way to reach its own network); names are checked again, resolved,
    when a delivery is sent.
    """
    if len(url) > MAX_URL_LENGTH:
        return f"At most {MAX_URL_LENGTH} characters."
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "No spaces or control characters."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "Not a valid URL."
    if parts.scheme not in ("http", "https"):
        return "Must be an http or https URL."
    if not parts.hostname:
        return "Must name a host."
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "Must not carry credentials; the signature authenticates the hub."
    if parts.fragment:
        return "Must not have a #fragment."
    try:
        # As a browser (and so a redirect or a proxy) would read it: 0x7f000001 is 127.0.0.1.
        host = normalise_host(parts.hostname)
    except InvalidHost:
        return "Not a valid host name or address."
    if not allow_private and _names_a_private_host(host):
        return PRIVATE_TARGET
    return None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Hub-Signature`` value: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: int,
    tolerance_s: int = SIGNATURE_TOLERANCE_S,
) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` within ``tolerance_s`` of ``now``."""
    fields: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields.get("t", [""])[0])
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def SecretBox(hub_secret: str) -> Box:
    """The box for endpoint secrets."""
    return Box(hub_secret, b"hub webhook secrets v1")
