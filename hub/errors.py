"""Domain errors. Services raise these; entry points translate them (no Flask here)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# NUL and lone surrogates: no database stores them and no UTF-8 carries them.
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class HubError(Exception):
    """Base of every error a user can be told about. ``code`` is a stable slug."""

    code = "hub-error"
    status = 400
    title = "Request could not be processed"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        if code is not None:
            self.code = code
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


class ValidationFailed(HubError):
    code = "validation-failed"
    status = 422
    title = "The request is not valid"


class ConsentRequired(HubError):
    code = "consent-required"
    status = 422
    title = "Consent does not allow this"


class NotFound(HubError):
    code = "not-found"
    status = 404
    title = "Not found"


class Unauthorised(HubError):
    code = "unauthorised"
    status = 401
    title = "Authentication required"


class Forbidden(HubError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class InsufficientScope(Forbidden):
    code = "insufficient-scope"
    title = "The token lacks the scope this needs"


class AgreementRequired(Forbidden):
    code = "agreement-required"
    title = "No data-sharing agreement in force"


class Conflict(HubError):
    code = "conflict"
    status = 409
    title = "Conflict"


class DuplicateConflict(Conflict):
    code = "duplicate-conflict"
    title = "A different record with this partner_record_id exists"


class PayloadTooLarge(HubError):
    code = "payload-too-large"
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(HubError):
    code = "unsupported-media-type"
    status = 415
    title = "Unsupported media type"


class RateLimited(HubError):
    code = "rate-limited"
    status = 429
    title = "Too many requests"


# Seconds a client is asked to wait (``Retry-After``) before repeating a request that met a 503.
RETRY_AFTER_S = 5


class ServiceUnavailable(HubError):
    """Something the hub depends on failed for now; nothing was kept, and a retry is safe."""

    code = "service-unavailable"
    status = 503
    title = "Service temporarily unavailable"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("Retry-After", str(RETRY_AFTER_S))


def safe_name(name: str) -> str:
    """A field name fit to show and store: unprintable characters replaced, at most 60 long."""
    return "".join(c if c.isprintable() and not BAD_TEXT.match(c) else "?" for c in name[:60])


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"consent.scopes[0]": [...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix or "_schema"
            else:
                path = f"{prefix}.{safe_name(str(key))}" if prefix else safe_name(str(key))
            for sub, msgs in flatten_errors(value, path).items():
                out.setdefault(sub, []).extend(msgs)
    elif isinstance(messages, list | tuple):
        for item in messages:
            if isinstance(item, str):
                out.setdefault(prefix or "_schema", []).append(item)
            else:
                for sub, msgs in flatten_errors(item, prefix).items():
                    out.setdefault(sub, []).extend(msgs)
    elif isinstance(messages, str):
        out.setdefault(prefix or "_schema", []).append(messages)
    return out
