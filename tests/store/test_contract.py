"""One contract, two backends: every test runs against the embedded store and Neo4j."""

from __future__ import annotations

import pandas as pd
import pytest

from chain_brain.store import GraphStore, RunRecord, Scope
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.frames import GraphData
from sample_graphs import _nodes, _rels, small_chain


def test_init_records_the_schema_version(store: GraphStore) -> None:
    from graph_schema.migrations import SCHEMA_VERSION

    assert store.init() == SCHEMA_VERSION
    assert store.schema_version() == SCHEMA_VERSION


def test_write_then_counts(store: GraphStore) -> None:
    result = store.write(small_chain())
    assert result.nodes == 15 and result.rels == 17
    counts = store.counts()
    assert counts["Firm"] == 4 and counts["SUPPLIES"] == 3 and counts["LOCATED_IN"] == 4
    assert counts["SUBSTITUTES"] == 0


def test_write_is_idempotent(store: GraphStore) -> None:
    store.write(small_chain())
    first = store.counts()
    store.write(small_chain())
    assert store.counts() == first


def test_upsert_updates_given_properties_and_keeps_others(store: GraphStore) -> None:
    store.write(small_chain())
    store.write(GraphData([_nodes("Firm", id=["mill"], name=["Mill Company"])]))
    node = store.get_node("Firm", "mill")
    assert node["name"] == "Mill Company"
    assert node["country"] == "CHN"  # not given, kept


def test_snapshot_round_trips_values(store: GraphStore) -> None:
    store.write(small_chain())
    snap = store.snapshot()
    firms = snap.node_table("Firm").set_index("id")
    assert firms.loc["ore", "name"] == "矿业有限公司"
    assert list(firms.loc["lead", "aliases"]) == ["链长"]
    sup = pd.concat([f.data for f in snap.rel_frames("SUPPLIES")]).set_index(["src", "dst"])
    assert sup.loc[("ore", "mill"), "volume"] == pytest.approx(100.0)
    assert sup.loc[("ore", "mill"), "key"] == "iron-ore"
    req = snap.rel_frames("REQUIRES")[0].data
    assert req.loc[0, "quantity"] == pytest.approx(1.6)


def test_parallel_edges_are_told_apart_by_key(store: GraphStore) -> None:
    store.write(small_chain())
    store.write(GraphData([], [_rels("SUPPLIES", "Firm", "Firm", src=["ore"], dst=["mill"], product=["steel"], volume=[5.0])]))
    assert store.counts()["SUPPLIES"] == 4


def test_relationship_to_unknown_node_is_refused_and_nothing_is_written(store: GraphStore) -> None:
    store.write(small_chain())
    before = store.counts()
    bad = GraphData(
        [_nodes("Firm", id=["newcomer"], name=["Newcomer"])],
        [_rels("SUPPLIES", "Firm", "Firm", src=["newcomer"], dst=["ghost-firm"], product=["steel"])],
    )
    with pytest.raises(ValidationError, match="ghost-firm"):
        store.write(bad)
    assert store.counts() == before
    with pytest.raises(NotFoundError):
        store.get_node("Firm", "newcomer")


def test_missing_id_is_refused_naming_the_row(store: GraphStore) -> None:
    bad = GraphData([_nodes("Firm", id=["ok", None], name=["OK", "No id"])])
    with pytest.raises(ValidationError, match="missing_id"):
        store.write(bad)
    assert store.counts()["Firm"] == 0


def test_out_of_range_value_is_refused(store: GraphStore) -> None:
    store.write(small_chain())
    bad = GraphData([], [_rels("PRODUCES", "Plant", "Product", src=["mill-p1"], dst=["steel"], process=["EAF"], capacity=[-5.0])])
    with pytest.raises(ValidationError, match="capacity=-5"):
        store.write(bad)
    assert store.counts()["PRODUCES"] == 1


def test_delete_source_removes_its_facts_and_dangling_edges(store: GraphStore) -> None:
    store.write(small_chain())
    other = GraphData(
        [_nodes("Firm", source="survey", snapshot="s2", id=["x"], name=["X"])],
        [_rels("SUPPLIES", "Firm", "Firm", source="survey", snapshot="s2", src=["x"], dst=["lead"], product=["steel"])],
    )
    store.write(other)
    assert store.counts()["Firm"] == 5
    removed = store.delete_source("survey")
    assert removed == 2
    counts = store.counts()
    assert counts["Firm"] == 4 and counts["SUPPLIES"] == 3


def test_delete_snapshot(store: GraphStore) -> None:
    store.write(small_chain())
    store.write(GraphData([_nodes("Firm", snapshot="s9", id=["late"], name=["Late"])]))
    assert store.delete_snapshot("s9") == 1
    assert store.counts()["Firm"] == 4


def test_scoped_snapshots(store: GraphStore) -> None:
    store.write(small_chain())
    up = store.snapshot(Scope(focus="maker", tiers=1, direction="up"))
    assert set(up.node_table("Firm")["id"]) == {"maker", "mill"}
    two = store.snapshot(Scope(focus="maker", tiers=2, direction="up"))
    assert set(two.node_table("Firm")["id"]) == {"maker", "mill", "ore"}
    assert set(two.node_table("Plant")["id"]) == {"mill-p1"}  # a firm stands with its plants
    down = store.snapshot(Scope(focus="mill", tiers=5, direction="down"))
    assert set(down.node_table("Firm")["id"]) == {"mill", "maker", "lead"}
    region = store.snapshot(Scope(region="CHN"))
    assert set(region.node_table("Firm")["id"]) == {"mill", "maker", "lead"}
    chain = store.snapshot(Scope(chain="steel"))
    assert set(chain.node_table("Product")["id"]) == {"iron-ore", "steel"}
    assert "mill-p1" in set(chain.node_table("Plant")["id"])


def test_as_of_snapshot_answers_history(store: GraphStore) -> None:
    store.write(small_chain())
    in_2016 = store.snapshot(Scope(as_of="2016-06-30"))
    pairs = {(r.src, r.dst) for f in in_2016.rel_frames("SUPPLIES") for r in f.data.itertuples()}
    assert pairs == {("ore", "mill"), ("mill", "maker")}
    in_2021 = store.snapshot(Scope(as_of="2021-06-30"))
    pairs = {(r.src, r.dst) for f in in_2021.rel_frames("SUPPLIES") for r in f.data.itertuples()}
    assert pairs == {("ore", "mill"), ("maker", "lead")}


def test_unknown_focus_is_not_found(store: GraphStore) -> None:
    store.write(small_chain())
    with pytest.raises(NotFoundError, match="nobody"):
        store.snapshot(Scope(focus="nobody"))


def test_search_nodes_in_chinese_and_english(store: GraphStore) -> None:
    store.write(small_chain())
    assert list(store.search_nodes("Firm", "矿业")["id"]) == ["ore"]
    assert list(store.search_nodes("Firm", "MILL")["id"]) == ["mill"]


def test_runs_round_trip(store: GraphStore) -> None:
    table = pd.DataFrame({"product": ["steel", "iron-ore"], "score": [0.9, 0.4]})
    run = RunRecord("analysis", "r1", params={"chain": "steel"}, summary={"n": 2}, tables={"chokepoints": table})
    store.save_run(run)
    store.save_run(RunRecord("analysis", "r2", summary={"n": 0}))
    back = store.load_run("analysis", "r1")
    assert back.params == {"chain": "steel"} and back.summary == {"n": 2}
    pd.testing.assert_frame_equal(back.tables["chokepoints"], table)
    assert {r.id for r in store.list_runs("analysis")} == {"r1", "r2"}
    store.delete_run("analysis", "r2")
    with pytest.raises(NotFoundError, match="r2"):
        store.load_run("analysis", "r2")


def test_existing_ids(store: GraphStore) -> None:
    store.write(small_chain())
    assert store.existing_ids("Firm", ["ore", "ghost", "lead", "ore"]) == {"ore", "lead"}
    assert store.existing_ids("Plant", ["ore"]) == set()
    assert store.existing_ids("Firm", []) == set()


def test_missing_integers_round_trip_as_missing(store: GraphStore) -> None:
    store.write(GraphData([_nodes("Plant", id=["p1", "p2"], name=["P1", "P2"], start_year=[1999, None])]))
    plants = store.snapshot().node_table("Plant").set_index("id")
    assert int(plants.loc["p1", "start_year"]) == 1999
    assert pd.isna(plants.loc["p2", "start_year"])


def test_search_with_empty_text_lists_every_node_up_to_the_limit(store: GraphStore) -> None:
    store.write(small_chain())
    assert list(store.search_nodes("Firm", "", limit=100)["id"]) == ["lead", "maker", "mill", "ore"]
    assert len(store.search_nodes("Firm", "", limit=2)) == 2


def test_a_bad_scope_is_refused_when_made() -> None:
    with pytest.raises(ValidationError, match="tiers must be >= 0, got -1"):
        Scope(focus="x", tiers=-1)
    with pytest.raises(ValidationError, match="'sideways'"):
        Scope(focus="x", direction="sideways")  # type: ignore[arg-type]


def test_revision_counts_graph_changes_only(store: GraphStore) -> None:
    start = store.revision()
    store.write(small_chain())
    after_write = store.revision()
    assert after_write > start
    with pytest.raises(ValidationError):
        store.write(GraphData([_nodes("Firm", id=[None], name=["No id"])]))
    assert store.revision() == after_write  # a refused write changes nothing
    store.save_run(RunRecord("analysis", "r1", summary={"n": 1}))
    assert store.revision() == after_write  # runs are not graph facts
    assert store.delete_snapshot("no-such-snapshot") == 0
    assert store.revision() == after_write
    store.write(GraphData([_nodes("Firm", snapshot="s9", id=["late"], name=["Late"])]))
    assert store.delete_snapshot("s9") == 1
    after_delete = store.revision()
    assert after_delete >= after_write + 2
    store.clear()
    assert store.revision() > after_delete
