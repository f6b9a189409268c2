"""The view cache: one computation per (store, revision, view, params), any graph change
invalidates, bounded by size, one computation for many concurrent misses."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from chain_brain.services.cache import ViewCache, approx_size, view_cache
from chain_brain.services.chains import chain_map
from chain_brain.services.networks import neighbourhood
from chain_brain.store import GraphStore
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.frames import GraphData, NodeFrame
from graph_schema.model import NodeLabel
from sample_graphs import small_chain


def _counter() -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    return calls, compute


def test_repeated_reads_compute_once_and_a_write_invalidates(store: GraphStore) -> None:
    cache = ViewCache()
    calls, compute = _counter()
    assert cache.get(store, "v", ("a",), compute) == 1  # type: ignore[arg-type]
    assert cache.get(store, "v", ("a",), compute) == 1  # type: ignore[arg-type]
    assert cache.get(store, "v", ("b",), compute) == 2  # other params: another entry  # type: ignore[arg-type]
    store.write(small_chain())  # a committed change bumps the revision
    assert cache.get(store, "v", ("a",), compute) == 3  # type: ignore[arg-type]
    assert cache.get(store, "v", ("a",), compute) == 3  # type: ignore[arg-type]
    store.clear()
    assert cache.get(store, "v", ("a",), compute) == 4  # type: ignore[arg-type]
    s = cache.stats()
    assert (s.hits, s.misses) == (2, 4)


def test_chain_map_is_served_from_the_cache_until_the_graph_changes(store: GraphStore) -> None:
    store.write(small_chain())
    first = chain_map(store, "steel")
    assert chain_map(store, "steel") is first  # no recomputation
    # a new firm in the chain's upstream segment: the next map must count it
    up = first.segments.set_index("id").loc["steel-up", "firms"]
    extra = small_chain()
    ore = extra.node_table(NodeLabel.FIRM)
    ore = ore[ore["id"] == "ore"].assign(id="ore-2", name="Ore Two")
    sup = [rf for rf in extra.rels if rf.type.value == "SUPPLIES"][0]
    row = sup.data[sup.data["src"] == "ore"].assign(src="ore-2", volume=7.0)
    store.write(
        GraphData(
            [NodeFrame(NodeLabel.FIRM, ore)],
            [type(sup)(sup.type, sup.src_label, sup.dst_label, row)],
        )
    )
    second = chain_map(store, "steel")
    assert second is not first
    assert second.segments.set_index("id").loc["steel-up", "firms"] == up + 1


def test_neighbourhood_is_cached_per_scope(store: GraphStore) -> None:
    store.write(small_chain())
    a = neighbourhood(store, "mill", tiers=1, direction="up")
    assert neighbourhood(store, "mill", tiers=1, direction="up") is a
    b = neighbourhood(store, "mill", tiers=1, direction="down")
    assert b is not a
    up_ids = set(a.node_table(NodeLabel.FIRM)["id"])
    assert "ore" in up_ids and "ore" not in set(b.node_table(NodeLabel.FIRM)["id"])


def test_stores_do_not_share_entries(tmp_path: object) -> None:
    from pathlib import Path

    from chain_brain.store import open_store

    one = open_store(Path(str(tmp_path)) / "one.db")
    two = open_store(Path(str(tmp_path)) / "two.db")
    one.init(), two.init()
    try:
        cache = ViewCache()
        calls, compute = _counter()
        assert one.revision() == two.revision()  # same revision, still two entries
        assert cache.get(one, "v", (), compute) == 1  # type: ignore[arg-type]
        assert cache.get(two, "v", (), compute) == 2  # type: ignore[arg-type]
    finally:
        one.close(), two.close()


def test_bounded_by_size_least_recently_used_first(tmp_path: object) -> None:
    from pathlib import Path

    from chain_brain.store import open_store

    store = open_store(Path(str(tmp_path)) / "s.db")
    store.init()
    try:
        cache = ViewCache(max_bytes=3_000)
        blob = b"x" * 900  # approx_size 950
        for k in ("a", "b", "c"):
            cache.get(store, "v", k, lambda: blob)
        assert cache.stats().entries == 3
        cache.get(store, "v", "a", lambda: b"other")  # a hit: a is now the most recent
        cache.get(store, "v", "d", lambda: blob)  # over the bound: b, the oldest, goes
        s = cache.stats()
        assert s.entries == 3 and s.evictions == 1 and s.bytes <= 3_000
        assert cache.get(store, "v", "b", lambda: b"recomputed") == b"recomputed"
        assert cache.get(store, "v", "a", lambda: b"recomputed") == blob
        big = b"y" * 5_000  # larger than the bound: returned, not kept
        assert cache.get(store, "v", "big", lambda: big) is big
        assert cache.get(store, "v", "big", lambda: b"again") == b"again"
    finally:
        store.close()


def test_many_concurrent_misses_compute_once(tmp_path: object) -> None:
    from pathlib import Path

    from chain_brain.store import open_store

    store = open_store(Path(str(tmp_path)) / "s.db")
    store.init()
    cache = ViewCache()
    calls: list[int] = []
    results: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    def reader() -> None:
        results.append(cache.get(store, "slow", (), slow))

    threads = [threading.Thread(target=reader) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()
    assert results == [42] * 16 and len(calls) == 1


def test_errors_are_not_cached_and_reach_every_waiter(tmp_path: object) -> None:
    from pathlib import Path

    from chain_brain.store import open_store

    store = open_store(Path(str(tmp_path)) / "s.db")
    store.init()
    cache = ViewCache()
    attempts: list[int] = []

    def failing() -> int:
        attempts.append(1)
        raise NotFoundError("Chain 'ghost' does not exist.")

    with pytest.raises(NotFoundError, match="ghost"):
        cache.get(store, "v", (), failing)
    with pytest.raises(NotFoundError, match="ghost"):
        cache.get(store, "v", (), failing)
    assert len(attempts) == 2 and cache.stats().entries == 0
    assert cache.get(store, "v", (), lambda: 7) == 7
    store.close()


def test_revision_ttl_reuses_a_recent_revision_read(store: GraphStore) -> None:
    lazy = ViewCache(revision_ttl=3600.0)
    eager = ViewCache()
    calls, compute = _counter()
    assert lazy.get(store, "v", (), compute) == 1  # type: ignore[arg-type]
    assert eager.get(store, "v", (), compute) == 2  # type: ignore[arg-type]
    store.write(small_chain())
    assert lazy.get(store, "v", (), compute) == 1  # within the ttl: the old revision  # type: ignore[arg-type]
    assert eager.get(store, "v", (), compute) == 3  # type: ignore[arg-type]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="max_bytes=0"):
        ViewCache(max_bytes=0)
    with pytest.raises(ValidationError, match="revision_ttl=-1"):
        ViewCache(revision_ttl=-1.0)


def test_approx_size_counts_frames_and_bytes() -> None:
    frame = pd.DataFrame({"x": range(1000)})
    assert approx_size(frame) >= 8000
    assert approx_size(b"x" * 1000) >= 1000
    assert approx_size({"a": frame}) > approx_size(frame)


def test_view_cache_is_one_per_process() -> None:
    assert view_cache() is view_cache()
