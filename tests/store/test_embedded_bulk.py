"""A large first load builds the embedded store's indexes after the rows, atomically."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from chain_brain.store import Scope
from chain_brain.store.embedded import EmbeddedStore
from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData, RelFrame
from ingest.synthetic import generate


def _indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")
        return {r[0] for r in rows}


def test_bulk_load_keeps_indexes_and_rows(tmp_path: Path) -> None:
    data = generate(n_firms=1_000, n_edges=25_000, n_industries=40, n_chains=6, seed=3)
    path = tmp_path / "bulk.db"
    with EmbeddedStore(path) as store:
        store.init()
        before = _indexes(path)
        store.write(data)
        counts = store.counts()
        snap = store.snapshot()
        sub = store.snapshot(Scope(region="CHN"))
    assert _indexes(path) == before and "r_SUPPLIES_dst" in before
    assert counts["SUPPLIES"] == 25_000
    got = pd.concat([f.data for f in snap.rel_frames("SUPPLIES")])
    want = pd.concat([f.data for f in data.rel_frames("SUPPLIES")])
    key = ["src", "dst", "key"]
    assert sorted(map(tuple, got[key].to_numpy())) == sorted(map(tuple, want[key].to_numpy()))
    assert len(sub.node_table("Firm")) > 0


def test_failed_bulk_load_rolls_back_rows_and_indexes(tmp_path: Path) -> None:
    data = generate(n_firms=1_000, n_edges=25_000, n_industries=40, n_chains=6, seed=3)
    bad = RelFrame(
        "OWNS",
        "Firm",
        "Firm",
        pd.DataFrame({"src": ["ghost-firm"], "dst": [data.node_table("Firm")["id"].iloc[0]]}),
    )
    path = tmp_path / "bulk.db"
    with EmbeddedStore(path) as store:
        store.init()
        before = _indexes(path)
        with pytest.raises(ValidationError, match="ghost-firm"):
            store.write(GraphData(list(data.nodes), [*data.rels, bad]))
        assert sum(store.counts().values()) == 0
    assert _indexes(path) == before
