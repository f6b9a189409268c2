"""The embedded store's columnar copy of the whole graph: same frames as the tables,
never stale, rolled back with a failed write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chain_brain.store.embedded import EmbeddedStore
from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame, with_provenance
from ingest.synthetic import generate


def _copy_revisions(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT DISTINCT revision FROM snapshot_cache")]


def _drop_copy(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM snapshot_cache")


def _from_tables(store: EmbeddedStore) -> GraphData:
    """The whole graph read from the SQL tables (the copy removed first)."""
    _drop_copy(store.path)
    return store.snapshot()


def _assert_same(got: GraphData, want: GraphData) -> None:
    assert [f.label for f in got.nodes] == [f.label for f in want.nodes]
    assert [(f.type, f.src_label, f.dst_label) for f in got.rels] == [
        (f.type, f.src_label, f.dst_label) for f in want.rels
    ]
    for a, b in zip([*got.nodes, *got.rels], [*want.nodes, *want.rels], strict=True):
        pd.testing.assert_frame_equal(a.data, b.data, check_dtype=True, check_exact=True)


def _mixed() -> GraphData:
    """Frames with lists, missing cells, nullable ints, absent columns and split frames."""
    firms_a = pd.DataFrame(
        {
            "id": ["F2", "F1"],
            "name": ["Beta", "Alpha 甲"],
            "aliases": [["B", "β"], None],
            "country": ["CHN", None],
        }
    )
    firms_b = pd.DataFrame({"id": ["F3"], "name": ["Gamma"], "aliases": [[]]})
    plants = pd.DataFrame(
        {
            "id": ["P1", "P2"],
            "name": ["Plant 1", "Plant 2"],
            "operator": ["F1", "F2"],
            "lat": [31.2, np.nan],
            "start_year": pd.array([1999, None], dtype="Int64"),
        }
    )
    sup_a = pd.DataFrame(
        {
            "src": ["F2", "F1"],
            "dst": ["F3", "F3"],
            "product": ["wafer", None],
            "volume": [5.0, np.nan],
            "valid_from": ["2024-01-01", None],
        }
    )
    sup_b = pd.DataFrame({"src": ["F1"], "dst": ["F2"], "volume": [1.0]})
    sup_p = pd.DataFrame({"src": ["P1"], "dst": ["F1"], "share": [0.5]})

    def prov(d: pd.DataFrame) -> pd.DataFrame:
        return with_provenance(d, source="test", snapshot="s1", loaded_at="2026-01-01T00:00:00Z")

    return GraphData(
        [
            NodeFrame("Firm", prov(firms_a)),
            NodeFrame("Firm", prov(firms_b)),
            NodeFrame("Plant", prov(plants)),
        ],
        [
            RelFrame("SUPPLIES", "Firm", "Firm", prov(sup_a)),
            RelFrame("SUPPLIES", "Plant", "Firm", prov(sup_p)),
            RelFrame("SUPPLIES", "Firm", "Firm", prov(sup_b)),
        ],
    )


@pytest.mark.parametrize(
    "data",
    [_mixed(), generate(n_firms=300, n_edges=3_000, n_industries=20, n_chains=3, seed=5)],
    ids=["mixed", "synthetic"],
)
def test_first_write_stores_copy_equal_to_tables(tmp_path: Path, data: GraphData) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(data)
        assert _copy_revisions(store.path) == [store.revision()]
        cached = store.snapshot()
        tables = _from_tables(store)
        _assert_same(cached, tables)
        # the first whole read from the tables stored the copy again: same frames
        assert _copy_revisions(store.path) == [store.revision()]
        _assert_same(store.snapshot(), tables)
    assert {k: v for k, v in cached.counts().items() if v} == data.counts()


def test_copy_is_never_stale(tmp_path: Path) -> None:
    data = _mixed()
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(data)
        store.snapshot()
        extra = pd.DataFrame({"id": ["F9"], "name": ["Late"]})
        extra = with_provenance(extra, source="late", snapshot="s2")
        store.write(GraphData([NodeFrame("Firm", extra)]))
        assert _copy_revisions(store.path) == []  # the change dropped the old copy
        after_write = store.snapshot()
        assert "F9" in set(after_write.node_table("Firm")["id"])
        assert _copy_revisions(store.path) == [store.revision()]
        _assert_same(store.snapshot(), _from_tables(store))

        assert store.delete_source("late") == 1
        assert "F9" not in set(store.snapshot().node_table("Firm")["id"])
        store.clear()
        assert not any(store.snapshot().counts().values())


def test_failed_write_keeps_copy(tmp_path: Path) -> None:
    data = _mixed()
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(data)
        revision = store.revision()
        before = store.snapshot()
        bad = RelFrame("OWNS", "Firm", "Firm", pd.DataFrame({"src": ["ghost"], "dst": ["F1"]}))
        bad.data = with_provenance(bad.data, source="bad")
        with pytest.raises(ValidationError, match="ghost"):
            store.write(GraphData([NodeFrame("Firm", data.nodes[1].data)], [bad]))
        assert store.revision() == revision
        assert _copy_revisions(store.path) == [revision]
        _assert_same(store.snapshot(), before)


def test_failed_first_write_stores_no_copy(tmp_path: Path) -> None:
    data = _mixed()
    bad = RelFrame("OWNS", "Firm", "Firm", pd.DataFrame({"src": ["ghost"], "dst": ["F1"]}))
    bad.data = with_provenance(bad.data, source="bad")
    with EmbeddedStore(tmp_path / "g.db") as store:
        with pytest.raises(ValidationError, match="ghost"):
            store.write(GraphData(data.nodes, [*data.rels, bad]))
        assert _copy_revisions(store.path) == []
        assert not any(store.snapshot().counts().values())


def test_whole_read_comes_from_copy(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(_mixed())
        with sqlite3.connect(store.path) as conn:  # behind the store's back: no new revision
            conn.execute("DELETE FROM n_Firm WHERE id = 'F3'")
        assert "F3" in set(store.snapshot().node_table("Firm")["id"])
        assert "F3" not in set(_from_tables(store).node_table("Firm")["id"])


def test_unreadable_copy_falls_back_to_tables(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(_mixed())
        with sqlite3.connect(store.path) as conn:
            conn.execute("UPDATE snapshot_cache SET data = x'00ff'")
        got = store.snapshot()
        assert sorted(got.node_table("Firm")["id"]) == ["F1", "F2", "F3"]
        _assert_same(got, _from_tables(store))
