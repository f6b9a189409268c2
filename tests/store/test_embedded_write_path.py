"""The embedded write path's fast steps keep the values of the cell-by-cell ones."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chain_brain.store.embedded import EmbeddedStore
from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame, validate_nodes, with_provenance

_NAMES = ["  Alpha\u3000", "\tBeta\x1c", "   ", None, "Gamma"]


@pytest.mark.parametrize("dtype", ["str", object], ids=["arrow", "object"])
def test_text_properties_are_stripped_like_str_strip(dtype: object) -> None:
    frame = pd.DataFrame(
        {"id": ["a", "b", "c", "d", "e"], "name_en": pd.Series(_NAMES, dtype=dtype)}
    )
    out = validate_nodes(NodeFrame("Chain", with_provenance(frame, source="t"))).frame.data
    rejected = {"c", "d"}  # name_en is required: blank and missing rows are rejects
    assert out["name_en"].dtype == "str"  # kept in Arrow memory, as pandas reads text
    assert out["name_en"].tolist() == [
        v.strip() for i, v in zip("abcde", _NAMES, strict=True) if i not in rejected and v
    ]


def test_mixed_object_column_is_stripped_cell_by_cell() -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "name_en": pd.Series([" x ", 7], dtype=object)})
    out = validate_nodes(NodeFrame("Chain", with_provenance(frame, source="t"))).frame.data
    assert out["name_en"].tolist() == ["x", "7"]


def _firms(ids: list[str]) -> NodeFrame:
    frame = pd.DataFrame({"id": ids, "name": [f"name {i}" for i in ids]})
    return NodeFrame("Firm", with_provenance(frame, source="t"))


def _owns(src: list[str], dst: list[str]) -> RelFrame:
    frame = pd.DataFrame({"src": src, "dst": dst})
    return RelFrame("OWNS", "Firm", "Firm", with_provenance(frame, source="t"))


def test_endpoints_found_in_the_write_or_the_store(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(GraphData([_firms(["A", "B"])], [_owns(["A"], ["B"])]))
        # C is in this write, A in the store
        store.write(GraphData([_firms(["C"])], [_owns(["C"], ["A"])]))
        with pytest.raises(ValidationError, match=r"2 unknown Firm id\(s\) at dst: '[XY]', '[XY]'"):
            store.write(GraphData([_firms(["D"])], [_owns(["D", "D", "A"], ["X", "A", "Y"])]))
        assert store.counts()["OWNS"] == 2
        assert store.existing_ids("Firm", ["A", "B", "C", "D"]) == {"A", "B", "C"}


def test_first_write_names_unknown_endpoints(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        with pytest.raises(ValidationError, match=r"1 unknown Firm id\(s\) at src: 'Z'"):
            store.write(GraphData([_firms(["A"])], [_owns(["Z"], ["A"])]))
        assert store.counts()["Firm"] == 0


_AWKWARD = 'x\'); DROP TABLE "n_Firm"; -- 甲 "q"'


def _stored_rows(path: Path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            f"SELECT src, dst, share, source, snapshot, loaded_at, confidence, typeof(share) "
            f'FROM "{table}" ORDER BY src, dst'
        ).fetchall()


def test_columns_equal_in_every_row_are_stored_exactly(tmp_path: Path) -> None:
    """A column holding one value in every row is written into the statement once; the
    stored cells must equal what binding each row would store, awkward values included."""
    share = 0.1 + 0.2  # 0.30000000000000004: not what a 15-digit literal would give
    long_snapshot = "s" * 1000  # longer than any literal the store writes: bound per row
    frame = pd.DataFrame({"src": ["A", "A", "B"], "dst": ["B", "C", "C"], "share": [share] * 3})
    owns = RelFrame(
        "OWNS",
        "Firm",
        "Firm",
        with_provenance(frame, source=_AWKWARD, snapshot=long_snapshot, confidence=0.7),
    )
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(GraphData([_firms(["A", "B", "C"])], [owns]))
        rows = _stored_rows(store.path, "r_OWNS")
        assert store.counts()["Firm"] == 3  # the awkward source text stayed a value
    loaded_at = owns.data["loaded_at"].iloc[0]
    assert rows == [
        (s, d, share, _AWKWARD, long_snapshot, loaded_at, 0.7, "real")
        for s, d in [("A", "B"), ("A", "C"), ("B", "C")]
    ]


def test_column_missing_in_every_row_is_stored_as_null(tmp_path: Path) -> None:
    frame = pd.DataFrame({"src": ["A", "B"], "dst": ["B", "A"], "share": [np.nan, np.nan]})
    owns = RelFrame("OWNS", "Firm", "Firm", with_provenance(frame, source="t"))
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(GraphData([_firms(["A", "B"])], [owns]))
        rows = _stored_rows(store.path, "r_OWNS")
    assert [(r[0], r[2], r[7]) for r in rows] == [("A", None, "null"), ("B", None, "null")]


def test_update_with_equal_columns_overwrites_every_row(tmp_path: Path) -> None:
    """An upsert whose frame has one value per column still updates each stored row."""
    frame = pd.DataFrame({"src": ["A", "B"], "dst": ["B", "A"], "share": [0.25, 0.5]})
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(
            GraphData(
                [_firms(["A", "B"])],
                [RelFrame("OWNS", "Firm", "Firm", with_provenance(frame, source="first"))],
            )
        )
        again = frame.assign(share=0.75)
        store.write(
            GraphData([], [RelFrame("OWNS", "Firm", "Firm", with_provenance(again, source="2nd"))])
        )
        rows = _stored_rows(store.path, "r_OWNS")
    assert [(r[0], r[2], r[3]) for r in rows] == [("A", 0.75, "2nd"), ("B", 0.75, "2nd")]


def test_new_file_gets_large_pages_and_an_old_file_keeps_its_own(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:  # a file made by other code, with 4 KB pages
        conn.execute("PRAGMA page_size=4096")
        conn.execute("CREATE TABLE unrelated (x)")
    for path, pages in ((tmp_path / "new.db", 16384), (old, 4096)):
        with EmbeddedStore(path) as store:
            store.write(GraphData([_firms(["A", "B"])], [_owns(["A"], ["B"])]))
            assert store.counts()["OWNS"] == 1
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA page_size").fetchone() == (pages,)


def test_columns_equal_to_each_other_are_both_stored(tmp_path: Path) -> None:
    """A SUPPLIES key that is its product in every row is bound once for both columns."""
    firms = _firms(["A", "B"])
    supplies = pd.DataFrame(
        {
            "src": ["A", "B", "A"],
            "dst": ["B", "A", "A"],
            "product": ["P1", "P2", "P3"],
            "key": ["P1", "P2", "P3"],
            "unit": ["t", "kg", "t"],
            "volume": [1.0, 2.0, 3.0],
        }
    )
    rel = RelFrame("SUPPLIES", "Firm", "Firm", with_provenance(supplies, source="t"))
    products = NodeFrame(
        "Product",
        with_provenance(
            pd.DataFrame({"id": ["P1", "P2", "P3"], "name_en": ["a", "b", "c"]}), source="t"
        ),
    )
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(GraphData([firms, products], [rel]))
        with sqlite3.connect(store.path) as conn:
            rows = conn.execute(
                'SELECT src, dst, key, product, unit, volume FROM "r_SUPPLIES" ORDER BY src, dst'
            ).fetchall()
    assert rows == [
        ("A", "A", "P3", "P3", "t", 3.0),
        ("A", "B", "P1", "P1", "t", 1.0),
        ("B", "A", "P2", "P2", "kg", 2.0),
    ]


def test_bulk_write_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    """A large write commits without SQLite's inline checkpoint: it is visible to other
    connections at once, and a background checkpoint copies it into the file."""
    path = tmp_path / "g.db"
    store = EmbeddedStore(path)
    try:
        store.write(GraphData([_firms([f"F{i:05d}" for i in range(30_000)])], []))
        with sqlite3.connect(path) as reader:  # a raw reader: it never checkpoints
            assert reader.execute('SELECT count(*) FROM "n_Firm"').fetchone() == (30_000,)
        assert store._checkpoint is not None
        store._checkpoint.join()
        assert path.stat().st_size > 2_000_000  # the rows are in the file, not only the log
        assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)
    finally:
        store.close()
