"""One cache of views computed from the graph: chain maps, neighbourhoods, chokepoint lists.

A view is a pure function of the graph, so it is cached under the key
``(store identity, store.revision(), view name, params)``.  Every committed change to the
graph (write, delete, clear) bumps ``store.revision()``, so an entry computed before the
change is never served after it: the new revision makes a new key, and the old entries
age out of the LRU.  Scenario and analysis runs do not change the revision; views of
runs must therefore not be cached here unless their key names the run's content.

* **Bounded**: least recently used entries are dropped once the sum of the entries'
  approximate sizes (:func:`approx_size`) exceeds ``max_bytes``.
* **Thread-safe**, and **single-flight**: when many requests miss the same key at once,
  one computes and the others wait for its result (100 concurrent clients asking for a
  cold chain map cost one computation, not 100).  An exception is not cached; every
  waiter sees it.
* **Revision checks**: one cheap read per lookup (one SELECT on the embedded store, one
  Bolt query on Neo4j).  ``revision_ttl`` > 0 reuses a revision read less than that many
  seconds ago, trading that much staleness for one round trip less per request; the
  default is 0 (always ask the store), so a write is seen by the next read.

The process-wide instance is :func:`view_cache` (created on first use, not at import).
Several API worker processes each hold their own cache; they agree because each keys on
the shared store's revision.
"""

from __future__ import annotations

import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields, is_dataclass
from typing import TypeVar, cast

import numpy as np
import pandas as pd

from chain_brain.store import GraphStore, Scope
from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData

__all__ = [
    "ViewCache",
    "CacheStats",
    "approx_size",
    "view_cache",
    "cached_snapshot",
    "DEFAULT_MAX_BYTES",
]

T = TypeVar("T")
DEFAULT_MAX_BYTES = 512 * 2**20
_Key = tuple[int, int, str, Hashable]


@dataclass(frozen=True)
class CacheStats:
    """Counters of a :class:`ViewCache` since it was made (or last cleared)."""

    hits: int
    misses: int
    entries: int
    bytes: int
    max_bytes: int
    evictions: int


def approx_size(value: object) -> int:
    """Approximate bytes held by ``value``: DataFrames by their memory usage (deep for
    object columns), bytes and strings by length, containers and dataclasses summed."""
    return _size(value, 0)


def _size(value: object, depth: int) -> int:
    if depth > 4:
        return sys.getsizeof(value)
    if isinstance(value, (bytes, bytearray, str)):
        return len(value) + 50
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=True).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=True, deep=True))
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + 100
    if isinstance(value, GraphData):
        frames = [nf.data for nf in value.nodes] + [rf.data for rf in value.rels]
        return sum(_size(f, depth + 1) for f in frames) + 100
    if is_dataclass(value) and not isinstance(value, type):
        return sum(_size(getattr(value, f.name), depth + 1) for f in fields(value)) + 100
    if isinstance(value, dict):
        return sum(_size(k, depth + 1) + _size(v, depth + 1) for k, v in value.items()) + 100
    if isinstance(value, (list, tuple, set, frozenset)):
        return sum(_size(v, depth + 1) for v in value) + 60
    return sys.getsizeof(value)


class _Flight:
    """A computation under way: waiters block on ``done`` and read ``value``/``error``."""

    __slots__ = ("done", "value", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: object = None
        self.error: BaseException | None = None


class ViewCache:
    """An LRU cache of views computed from stores, bounded by approximate bytes.

    Parameters
    ----------
    max_bytes : the bound on the summed :func:`approx_size` of the entries.  An entry
        larger than the bound is returned but not kept.
    revision_ttl : seconds a store's revision read may be reused (0: read it on every
        lookup).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chain_brain.store import open_store
    >>> from chain_brain.graph.samples import toy_chain
    >>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "s.db"); _ = store.init()
    >>> cache, calls = ViewCache(max_bytes=10_000), []
    >>> def count() -> int:
    ...     calls.append(1)
    ...     return sum(store.counts().values())
    >>> cache.get(store, "size", (), count) == cache.get(store, "size", (), count) == 0
    True
    >>> _ = store.write(toy_chain())  # a committed change: the next read recomputes
    >>> cache.get(store, "size", (), count) > 0, len(calls)
    (True, 2)
    >>> store.close()
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, *, revision_ttl: float = 0.0) -> None:
        if max_bytes < 1:
            raise ValidationError(f"Cache bound must be >= 1 byte, got {max_bytes=}.")
        if revision_ttl < 0:
            raise ValidationError(f"revision_ttl must be >= 0 seconds, got {revision_ttl=}.")
        self.max_bytes = max_bytes
        self.revision_ttl = revision_ttl
        self._lock = threading.Lock()
        self._entries: OrderedDict[_Key, tuple[object, int]] = OrderedDict()
        self._flights: dict[_Key, _Flight] = {}
        self._bytes = 0
        self._hits = self._misses = self._evictions = 0
        self._tokens: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
        self._strong_tokens: dict[int, int] = {}
        self._next_token = 0
        self._revisions: dict[int, tuple[int, float]] = {}

    # ------------------------------------------------------------------ keys

    def _token(self, store: GraphStore) -> int:
        """A number naming this store object for the cache's lifetime (never reused)."""
        with self._lock:
            try:
                tok = self._tokens.get(store)
            except TypeError:  # not weak-referenceable: keep it by id (and alive)
                tok = self._strong_tokens.get(id(store))
                if tok is None:
                    self._next_token += 1
                    tok = self._strong_tokens[id(store)] = self._next_token
                return tok
            if tok is None:
                self._next_token += 1
                tok = self._next_token
                self._tokens[store] = tok
            return tok

    def revision(self, store: GraphStore) -> int:
        """``store.revision()``, reused for ``revision_ttl`` seconds."""
        if self.revision_ttl <= 0:
            return store.revision()
        tok, now = self._token(store), time.monotonic()
        got = self._revisions.get(tok)
        if got is not None and now - got[1] < self.revision_ttl:
            return got[0]
        rev = store.revision()
        self._revisions[tok] = (rev, now)
        return rev

    def key(self, store: GraphStore, view: str, params: Hashable) -> _Key:
        """The key of ``view(params)`` on ``store`` at its current revision."""
        return (self._token(store), self.revision(store), view, params)

    # ------------------------------------------------------------------ lookups

    def get(
        self,
        store: GraphStore,
        view: str,
        params: Hashable,
        compute: Callable[[], T],
        *,
        size: Callable[[T], int] = approx_size,
    ) -> T:
        """The cached value of ``view(params)`` on ``store``, computing it on a miss.

        ``params`` must be hashable and name everything the result depends on besides
        the graph (ids, options, the audience of a redacted view).
        """
        return self.get_key(self.key(store, view, params), compute, size=size)

    def get_key(
        self, key: _Key, compute: Callable[[], T], *, size: Callable[[T], int] = approx_size
    ) -> T:
        """As :meth:`get`, under a key made by :meth:`key` (one revision read for several
        views of one request)."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                self._hits += 1
                return cast(T, hit[0])
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
            self._misses += 1
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return cast(T, flight.value)
        try:
            value = compute()
        except BaseException as exc:
            flight.error = exc
            with self._lock:
                del self._flights[key]
            flight.done.set()
            raise
        flight.value = value
        nbytes = size(value)
        with self._lock:
            del self._flights[key]
            if nbytes <= self.max_bytes:
                old = self._entries.pop(key, None)
                if old is not None:
                    self._bytes -= old[1]
                self._entries[key] = (value, nbytes)
                self._bytes += nbytes
                while self._bytes > self.max_bytes:
                    _, (_, dropped) = self._entries.popitem(last=False)
                    self._bytes -= dropped
                    self._evictions += 1
        flight.done.set()
        return value

    def peek(self, store: GraphStore, view: str, params: Hashable) -> object | None:
        """The cached value of ``view(params)`` at the store's current revision, or None
        (nothing is computed)."""
        return self.peek_key(self.key(store, view, params))

    def peek_key(self, key: _Key) -> object | None:
        """As :meth:`peek`, under a key made by :meth:`key`."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return hit[0]

    def clear(self) -> None:
        """Drop every entry and reset the counters (computations under way finish)."""
        with self._lock:
            self._entries.clear()
            self._revisions.clear()
            self._bytes = self._hits = self._misses = self._evictions = 0

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                self._hits,
                self._misses,
                len(self._entries),
                self._bytes,
                self.max_bytes,
                self._evictions,
            )


_DEFAULT: list[ViewCache] = []
_DEFAULT_LOCK = threading.Lock()


def view_cache() -> ViewCache:
    """The process-wide cache the services use (made on the first call)."""
    if not _DEFAULT:
        with _DEFAULT_LOCK:
            if not _DEFAULT:
                _DEFAULT.append(ViewCache())
    return _DEFAULT[0]


def cached_snapshot(store: GraphStore, scope: Scope) -> GraphData:
    """``store.snapshot(scope)`` through :func:`view_cache`, so the views of one chain (its
    map, its members, its chokepoints) read it once per revision.  Meant for parts of the
    graph (a chain, a neighbourhood); the frames are shared: treat them as read-only."""
    return view_cache().get(store, "snapshot", scope, lambda: store.snapshot(scope))
