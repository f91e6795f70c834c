"""Checking the audit chain against its signed seals, from one consistent snapshot.

Storage is the authority on which seals exist. The rows repeat each seal's signed content, so
checking costs one listing of ``audit/seals/`` plus a read of any object the index lacks; an
edited or deleted row cannot hide a seal, and a row no key signed fails its signature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.audit.checkpoints import as_checkpoint_problems, read_checkpoints, stored_checkpoints
from hub.audit.keys import key_id, verification_keys
from hub.audit.models import AuditSeal
from hub.audit.seals import (
    SEAL_PREFIX,
    Seal,
    SealFormatError,
    SealProblem,
    SignedSeal,
    compare_seen,
    seal_storage_key,
    signature_problem,
    signed_from_row,
    verify_against_seals,
)
from hub.audit.services import SpanCheck, Verification, walk
from hub.context import HubContext
from hub.storage import ObjectNotFound, Storage

LATEST_SEALS = 5
_SEAL_KEY = re.compile(r"^audit/seals/(\d{12})\.json$")


@contextmanager
def consistent_read(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only session that sees one snapshot throughout (REPEATABLE READ on PostgreSQL).

    Without it, events committed while the chain is walked make its head look ahead of the
    walk. On SQLite every transaction takes the write lock, which gives the same guarantee.
    """
    session = factory()
    try:
        bind = session.get_bind()
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
        yield session
    finally:
        session.close()


@dataclass
class SealCheck:
    """What checking the stored seals against the chain found."""

    checked: int = 0
    problems: list[SealProblem] = field(default_factory=list)
    unindexed: list[SignedSeal] = field(default_factory=list)
    latest_upto_seq: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "latest_upto_seq": self.latest_upto_seq or None,
            "problems": [p.to_dict() for p in self.problems],
        }


PublicKeys = Ed25519PublicKey | Mapping[str, Ed25519PublicKey]


def check_seals(
    session: Session,
    storage: Storage,
    public_key: PublicKeys | Callable[[], PublicKeys],
) -> SealCheck:
    """Check every seal's signature, and the chain against every seal; list what is wrong.

    ``public_key`` is one key or every trusted key by ``key_id`` (``verification_keys``); each
    seal is checked with the key its ``key_id`` names. It may be a function giving them, called
    only if there is a seal to check.
    """
    result, good = gather_seals(session, storage, public_key)
    result.problems.extend(verify_against_seals(session, good))
    result.problems.sort(key=lambda p: p.upto_seq)
    return result


def gather_seals(
    session: Session,
    storage: Storage,
    public_key: PublicKeys | Callable[[], PublicKeys],
) -> tuple[SealCheck, list[Seal]]:
    """Every seal, indexed or stored, with its signature checked: what is wrong so far, and the
    seals whose signature verifies (to check against the chain)."""
    result = SealCheck()
    rows = {r.upto_seq: r for r in session.scalars(sa.select(AuditSeal))}
    stored: dict[int, str] = {}
    for key in storage.list(SEAL_PREFIX):
        match = _SEAL_KEY.match(key)
        if match:
            stored[int(match.group(1))] = key
    if not rows and not stored:
        return result, []
    given = public_key() if callable(public_key) else public_key
    keys = {key_id(given): given} if isinstance(given, Ed25519PublicKey) else given
    good: list[Seal] = []

    def accept(upto: int, signed: SignedSeal) -> bool:
        if signed.seal.upto_seq != upto:
            result.problems.append(SealProblem(upto, "the seal names another seq than its key"))
        elif (reason := signature_problem(keys, signed)) is not None:
            result.problems.append(SealProblem(upto, reason))
        else:
            good.append(signed.seal)
            return True
        return False

    for upto, row in sorted(rows.items()):
        result.checked += 1
        if upto not in stored:
            result.problems.append(SealProblem(upto, "the stored seal object is missing"))
        if row.storage_key != seal_storage_key(upto):
            result.problems.append(SealProblem(upto, "the index points at another object"))
        accept(upto, signed_from_row(row))
    for upto in sorted(set(stored) - set(rows)):
        result.checked += 1
        signed = _read(storage, stored[upto], upto, result.problems)
        if signed is not None and accept(upto, signed):
            result.unindexed.append(signed)
    result.latest_upto_seq = max([*rows, *stored], default=0)
    return result, good


def _read(storage: Storage, key: str, upto: int, problems: list[SealProblem]) -> SignedSeal | None:
    try:
        with storage.open(key) as stream:
            return SignedSeal.from_bytes(stream.read())
    except ObjectNotFound:
        problems.append(SealProblem(upto, "the stored seal object vanished while being read"))
    except SealFormatError as exc:
        problems.append(SealProblem(upto, f"the stored seal is malformed: {exc}"))
    return None


def verify_all(ctx: HubContext) -> tuple[Verification, SealCheck]:
    """The chain's verification and the seals' check, from one snapshot of the database."""
    checked = check_all(ctx)
    return checked.chain, checked.seals


@dataclass(frozen=True)
class Checked:
    """The chain's verification, the seals' and checkpoints' check, and what the span check
    found (``check_all``)."""

    chain: Verification
    seals: SealCheck
    found: list[Any]


def check_all(ctx: HubContext, *, span_check: SpanCheck | None = None) -> Checked:
    """The chain, every seal and every checkpoint newer than the latest seal, checked from one
    snapshot of the database in one pass over the chain (``walk``: in spans of ``seq``, in
    parallel where it can), with ``span_check`` run on each span in the same pass.

    The seals' and checkpoints' signatures are checked first; the walk then notes the hash and
    count at each one's ``seq`` and the Merkle tree head at each seal's, and each is compared
    as ``verify_against_seals`` would (which is what runs, as a pass of its own, in the rare
    cases the walk cannot tell: events with ``seq <= 0``, or a tree head below a gap).
    """
    with consistent_read(ctx.session_factory) as session:
        return verify_with_seals(
            session,
            ctx.storage,
            lambda: verification_keys(ctx.settings),
            checkpoint_keys=lambda: verification_keys(ctx.settings),
            span_check=span_check,
        )


def verify_with_seals(
    session: Session,
    storage: Storage,
    public_key: PublicKeys | Callable[[], PublicKeys],
    *,
    checkpoint_keys: Callable[[], dict[str, Ed25519PublicKey]] | None = None,
    span_check: SpanCheck | None = None,
) -> Checked:
    """``check_all`` in the caller's session: the chain and every seal (``check_seals``), and
    with ``checkpoint_keys`` every checkpoint newer than the latest seal, in one walk."""
    seals, good = gather_seals(session, storage, public_key)
    checkpoint_problems: list[SealProblem] = []
    checkpoints: list[Seal] = []
    if checkpoint_keys is not None and (stored := stored_checkpoints(storage)):
        checkpoint_problems, checkpoints = read_checkpoints(
            storage, checkpoint_keys(), above=seals.latest_upto_seq, stored=stored
        )
    done = walk(
        session,
        marks=[s.upto_seq for s in (*good, *checkpoints)],
        roots=[s.upto_seq for s in good if s.merkle_root is not None],
        span_check=span_check,
    )
    seal_problems = compare_seen(good, done.seen) if done.seen is not None else None
    if seal_problems is None:
        seal_problems = verify_against_seals(session, good)
    seals.problems.extend(seal_problems)
    seals.problems.sort(key=lambda p: p.upto_seq)
    if checkpoints:
        against = compare_seen(checkpoints, done.seen) if done.seen is not None else None
        if against is None:
            against = verify_against_seals(session, checkpoints)
        checkpoint_problems += as_checkpoint_problems(against)
    seals.problems.extend(checkpoint_problems)
    return Checked(done.verification, seals, done.found)


@dataclass(frozen=True)
class ChainStatus:
    """The chain's verification, the latest seals and how much of the chain they cover."""

    ok: bool
    chain_ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None
    reason: str | None
    seals_checked: int
    seal_problems: list[dict[str, Any]]
    latest_seals: list[dict[str, Any]]
    latest_upto_seq: int

    @property
    def unsealed(self) -> int:
        """Events after the latest seal: nothing yet vouches that they stay as they are."""
        return max(self.head_seq - self.latest_upto_seq, 0)


def chain_status(ctx: HubContext, *, latest: int = LATEST_SEALS) -> ChainStatus:
    """Verify the whole chain and every seal (as ``GET /audit/verify``), with the latest seals."""
    chain, seals = verify_all(ctx)
    problems: dict[int, str] = {}
    for problem in seals.problems:
        problems.setdefault(problem.upto_seq, problem.reason)
    with ctx.session_factory() as session:
        rows = session.scalars(
            sa.select(AuditSeal).order_by(AuditSeal.upto_seq.desc()).limit(latest)
        ).all()
        described = [
            {
                "upto_seq": row.upto_seq,
                "count": row.count,
                "sealed_at": row.sealed_at,
                "key_id": row.key_id,
                "hash": row.hash,
                "verified": row.upto_seq not in problems,
                "problem": problems.get(row.upto_seq),
            }
            for row in rows
        ]
    return ChainStatus(
        ok=chain.ok and seals.ok,
        chain_ok=chain.ok,
        events=chain.events,
        head_seq=chain.head_seq,
        head_hash=chain.head_hash,
        first_bad_seq=chain.first_bad_seq,
        reason=chain.reason,
        seals_checked=seals.checked,
        seal_problems=[p.to_dict() for p in seals.problems],
        latest_seals=described,
        latest_upto_seq=seals.latest_upto_seq,
    )
