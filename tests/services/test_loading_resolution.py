"""Loads that resolve firms: two spellings of one supplier end as one Firm with its edges
re-pointed, the merge is recorded with its score and evidence, and undoing it restores the
firms and edges the load would have written without resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain_brain.services.loading import RESOLUTION_RUN_KIND, ingest_file, undo_merges
from chain_brain.store import GraphStore
from graph_schema.errors import NotFoundError
from sample_graphs import survey


def firms(store: GraphStore) -> dict[str, object]:
    table = store.snapshot().node_table("Firm")
    aliases = table["aliases"] if "aliases" in table.columns else [None] * len(table)
    return {
        i: (list(a) if a is not None and not isinstance(a, float) else None)
        for i, a in zip(table["id"], aliases, strict=True)
    }


def edges(store: GraphStore) -> set[tuple[str, str, str]]:
    return {
        (r.src, r.dst, r.key)
        for f in store.snapshot().rel_frames("SUPPLIES")
        for r in f.data.itertuples()
    }


BATCH = [
    'S1,"Catcher Technology Co., Ltd.",C1,Northwind Computers Inc.,chassis,2020-01-01',
    "S2,CATCHER TECHNOLOGY COMPANY LIMITED,C2,Blue Harbor Devices Corp.,housing,2020-01-01",
    "S3,Compal Electronics Inc.,C1,Northwind Computers Inc.,laptops,2020-01-01",
]


def test_two_spellings_in_one_batch_merge_and_undo_restores(
    store: GraphStore, tmp_path: Path
) -> None:
    path, mapping = survey(tmp_path, "survey.csv", BATCH)
    report = ingest_file(store, path, mapping, resolve=True, embeddings=False)
    assert report.firms_merged == 1
    assert report.rels_repointed == 1
    assert firms(store) == {
        "f:S1": ["CATCHER TECHNOLOGY COMPANY LIMITED"],
        "f:S3": None,
        "f:C1": None,
        "f:C2": None,
    }
    assert edges(store) == {
        ("f:S1", "f:C1", "chassis"),
        ("f:S1", "f:C2", "housing"),
        ("f:S3", "f:C1", "laptops"),
    }
    firm_row = report.table.set_index("entity").loc["Firm"]
    assert (firm_row["loaded"], firm_row["merged"]) == (4, 1 + 1)  # + C1 stated twice

    run = store.load_run(RESOLUTION_RUN_KIND, str(report.resolution_run))
    merge = run.tables["merges"].iloc[0]
    assert {merge["left_id"], merge["right_id"]} == {"f:S1", "f:S2"}
    assert 0.72 <= merge["score"] <= 1.0
    assert "catcher" in merge["shared_tokens"]
    assert merge["method"] in ("exact_key", "lexical")

    assert undo_merges(store, str(report.resolution_run)) == 1
    assert firms(store) == {"f:S1": None, "f:S2": None, "f:S3": None, "f:C1": None, "f:C2": None}
    assert edges(store) == {
        ("f:S1", "f:C1", "chassis"),
        ("f:S2", "f:C2", "housing"),
        ("f:S3", "f:C1", "laptops"),
    }
    assert store.get_node("Firm", "f:S2")["name"] == "CATCHER TECHNOLOGY COMPANY LIMITED"
    with pytest.raises(NotFoundError, match="resolution"):
        undo_merges(store, str(report.resolution_run))


def test_new_spelling_merges_into_the_stored_firm(store: GraphStore, tmp_path: Path) -> None:
    first, mapping = survey(tmp_path, "first.csv", BATCH[:1] + BATCH[2:])
    ingest_file(store, first, mapping)
    second, _ = survey(
        tmp_path,
        "second.csv",
        ["X9,CATCHER TECHNOLOGY COMPANY LIMITED,C5,Blue Harbor Devices Corp.,housing,2021-01-01"],
    )
    report = ingest_file(store, second, mapping, resolve=True, embeddings=False)
    assert report.firms_merged == 1
    assert store.get_node("Firm", "f:S1")["name"] == "Catcher Technology Co., Ltd."
    assert firms(store)["f:S1"] == ["CATCHER TECHNOLOGY COMPANY LIMITED"]
    assert "f:X9" not in firms(store)
    assert ("f:S1", "f:C5", "housing") in edges(store)
    counts = store.counts()

    again = ingest_file(store, second, mapping, resolve=True, embeddings=False)
    assert again.firms_merged == 1
    assert store.counts() == counts  # the same file twice changes nothing
    assert firms(store)["f:S1"] == ["CATCHER TECHNOLOGY COMPANY LIMITED"]

    assert again.resolution_run != report.resolution_run
    undo_merges(store, str(again.resolution_run))  # back to how the first load left S1
    assert firms(store)["f:S1"] == ["CATCHER TECHNOLOGY COMPANY LIMITED"]
    undo_merges(store, str(report.resolution_run))  # and back to before any merge
    assert firms(store)["f:S1"] is None
    assert firms(store)["f:X9"] is None
    assert edges(store) == {
        ("f:S1", "f:C1", "chassis"),
        ("f:S3", "f:C1", "laptops"),
        ("f:X9", "f:C5", "housing"),
    }


def test_a_restated_edge_is_not_taken_back_with_the_merge(
    store: GraphStore, tmp_path: Path
) -> None:
    rows = [
        *BATCH,
        'S1,"Catcher Technology Co., Ltd.",C2,Blue Harbor Devices Corp.,housing,2020-01-01',
    ]
    path, mapping = survey(tmp_path, "survey.csv", rows)
    report = ingest_file(store, path, mapping, resolve=True, embeddings=False)
    assert report.rels_repointed == 1
    supplies = report.table.set_index("entity").loc["SUPPLIES(Firm->Firm)"]
    assert (supplies["loaded"], supplies["merged"]) == (3, 1)  # S2's edge repeats S1's
    undo_merges(store, str(report.resolution_run))
    assert ("f:S1", "f:C2", "housing") in edges(store)  # stated directly: it stays
    assert ("f:S2", "f:C2", "housing") in edges(store)


def test_dry_run_reports_merges_and_writes_nothing(store: GraphStore, tmp_path: Path) -> None:
    path, mapping = survey(tmp_path, "survey.csv", BATCH)
    report = ingest_file(store, path, mapping, resolve=True, embeddings=False, dry_run=True)
    assert report.firms_merged == 1
    assert report.resolution_run is None
    assert store.counts()["Firm"] == 0
    assert store.list_runs(RESOLUTION_RUN_KIND) == []


def test_a_newer_snapshot_retires_a_re_pointed_edge(store: GraphStore, tmp_path: Path) -> None:
    path, mapping = survey(tmp_path, "2020.csv", BATCH)
    ingest_file(
        store, path, mapping, resolve=True, embeddings=False, retire=True, as_of="2020-06-01"
    )
    newer, _ = survey(tmp_path, "2021.csv", [BATCH[0], BATCH[2]])
    report = ingest_file(
        store, newer, mapping, resolve=True, embeddings=False, retire=True, as_of="2021-01-01"
    )
    assert report.retired == 1  # S2 (merged into S1) no longer supplies housing
    closed = {
        (r.src, r.dst, r.key, r.valid_to)
        for f in store.snapshot().rel_frames("SUPPLIES")
        for r in f.data.itertuples()
        if isinstance(r.valid_to, str)
    }
    assert closed == {("f:S1", "f:C2", "housing", "2020-12-31")}
