"""Who takes part in the exchange and how they prove it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.clock import utcnow
from hub.db import Base, json_list, uuid_pk

ORGANISATION_KINDS = ("charity", "healthwatch", "community_group", "regulator", "auditor")
PARTNER_KINDS = ("charity", "healthwatch", "community_group")
PORTAL_ROLES = ("uploader", "admin", "inspector", "engagement", "auditor")

SCOPES = {
    "experiences:write": "Submit records, upload CSVs, withdraw consent on own records",
    "experiences:read": "Read own records, submissions, outcomes, reports and ledger",
    "datasets:read": "List and download datasets the agreement covers",
    "datasets:publish": "Publish dataset releases (regulator)",
    "outcomes:write": "Record 'you said, we did' outcomes (regulator)",
    "regulator:read": "Read all records, raw narratives, safeguarding alerts, insight (regulator)",
    "audit:read": "Read and verify the audit log, seals and job runs (auditor, regulator)",
}

# Which scopes each kind of organisation may be given at all.
SCOPES_BY_KIND: dict[str, frozenset[str]] = {
    "charity": frozenset({"experiences:write", "experiences:read", "datasets:read"}),
    "healthwatch": frozenset({"experiences:write", "experiences:read", "datasets:read"}),
    "community_group": frozenset({"experiences:write", "experiences:read", "datasets:read"}),
    "regulator": frozenset(
        {"datasets:publish", "outcomes:write", "regulator:read", "audit:read", "datasets:read"}
    ),
    "auditor": frozenset({"audit:read"}),
}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the regulator (``hub orgs suspend``): no token of the organisation works meanwhile.
    suspended_at: Mapped[datetime | None]

    agreements: Mapped[list[Agreement]] = relationship(
        back_populates="organisation", order_by="Agreement.valid_from"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('charity','healthwatch','community_group','regulator','auditor')",
            name="kind",
        ),
    )

    @property
    def is_partner(self) -> bool:
        return self.kind in PARTNER_KINDS


class Agreement(Base):
    """A data-sharing agreement: what an organisation may exchange, and when."""

    __tablename__ = "agreements"

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str] = mapped_column(sa.String(100))
    condition_areas: Mapped[json_list]
    purposes: Mapped[json_list]
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    # The lawful basis the exchange rests on, in the regulator's words (UK GDPR articles).
    lawful_basis_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="agreements")

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "reference": self.reference,
            "condition_areas": list(self.condition_areas),
            "purposes": list(self.purposes),
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


class OAuthClient(Base):
    """A machine client of an organisation. The secret is kept only as an argon2 hash."""

    __tablename__ = "oauth_clients"

    id: Mapped[uuid_pk]
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(sa.String(200))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    scope: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


class OAuthToken(Base):
    """An access token, looked up by the sha256 of its value; the value itself is never kept."""

    __tablename__ = "oauth_tokens"

    id: Mapped[uuid_pk]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    scope: Mapped[str] = mapped_column(sa.Text)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]

    client: Mapped[OAuthClient] = relationship()

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def is_active(self, now: datetime) -> bool:
        """Not revoked, not expired (the client's and organisation's state are checked by
        ``identity.services.token_in_use``)."""
        return self.revoked_at is None and now < self.expires_at


class PortalUser(Base):
    __tablename__ = "portal_users"

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(30))
    last_signed_in_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A deactivated user cannot sign in and every session of theirs has ended; kept for the log.
    deactivated_at: Mapped[datetime | None]
    # Two-factor sign-in (hub.identity.two_factor): the TOTP secret, encrypted; when it was
    # turned on; the last 30-second step a code was accepted for (no code works twice).
    totp_secret_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    organisation: Mapped[Organisation] = relationship()

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('uploader','admin','inspector','engagement','auditor')", name="role"
        ),
    )


class PortalSession(Base):
    """One signed-in session of a portal user, kept on the server.

    The browser's cookie carries a random token; only its sha256 is stored. A session is valid
    while it has not ended, has been used within the idle limit and is younger than the absolute
    limit: signing out ends the row, so a copied cookie stops working at once.
    """

    __tablename__ = "portal_sessions"

    id: Mapped[uuid_pk]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("portal_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(sa.String(40))


class SignInThrottle(Base):
    """Failed sign-ins counted against one key: an e-mail address or a client address (hashed).

    Rows exist for addresses that have no account too, so they behave alike (see
    ``hub.identity.throttle``).
    """

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]
    blocked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(index=True)


class AccountLink(Base):
    """A single-use e-mailed link (an invitation or a password reset), kept by its sha256."""

    __tablename__ = "account_links"

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("portal_users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(sa.String(30))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # "used", or "replaced" by a newer link of the same kind.
    outcome: Mapped[str | None] = mapped_column(sa.String(20))

    __table_args__ = (
        sa.CheckConstraint("purpose IN ('invitation','password-reset')", name="purpose"),
    )


class RecoveryCode(Base):
    """A single-use code that stands in for the authenticator app, kept as its sha256."""

    __tablename__ = "recovery_codes"

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("portal_users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
