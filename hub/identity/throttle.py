"""Slowing down password guessing without telling anyone which accounts exist.

Failed sign-ins are counted per e-mail address (whether or not an account has it, so an unknown
address behaves exactly like a known one) and per client address. After
:data:`FREE_FAILURES` failures a key must wait before its next try, twice as long after each
further failure (:func:`delay`), never more than :data:`MAX_DELAY`; while it waits, attempts are
refused without being counted, so a guesser cannot push the wait out further. Failures are
forgotten after :data:`FORGET_AFTER` of quiet, a success clears its e-mail address's count, and
so does setting a new password by an e-mailed link: nobody is locked out for good.

Keys are stored as sha256 digests, never the address itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.identity.models import SignInThrottle

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def delay(failures: int) -> timedelta:
    """How long a key waits after its ``failures``-th failure (nothing for the first few)."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    exponent = failures - FREE_FAILURES
    if exponent >= 10:
        return MAX_DELAY
    return min(FIRST_DELAY * (2**exponent), MAX_DELAY)


def account_key(email: str) -> str:
    return hashlib.sha256(b"account\x00" + email.strip().lower().encode("utf-8")).hexdigest()


def address_key(ip: str) -> str:
    return hashlib.sha256(b"address\x00" + ip.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Keys:
    """The keys one attempt counts against: its e-mail address and, if known, its client's."""

    account: str
    address: str | None

    @classmethod
    def of(cls, email: str, ip: str | None) -> Keys:
        return cls(account_key(email), address_key(ip) if ip else None)

    def all(self) -> list[str]:
        return [self.account] + ([self.address] if self.address else [])


def _lock_rows(session: Session, keys: list[str], now: datetime) -> dict[str, SignInThrottle]:
    """The throttle rows of ``keys``, created if missing and locked until the transaction ends."""
    values = [{"key": key, "failures": 0, "updated_at": now} for key in keys]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(SignInThrottle).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(SignInThrottle).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - the hub runs on SQLite and PostgreSQL
        for value in values:
            if session.get(SignInThrottle, value["key"]) is None:
                session.add(SignInThrottle(**value))
        session.flush()
    rows = session.scalars(
        sa.select(SignInThrottle)
        .where(SignInThrottle.key.in_(keys))
        .order_by(SignInThrottle.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.key: row for row in rows}


@dataclass(frozen=True)
class Check:
    """Whether an attempt may be judged now, and the rows to record its result on."""

    waiting_until: datetime | None
    rows: dict[str, SignInThrottle]

    @property
    def allowed(self) -> bool:
        return self.waiting_until is None


def check(session: Session, keys: Keys, now: datetime) -> Check:
    """Lock the keys' rows and say whether any of them must still wait."""
    rows = _lock_rows(session, keys.all(), now)
    waits = [
        row.blocked_until
        for row in rows.values()
        if row.blocked_until is not None and row.blocked_until > now
    ]
    return Check(max(waits) if waits else None, rows)


def fail(found: Check, now: datetime) -> list[tuple[str, int, datetime]]:
    """Count a judged failure on every key; the keys that now must wait, with their counts."""
    started = []
    for key, row in found.rows.items():
        if row.last_failure_at is not None and now - row.last_failure_at >= FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        row.updated_at = now
        wait = delay(row.failures)
        row.blocked_until = now + wait if wait else None
        if row.blocked_until is not None:
            started.append((key, row.failures, row.blocked_until))
    return started


def clear(session: Session, key: str, now: datetime) -> None:
    """Forget a key's failures (a success, or a new password set by an e-mailed link)."""
    session.execute(
        sa.update(SignInThrottle)
        .where(SignInThrottle.key == key)
        .values(failures=0, blocked_until=None, last_failure_at=None, updated_at=now)
    )
