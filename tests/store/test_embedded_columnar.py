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
        assert _copy_revisions(store.path) == [store.revision()]  # patched, not stale
        after_write = store.snapshot()
        assert "F9" in set(after_write.node_table("Firm")["id"])
        assert _copy_revisions(store.path) == [store.revision()]
        _assert_same(store.snapshot(), _from_tables(store))

        assert store.delete_source("late") == 1
        assert _copy_revisions(store.path) == []  # deletes drop the copy
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
        _assert_same(_from_tables(store), before)


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


def _prov(d: pd.DataFrame, source: str = "patch") -> pd.DataFrame:
    return with_provenance(d, source=source, snapshot="s9", loaded_at="2026-02-01T00:00:00Z")


def _small_write(store: EmbeddedStore) -> GraphData:
    """New and partially updated nodes and relationships, built from what the store holds:
    the first firm renamed (its other properties kept), two new firms, the first SUPPLIES
    row of each pair with a new volume (its other properties kept) and two new SUPPLIES
    rows (one sorting first, one last in primary-key order), a first Country."""
    whole = store.snapshot()
    firms = whole.node_table("Firm")
    first = firms["id"].iloc[0]
    nodes = [
        NodeFrame("Firm", _prov(pd.DataFrame({"id": [first], "name": ["Renamed 改"]}))),
        NodeFrame(
            "Firm",
            _prov(
                pd.DataFrame(
                    {"id": ["~last", "!first"], "name": ["Z", "A"], "country": [None, "DEU"]}
                )
            ),
        ),
        NodeFrame("Country", _prov(pd.DataFrame({"id": ["ZZB"], "name_en": ["Patch-land"]}))),
    ]
    rels = []
    for rf in whole.rel_frames("SUPPLIES"):
        row = rf.data.iloc[[0]][["src", "dst", "key"]].reset_index(drop=True)
        rels.append(RelFrame("SUPPLIES", rf.src_label, rf.dst_label, _prov(row.assign(volume=7.5))))
    new = pd.DataFrame(
        {"src": ["!first", "~last"], "dst": ["~last", first], "volume": [1.0, np.nan]}
    )
    rels.append(RelFrame("SUPPLIES", "Firm", "Firm", _prov(new)))
    return GraphData(nodes, rels)


@pytest.mark.parametrize(
    "data",
    [_mixed(), generate(n_firms=300, n_edges=3_000, n_industries=20, n_chains=3, seed=5)],
    ids=["mixed", "synthetic"],
)
def test_small_write_patches_copy_equal_to_tables(tmp_path: Path, data: GraphData) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(data)
        before = store.snapshot()
        change = _small_write(store)
        store.write(change)
        assert _copy_revisions(store.path) == [store.revision()]
        patched = store.snapshot()
        firms = patched.node_table("Firm").set_index("id")
        first = change.nodes[0].data["id"].iloc[0]
        assert firms.loc[first, "name"] == "Renamed 改"
        old = before.node_table("Firm").set_index("id")
        # partial update: the properties the write left out are kept
        pd.testing.assert_series_equal(
            firms.loc[first].drop(["name", "source", "snapshot", "loaded_at"]),
            old.loc[first].drop(["name", "source", "snapshot", "loaded_at"]),
        )
        assert firms.loc["!first", "country"] == "DEU"
        assert len(firms) == len(old) + 2
        sup = pd.concat([f.data for f in patched.rel_frames("SUPPLIES")], ignore_index=True)
        old_sup = pd.concat([f.data for f in before.rel_frames("SUPPLIES")], ignore_index=True)
        assert len(sup) == len(old_sup) + 2
        for rf in change.rels[:-1]:
            src, dst = rf.data["src"].iloc[0], rf.data["dst"].iloc[0]
            hit = sup[(sup["src"] == src) & (sup["dst"] == dst)]
            was = old_sup[(old_sup["src"] == src) & (old_sup["dst"] == dst)]
            assert hit["volume"].tolist()[:1] == [7.5]
            assert hit["product"].isna().tolist()[:1] == was["product"].isna().tolist()[:1]
            assert hit["product"].dropna().tolist()[:1] == was["product"].dropna().tolist()[:1]
        assert patched.node_table("Country")["name_en"].tolist()[-1] == "Patch-land"
        _assert_same(patched, _from_tables(store))


def test_copy_patched_twice_stays_equal(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(_mixed())
        store.write(_small_write(store))
        again = pd.DataFrame(
            {"id": ["F2", "F4"], "name": ["Beta 2", "D"], "country": ["FRA", None]}
        )
        store.write(GraphData([NodeFrame("Firm", _prov(again, "again"))]))
        assert _copy_revisions(store.path) == [store.revision()]
        patched = store.snapshot()
        firms = patched.node_table("Firm").set_index("id")
        assert firms.loc["F2", "country"] == "FRA"
        assert firms.loc["F2", "aliases"] == ["B", "β"]  # not written: kept
        assert firms.index[-1] == "F4"
        _assert_same(patched, _from_tables(store))


def test_failed_patching_write_keeps_old_copy(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(_mixed())
        revision = store.revision()
        before = store.snapshot()
        change = _small_write(store)
        bad = RelFrame(
            "OWNS", "Firm", "Firm", _prov(pd.DataFrame({"src": ["ghost"], "dst": ["F1"]}))
        )
        with pytest.raises(ValidationError, match="ghost"):
            store.write(GraphData(change.nodes, [*change.rels, bad]))
        assert store.revision() == revision
        assert _copy_revisions(store.path) == [revision]
        _assert_same(store.snapshot(), before)
        _assert_same(_from_tables(store), before)


def test_large_write_or_new_frame_drops_copy(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(_mixed())
        many = pd.DataFrame({"id": [f"C{i:04d}" for i in range(1_001)], "name_en": "x"})
        store.write(GraphData([NodeFrame("Country", _prov(many))]))  # > 20 % of the frame
        assert _copy_revisions(store.path) == []
        store.snapshot()
        assert _copy_revisions(store.path) == [store.revision()]
        owns = RelFrame("OWNS", "Firm", "Firm", _prov(pd.DataFrame({"src": ["F1"], "dst": ["F2"]})))
        store.write(GraphData([], [owns]))  # no OWNS frame in the copy yet
        assert _copy_revisions(store.path) == []
        got = store.snapshot()
        assert [len(f) for f in got.rel_frames("OWNS")] == [1]
        assert len(got.node_table("Country")) == 1_001
        _assert_same(got, _from_tables(store))


def test_first_value_of_a_relationship_column_drops_copy(tmp_path: Path) -> None:
    """A read of the whole SUPPLIES table types ``unit`` as text in every pair once one row
    has a unit: a write giving Firm->Firm its first unit falls back (the untouched
    Plant->Firm frame would change dtype too)."""
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(_mixed())
        unit = pd.DataFrame({"src": ["F1"], "dst": ["F2"], "unit": ["t"]})
        store.write(GraphData([], [RelFrame("SUPPLIES", "Firm", "Firm", _prov(unit))]))
        assert _copy_revisions(store.path) == []
        got = store.snapshot()
        assert [str(f.data["unit"].dtype) for f in got.rel_frames("SUPPLIES")] == ["str", "str"]
        _assert_same(got, _from_tables(store))
        # a later write of a unit to both pairs patches them
        both = [
            RelFrame(
                "SUPPLIES",
                "Firm",
                "Firm",
                _prov(pd.DataFrame({"src": ["F2"], "dst": ["F3"], "unit": ["kg"]})),
            ),
            RelFrame(
                "SUPPLIES",
                "Plant",
                "Firm",
                _prov(pd.DataFrame({"src": ["P1"], "dst": ["F1"], "unit": ["t"]})),
            ),
        ]
        store.write(GraphData([], both))
        assert _copy_revisions(store.path) == [store.revision()]
        _assert_same(store.snapshot(), _from_tables(store))


def test_many_touched_rows_patch_copy(tmp_path: Path) -> None:
    """Hundreds of touched rows in one frame (merged by one take, not slice by slice)."""
    data = generate(n_firms=300, n_edges=3_000, n_industries=20, n_chains=3, seed=5)
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(data)
        whole = store.snapshot()
        firms = whole.node_table("Firm")[["id"]].assign(name="renamed")
        new = pd.DataFrame({"id": [f"NEW{i:03d}" for i in range(300)], "name": "new"})
        sup = max(whole.rel_frames("SUPPLIES"), key=len)
        rows = sup.data.iloc[::7][["src", "dst", "key"]].reset_index(drop=True)
        added = pd.DataFrame({"src": new["id"], "dst": firms["id"], "volume": 2.0})
        store.write(
            GraphData(
                [NodeFrame("Firm", _prov(firms)), NodeFrame("Firm", _prov(new))],
                [
                    RelFrame("SUPPLIES", "Firm", "Firm", _prov(rows.assign(volume=3.0))),
                    RelFrame("SUPPLIES", "Firm", "Firm", _prov(added)),
                ],
            )
        )
        assert _copy_revisions(store.path) == [store.revision()]
        patched = store.snapshot()
        assert (patched.node_table("Firm")["name"] == "renamed").sum() == 300
        assert len(patched.node_table("Firm")) == 600
        assert sum(len(f) for f in patched.rel_frames("SUPPLIES")) == 3_300
        _assert_same(patched, _from_tables(store))
