"""Whole-graph snapshots of Neo4jStore: read in chunks over two sessions, never torn."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

import chain_brain.store.neo4j as neo4j_module
from chain_brain.store.neo4j import Neo4jStore
from graph_schema.errors import StoreError, ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame, with_provenance

pytestmark = [pytest.mark.neo4j, pytest.mark.xdist_group("neo4j")]

T0 = "2026-01-01T00:00:00Z"


@pytest.fixture
def neo(neo: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> Neo4jStore:
    # chunks of 3 rows: even a tiny graph is read by many queries on both sessions
    monkeypatch.setattr(neo4j_module, "_READ_CHUNK", 3)
    return neo


def _prov(df: pd.DataFrame, snapshot: str = "s") -> pd.DataFrame:
    return with_provenance(df, source="t", snapshot=snapshot, loaded_at=T0)


def _graph() -> GraphData:
    """Firms f0..f9 and plants p0..p3; SUPPLIES from firms to firms and to plants (two
    target labels in one relationship type), with missing values in every column type."""
    firms = [f"f{i}" for i in range(10)]
    plants = [f"p{i}" for i in range(4)]
    to_firms = pd.DataFrame(
        {
            "src": firms,
            "dst": firms[1:] + firms[:1],
            "key": ["", "a", "", "b", "", "", "c", "", "", ""],
            "product": ["x", None, "y", "x", "z", None, "x", "y", "y", "x"],
            "volume": [1.5, np.nan, 3.0, 4.0, np.nan, 6.0, 7.0, 8.0, 9.0, 10.0],
        }
    )
    to_plants = pd.DataFrame({"src": firms[:4], "dst": plants, "product": "w", "volume": 2.0})
    return GraphData(
        [
            NodeFrame("Firm", _prov(pd.DataFrame({"id": firms, "name": firms}))),
            NodeFrame("Plant", _prov(pd.DataFrame({"id": plants, "name": plants}))),
        ],
        [
            RelFrame("SUPPLIES", "Firm", "Firm", _prov(to_firms)),
            RelFrame("SUPPLIES", "Firm", "Plant", _prov(to_plants)),
        ],
    )


def _sorted(df: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    return df[columns].sort_values(keys).reset_index(drop=True)


def test_a_chunked_snapshot_reads_back_every_row_and_missing_value(neo: Neo4jStore) -> None:
    data = _graph()
    neo.write(data)
    snap = neo.snapshot()
    firms = snap.node_table("Firm")
    assert sorted(firms["id"]) == [f"f{i}" for i in range(10)]
    frames = {(f.src_label.value, f.dst_label.value): f.data for f in snap.rel_frames("SUPPLIES")}
    assert sorted(frames) == [("Firm", "Firm"), ("Firm", "Plant")]
    cols = ["src", "dst", "key", "product", "volume"]
    for want in data.rels:
        got = frames[(want.src_label.value, want.dst_label.value)]
        expected = want.data.copy()
        if "key" not in expected:
            expected["key"] = ""
        pd.testing.assert_frame_equal(
            _sorted(got, ["src", "dst"], cols),
            _sorted(expected, ["src", "dst"], cols),
            check_dtype=False,
        )
    assert frames[("Firm", "Firm")]["product"].isna().sum() == 2
    assert frames[("Firm", "Firm")]["volume"].isna().sum() == 2


def test_snapshots_during_writes_each_show_one_committed_state(neo: Neo4jStore) -> None:
    """Each write adds one firm g<k> and the SUPPLIES f0 -> g<k> in one transaction: a
    snapshot mixing chunks read before and after a write would hold a firm without its
    relationship, or a relationship whose end it does not hold."""
    neo.write(GraphData([NodeFrame("Firm", _prov(pd.DataFrame({"id": ["f0"], "name": ["f0"]})))]))
    writes = 60
    done = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            for k in range(writes):
                firm = NodeFrame("Firm", _prov(pd.DataFrame({"id": [f"g{k}"], "name": ["g"]})))
                sup = RelFrame(
                    "SUPPLIES",
                    "Firm",
                    "Firm",
                    _prov(pd.DataFrame({"src": ["f0"], "dst": [f"g{k}"]})),
                )
                neo.write(GraphData([firm], [sup]))
        except BaseException as exc:  # reported by the test below
            failures.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen: list[int] = []
    while not done.is_set():
        try:
            snap = neo.snapshot()
        except StoreError as exc:  # the writes kept the read from settling: allowed
            assert "kept changing" in str(exc)
            continue
        firms = set(snap.node_table("Firm")["id"])
        sup = snap.rel_table("SUPPLIES")
        assert set(sup["dst"]) == firms - {"f0"}, "a torn snapshot"
        assert set(sup["src"]) <= {"f0"}
        seen.append(len(firms) - 1)
    thread.join()
    assert not failures, failures
    assert seen == sorted(seen)  # snapshots never go back in time
    final = neo.snapshot()
    assert len(final.node_table("Firm")) == writes + 1
    assert sum(len(f) for f in final.rel_frames("SUPPLIES")) == writes


def test_one_session_loads_and_reads_what_two_do(neo: Neo4jStore) -> None:
    data = _graph()
    one = Neo4jStore(neo.uri, driver=neo._driver, sessions=1)
    one.write(data, batch_size=3, commit_rows=5)  # a bulk load of several transactions
    by_one = one.snapshot()
    by_two = neo.snapshot()
    for a, b in zip(by_one, by_two, strict=True):
        assert len(a) == len(b)
        if not len(a):
            continue
        keys = ["id"] if "id" in a.data else ["src", "dst", "key"]
        pd.testing.assert_frame_equal(
            a.data.sort_values(keys).reset_index(drop=True),
            b.data.sort_values(keys).reset_index(drop=True),
        )
    assert by_one.n_rels == 14 and by_one.n_nodes == 14


def test_sessions_must_be_positive(neo: Neo4jStore) -> None:
    with pytest.raises(ValidationError, match="sessions must be >= 1, got 0"):
        Neo4jStore(neo.uri, driver=neo._driver, sessions=0)
