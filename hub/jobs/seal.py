"""The ``audit-seal`` job, and checking the chain against every seal.

Each run first checks the whole chain and every earlier seal, and fails (sealing nothing) if
anything is wrong: a seal over a tampered chain would vouch for the tampering. Then it signs
the chain's head, with the Merkle tree head over every event hash (``hub.audit.merkle``, for
receipts' inclusion proofs), and writes the seal to storage before indexing it in ``audit_seals``.
The pass that computes the tree head, over the verified snapshot, also gives the roots of the
tree's complete aligned subtrees; the run stores those missing (``hub.audit.tree_nodes``, in
batches of their own transactions) before it seals, so receipts' proofs read O(log n) of them
instead of every leaf. A run with no new events still stores any that are missing.

Resumable: a run killed after writing the object but before indexing it leaves a stored seal
with no row; the next run checks that seal's signature and indexes it ("adopts" it) rather than
signing again, and seals only if the chain has grown past the latest seal.

Storage is the authority on which seals exist. The rows repeat each seal's signed content, so
checking costs one listing of ``audit/seals/`` plus a read of any object the index lacks; an
edited or deleted row cannot hide a seal, and a row no key signed fails its signature.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.actor import Actor, system
from hub.audit.seals import (
    SEAL_PREFIX,
    Seal,
    SealFormatError,
    SealProblem,
    SignedSeal,
    seal_storage_key,
    sign_seal,
    signature_problem,
    verify_against_seals,
)
from hub.audit.services import Verification, record, verify
from hub.audit.tree_nodes import expected_nodes, scan_tree, store_nodes, stored_count
from hub.clock import utcnow
from hub.context import HubContext
from hub.db import transaction
from hub.jobs.keys import key_id, signing_key, verification_keys
from hub.jobs.models import AuditSeal
from hub.paging import keyset_page
from hub.storage import ObjectNotFound, Storage

log = logging.getLogger(__name__)

JOB_NAME = "audit-seal"
_SEAL_KEY = re.compile(r"^audit/seals/(\d{12})\.json$")


class ChainNotSealable(Exception):
    """The chain or an earlier seal failed its check, so no new seal is made."""


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


def signed_from_row(row: AuditSeal) -> SignedSeal:
    """The signed seal as its index row repeats it."""
    seal = Seal.of(row.upto_seq, row.hash, row.count, row.sealed_at, row.merkle_root)
    return SignedSeal(seal, row.signature, row.key_id, row.alg)


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
    result = SealCheck()
    rows = {r.upto_seq: r for r in session.scalars(sa.select(AuditSeal))}
    stored: dict[int, str] = {}
    for key in storage.list(SEAL_PREFIX):
        match = _SEAL_KEY.match(key)
        if match:
            stored[int(match.group(1))] = key
    if not rows and not stored:
        return result
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
    result.problems.extend(verify_against_seals(session, good))
    result.problems.sort(key=lambda p: p.upto_seq)
    result.latest_upto_seq = max([*rows, *stored], default=0)
    return result


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
    with consistent_read(ctx.session_factory) as session:
        chain = verify(session)
        seals = check_seals(session, ctx.storage, lambda: verification_keys(ctx.settings))
    return chain, seals


def run(
    ctx: HubContext, session_factory: sessionmaker[Session], *, now: datetime
) -> dict[str, Any]:
    """Check the chain and every seal, adopt stored seals the index lacks, seal the head."""
    private_key = signing_key(ctx.settings)
    public_key = private_key.public_key()
    with consistent_read(session_factory) as session:
        chain = verify(session)
        check = check_seals(session, ctx.storage, verification_keys(ctx.settings))
        sealable = chain.ok and check.ok
        grown = sealable and chain.head_seq > check.latest_upto_seq
        # From the same snapshot as the chain's head, so the root covers exactly 1..head_seq;
        # the same pass gives the roots of the complete subtrees that receipts' proofs use.
        tree = None
        if grown or (
            sealable and stored_count(session, chain.head_seq) < expected_nodes(chain.head_seq)
        ):
            tree = scan_tree(session, chain.head_seq)
        root = tree.root if grown and tree is not None else None
    if not chain.ok:
        raise ChainNotSealable(
            f"the audit chain is broken at seq {chain.first_bad_seq}: {chain.reason}"
        )
    if not check.ok:
        first = check.problems[0]
        raise ChainNotSealable(
            f"{len(check.problems)} seal problem(s); first at upto_seq {first.upto_seq}: "
            f"{first.reason}"
        )
    actor = system(f"job:{JOB_NAME}")
    for signed in check.unindexed:
        with transaction(session_factory) as session:
            _index(session, signed, actor, adopted=True)
    stats: dict[str, Any] = {
        "events": chain.events,
        "seals_checked": check.checked,
        "adopted": len(check.unindexed),
        "sealed_upto_seq": None,
    }
    if tree is not None:
        # Before the seal: a run killed in between stores the rest and seals next time.
        stored = store_nodes(session_factory, tree.nodes)
        stats["tree_nodes_added"] = stored.added
        stats["tree_nodes_repaired"] = stored.repaired
    if chain.head_seq <= check.latest_upto_seq:
        return stats
    seal = Seal.of(chain.head_seq, chain.head_hash, chain.events, utcnow(), root)
    signed = sign_seal(private_key, seal, key_id(public_key))
    # Storage first: a kill before the row is written leaves a seal the next run adopts.
    ctx.storage.put_bytes(
        seal_storage_key(seal.upto_seq), signed.to_bytes(), content_type="application/json"
    )
    with transaction(session_factory) as session:
        _index(session, signed, actor, adopted=False)
    log.info("sealed the audit chain up to seq %s", seal.upto_seq)
    stats["sealed_upto_seq"] = seal.upto_seq
    return stats


def _index(session: Session, signed: SignedSeal, actor: Actor, *, adopted: bool) -> None:
    seal = signed.seal
    key = seal_storage_key(seal.upto_seq)
    session.add(
        AuditSeal(
            upto_seq=seal.upto_seq,
            hash=seal.hash,
            count=seal.count,
            sealed_at=seal.sealed_at_time,
            alg=signed.alg,
            key_id=signed.key_id,
            signature=signed.signature,
            storage_key=key,
            object_sha256=hashlib.sha256(signed.to_bytes()).hexdigest(),
            merkle_root=seal.merkle_root,
        )
    )
    details = {
        "upto_seq": seal.upto_seq,
        "hash": seal.hash,
        "count": seal.count,
        "key_id": signed.key_id,
        "storage_key": key,
    }
    if seal.merkle_root is not None:
        details["merkle_root"] = seal.merkle_root
    if adopted:
        details["adopted"] = True
    record(
        session,
        actor,
        "audit.sealed",
        object_type="audit_seal",
        object_id=str(seal.upto_seq),
        details=details,
        organisation_id=None,
    )


def list_seals(
    session: Session, *, limit: int, after: list[Any] | None
) -> tuple[list[AuditSeal], list[Any] | None]:
    """One page of seals, newest first."""
    stmt: Any = sa.select(AuditSeal)
    keys: list[Any] = [AuditSeal.upto_seq]
    rows: list[AuditSeal]
    rows, next_key = keyset_page(session, stmt, keys, limit=limit, after=after, descending=True)
    return rows, next_key


def describe_seal(row: AuditSeal) -> dict[str, Any]:
    """A seal as the API shows it: what was signed, the signature, and where it is stored."""
    signed = signed_from_row(row)
    return {
        **signed.to_dict(),
        "upto_seq": row.upto_seq,
        "sealed_at": row.sealed_at,
        "storage_key": row.storage_key,
        "object_sha256": row.object_sha256,
    }
