"""Short-lived per-process caches of what rarely changes and every request reads (vocabularies,
agreements, who a token belongs to).

An entry lives ``ttl`` seconds at most. A cache names the tables its entries are read from;
when a transaction of this process that changed one of them commits, the cache is emptied at
once (``hub.cache_events`` watches the sessions), so a change made here takes effect for the
next request here. A change committed by another process takes effect here within ``ttl``
seconds (docs/security.md states the bound for credentials).

A load that began before the cache was emptied is not kept: an entry never holds what was read
before a change this process knows of. None (nothing found) is never kept.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# How long an entry lives: the longest a change committed by another process goes unseen here.
TTL_SECONDS = 2.0

_CACHES: list[ProcessCache[object, object]] = []
_REGISTRY_LOCK = threading.Lock()


class ProcessCache(Generic[K, V]):
    """A bounded map whose entries expire ``ttl`` seconds after they were loaded."""

    def __init__(
        self,
        name: str,
        *,
        tables: Iterable[str],
        ttl: float,
        maxsize: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.tables = frozenset(tables)
        self.ttl = ttl
        self.maxsize = maxsize
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()
        with _REGISTRY_LOCK:
            _CACHES.append(self)  # type: ignore[arg-type]

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The entry for ``key``, loaded with ``load()`` when missing or expired."""
        now = self._clock()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] > now:
                return found[1]
            generation = self._generation
        value = load()
        if value is None or self.ttl <= 0:  # an absence is read again next time
            return value
        with self._lock:
            if generation == self._generation:  # nothing changed while it was loading
                self._entries[key] = (now + self.ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.maxsize:
                    self._entries.popitem(last=False)
        return value

    def get_many(
        self, keys: Iterable[K], load: Callable[[list[K]], Mapping[K, V | None]]
    ) -> dict[K, V | None]:
        """The entries for ``keys``: those missing or expired loaded together with
        ``load(missing)``, which answers for each key it knows (a key it leaves out is None)."""
        now = self._clock()
        found: dict[K, V | None] = {}
        missing: list[K] = []
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None and entry[0] > now:
                    found[key] = entry[1]
                elif key not in found:
                    missing.append(key)
            generation = self._generation
        if not missing:
            return found
        loaded = load(missing)
        for key in missing:
            found[key] = loaded.get(key)
        if self.ttl <= 0:
            return found
        with self._lock:
            if generation == self._generation:  # nothing changed while it was loading
                for key in missing:
                    value = found[key]
                    if value is None:  # an absence is read again next time
                        continue
                    self._entries[key] = (now + self.ttl, value)
                    self._entries.move_to_end(key)
                while len(self._entries) > self.maxsize:
                    self._entries.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def __len__(self) -> int:
        return len(self._entries)


def tables_changed(tables: Iterable[str]) -> None:
    """This process committed changes to ``tables``: empty every cache read from them."""
    changed = set(tables)
    if not changed:
        return
    for cache in list(_CACHES):
        if cache.tables & changed:
            cache.clear()


def every_cache() -> list[ProcessCache[object, object]]:
    return list(_CACHES)


def clear_all() -> None:
    """Empty every cache (tests start from a known state)."""
    for cache in list(_CACHES):
        cache.clear()
