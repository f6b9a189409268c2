"""Incremental and historical loads: the same file twice changes nothing; a newer snapshot of a
source retires the facts it no longer states, and "what did the chain look like then?" is
answered by ``Scope(as_of=...)``."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain_brain.services.loading import ingest_file
from chain_brain.store import GraphStore, Scope
from graph_schema.errors import ValidationError

MAPPING = """
source: supplier survey
nodes:
  - label: Firm
    id: "f:{supplier}"
    properties: {name: supplier}
  - label: Firm
    id: "f:{customer}"
    properties: {name: customer}
relationships:
  - type: SUPPLIES
    from: {label: Firm, id: "f:{supplier}"}
    to: {label: Firm, id: "f:{customer}"}
    properties:
      product: product
      valid_from: since
"""


def survey(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("supplier,customer,product,since\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def edges(store: GraphStore, as_of: str | None = None) -> set[tuple[str, str, str]]:
    snap = store.snapshot(Scope(as_of=as_of) if as_of else None)
    return {(r.src, r.dst, r.key) for f in snap.rel_frames("SUPPLIES") for r in f.data.itertuples()}


def test_snapshots_retire_and_history_answers(store: GraphStore, tmp_path: Path) -> None:
    mapping = tmp_path / "survey.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    first = survey(tmp_path, "2015.csv", ["A,C,chips,2014-01-01", "B,C,glass,2014-01-01"])
    ingest_file(store, first, mapping, retire=True, as_of="2015-01-01")
    counts = store.counts()
    ingest_file(store, first, mapping, retire=True, as_of="2015-01-01")
    assert store.counts() == counts  # the same file twice changes nothing

    second = survey(tmp_path, "2018.csv", ["A,C,chips,2014-01-01", "D,C,glass,2018-01-01"])
    report = ingest_file(store, second, mapping, retire=True, as_of="2018-01-01")
    assert report.retired == 1  # B no longer supplies glass
    assert edges(store, "2016-06-30") == {("f:A", "f:C", "chips"), ("f:B", "f:C", "glass")}
    assert edges(store, "2018-06-30") == {("f:A", "f:C", "chips"), ("f:D", "f:C", "glass")}
    assert len(edges(store)) == 3  # nothing is deleted: B's edge is closed, not lost
    b = [f.data for f in store.snapshot().rel_frames("SUPPLIES")]
    closed = {(r.src, r.valid_to) for d in b for r in d.itertuples() if isinstance(r.valid_to, str)}
    assert closed == {("f:B", "2017-12-31")}


def test_a_bad_snapshot_date_is_refused_before_writing(store: GraphStore, tmp_path: Path) -> None:
    mapping = tmp_path / "survey.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    ingest_file(store, survey(tmp_path, "a.csv", ["A,C,chips,2014-01-01"]), mapping, retire=True, as_of="2015-01-01")
    before = store.counts()
    with pytest.raises(ValidationError, match="2015-13-01"):
        ingest_file(store, survey(tmp_path, "b.csv", ["E,C,chips,2014-01-01"]), mapping, retire=True, as_of="2015-13-01")
    assert store.counts() == before
