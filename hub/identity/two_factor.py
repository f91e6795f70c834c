"""Two-factor sign-in: time-based one-time codes (RFC 6238, pyotp) and single-use recovery codes.

The shared secret is kept encrypted under a key derived from the hub's secret (signing a code
needs the secret itself, so a one-way hash would not do); recovery codes are kept as sha256
digests (each carries about 49 random bits). A code is accepted for the 30-second step it names
or one either side, and never twice: the last step used is remembered. Turning two-factor
sign-in on or off, or making new recovery codes, ends every session of the user.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import uuid
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.actor import Actor
from hub.audit.services import record
from hub.clock import utcnow
from hub.errors import ValidationFailed
from hub.identity import sessions
from hub.identity.models import PortalUser, RecoveryCode
from hub.identity.passwords import verify_secret
from hub.secretbox import SecretBox as Box

ISSUER = "Exchange hub"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
STEP_S = 30
WRONG_CODE = "The code is not right. Enter the 6-digit code your app shows now"


def required_for(organisation_kind: str | None, required_kinds: str) -> bool:
    """Whether users of organisations of this kind must sign in with two factors."""
    kinds = {kind.strip() for kind in required_kinds.split(",") if kind.strip()}
    return organisation_kind in kinds


def SecretBox(hub_secret: str) -> Box:
    """The box for two-factor secrets."""
    return Box(hub_secret, b"hub two-factor secrets v1")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The ``otpauth://`` address as an inline SVG QR code (no script, no style attribute)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, scale=4, border=4, title=None, svgclass="hub-qr"
    )
    return out.getvalue().decode("utf-8")


def grouped(secret: str) -> str:
    """The secret in groups of four, as people type it into an app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _normalise(code: str) -> str:
    return "".join(c for c in code.lower() if c.isalnum())


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step ``code`` is right for (now, or one step either side), if later than
    ``after``; None otherwise."""
    code = _normalise(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_recovery_codes(session: Session, user: PortalUser, now: datetime) -> list[str]:
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(
            RecoveryCode(id=uuid.uuid4(), user_id=user.id, code_hash=_digest(raw), created_at=now)
        )
    session.flush()
    return codes


def enable(
    session: Session,
    actor: Actor,
    user: PortalUser,
    *,
    secret: str,
    code: str,
    hub_secret: str,
    now: datetime | None = None,
) -> list[str]:
    """Turn two-factor sign-in on with ``secret`` once ``code`` proves the app has it; return
    the new recovery codes (shown once). Every session of the user ends."""
    now = now or utcnow()
    step = _matching_step(secret, code, now, None)
    if step is None:
        raise ValidationFailed(WRONG_CODE, errors={"code": [WRONG_CODE]})
    user.totp_secret_encrypted = SecretBox(hub_secret).seal(secret)
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = _new_recovery_codes(session, user, now)
    _changed(session, actor, user, "user.two_factor_enabled", now, recovery_codes=len(codes))
    return codes


def disable(
    session: Session,
    actor: Actor,
    user: PortalUser,
    *,
    password: str,
    required: bool,
    now: datetime | None = None,
) -> None:
    """Turn two-factor sign-in off (not where it is required); needs the password."""
    if required:
        raise ValidationFailed(
            "Two-factor sign-in is required for your role.",
            errors={"password": ["Your role must sign in with two factors; it cannot be off"]},
        )
    if not verify_secret(user.password_hash, password):
        raise ValidationFailed(
            "The password is not right.", errors={"password": ["Your password is not right"]}
        )
    now = now or utcnow()
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _changed(session, actor, user, "user.two_factor_disabled", now)


def regenerate_recovery_codes(
    session: Session,
    actor: Actor,
    user: PortalUser,
    *,
    code: str,
    hub_secret: str,
    now: datetime | None = None,
) -> list[str]:
    """New recovery codes (the old ones stop working) once a current code proves the app."""
    now = now or utcnow()
    if verify(session, user, code, hub_secret=hub_secret, now=now, recovery=False) is None:
        raise ValidationFailed(WRONG_CODE, errors={"code": [WRONG_CODE]})
    codes = _new_recovery_codes(session, user, now)
    _changed(session, actor, user, "user.recovery_codes_replaced", now, recovery_codes=len(codes))
    return codes


def _changed(
    session: Session, actor: Actor, user: PortalUser, action: str, now: datetime, **details: int
) -> None:
    """Every change to a user's two-factor settings ends all their sessions and is audited."""
    ended = sessions.end_all(session, user.id, reason="two-factor-changed", now=now)
    record(
        session,
        actor,
        action,
        object_type="user",
        object_id=user.id,
        organisation_id=user.organisation_id,
        details={**details, "sessions_ended": ended},
        now=now,
    )


def verify(
    session: Session,
    user: PortalUser,
    code: str,
    *,
    hub_secret: str,
    now: datetime | None = None,
    recovery: bool = True,
) -> str | None:
    """Which second factor ``code`` is ("totp" or "recovery-code"), used up now; or None."""
    now = now or utcnow()
    if user.totp_secret_encrypted is None:
        return None
    secret = SecretBox(hub_secret).open(user.totp_secret_encrypted)
    if secret is not None:
        step = _matching_step(secret, code, now, user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            return "totp"
    if not recovery:
        return None
    normalised = _normalise(code)
    if len(normalised) != 10:
        return None
    used = session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return "recovery-code" if used.rowcount else None  # type: ignore[attr-defined]


def recovery_codes_left(session: Session, user_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )
