"""Keeping the process caches (``hub.cache``) true to what this process commits.

Every session notes the tables its transaction writes (objects flushed, ORM inserts, updates and
deletes); when the transaction commits, the caches read from those tables are emptied. Inside a
transaction that has written one of a cache's tables, the cache is bypassed: the transaction
reads its own changes, and what it reads is not kept (it may yet roll back).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from hub.cache import ProcessCache, tables_changed

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_WRITTEN = "cache_tables_written"


def cached(session: Session, cache: ProcessCache[K, V], key: K, load: Callable[[], V]) -> V:
    """``cache``'s entry for ``key`` (``load()`` when missing), unless this session's open
    transaction has written a table the cache is read from: then ``load()``, not kept."""
    if cache.tables & session.info.get(_WRITTEN, set()) or cache.tables & _unflushed(session):
        return load()
    return cache.get(key, load)


def cached_many(
    session: Session,
    cache: ProcessCache[K, V],
    keys: Iterable[K],
    load: Callable[[list[K]], Mapping[K, V | None]],
) -> dict[K, V | None]:
    """``cache``'s entries for ``keys``, the missing ones loaded together with ``load(missing)``
    (``ProcessCache.get_many``), unless this session's open transaction has written a table the
    cache is read from: then ``load`` of them all, not kept."""
    if cache.tables & session.info.get(_WRITTEN, set()) or cache.tables & _unflushed(session):
        wanted = list(dict.fromkeys(keys))
        loaded = load(wanted)
        return {key: loaded.get(key) for key in wanted}
    return cache.get_many(keys, load)


def _tables_of(objects: Iterable[object]) -> set[str]:
    return {t for t in (getattr(o, "__tablename__", None) for o in objects) if t is not None}


def _unflushed(session: Session) -> set[str]:
    """Tables with changes still waiting in the session (the load's query flushes them)."""
    if not (session.new or session.dirty or session.deleted):
        return set()
    return _tables_of((*session.new, *session.dirty, *session.deleted))


def _written(session: Session) -> set[str]:
    written: set[str] = session.info.setdefault(_WRITTEN, set())
    return written


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: UOWTransaction) -> None:
    _written(session).update(_unflushed(session))


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table: Any = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        if name is not None:
            _written(state.session).add(name)


@event.listens_for(Session, "after_commit")
def _empty_caches(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction may still roll back
    tables_changed(session.info.pop(_WRITTEN, ()))


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_WRITTEN, None)
