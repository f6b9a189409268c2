"""Neo4j-specific behaviour of Neo4jStore (the shared contract lives in test_contract.py)."""

from __future__ import annotations

import socket

import neo4j
import numpy as np
import pandas as pd
import pytest

from chain_brain.store import cypher, open_store
from chain_brain.store.neo4j import Neo4jStore
from graph_schema.errors import SchemaVersionError, StoreUnavailableError, ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame, with_provenance
from graph_schema.migrations import SCHEMA_VERSION
from graph_schema.model import NodeLabel, RelType

pytestmark = [pytest.mark.neo4j, pytest.mark.xdist_group("neo4j")]

T0 = "2026-01-01T00:00:00Z"


def _firms(**cols: list) -> NodeFrame:
    return NodeFrame(
        "Firm", with_provenance(pd.DataFrame(cols), source="t", snapshot="s", loaded_at=T0)
    )


def _raw(store: Neo4jStore, query: str, **params: object) -> list[dict]:
    with store._session() as session:
        return [r.data() for r in session.run(query, **params)]  # type: ignore[arg-type]


def test_unreachable_server_names_the_uri() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: nothing answers there
    uri = f"bolt://127.0.0.1:{port}"
    with pytest.raises(StoreUnavailableError, match=f"127.0.0.1:{port}"):
        open_store(uri)


def test_nan_removes_a_property_and_absent_keeps_it(neo: Neo4jStore) -> None:
    neo.write(GraphData([_firms(id=["a"], name=["A"], country=["CHN"], name_en=["A Co"])]))
    neo.write(GraphData([_firms(id=["a"], name=["A"], country=[np.nan])]))
    node = neo.get_node("Firm", "a")
    assert "country" not in node  # given as NaN: removed
    assert node["name_en"] == "A Co"  # not given: kept
    rows = _raw(neo, "MATCH (n:Firm {id: 'a'}) RETURN n.country AS c, n.name_en AS e")
    assert rows == [{"c": None, "e": "A Co"}]


def test_lists_are_stored_as_lists_and_ints_as_integers(neo: Neo4jStore) -> None:
    neo.write(
        GraphData(
            [
                _firms(id=["a"], name=["A"], aliases=[("Alpha", "阿尔法")]),
                NodeFrame(
                    "Plant",
                    with_provenance(
                        pd.DataFrame({"id": ["p"], "name": ["P"], "start_year": [np.int64(1998)]}),
                        source="t",
                        snapshot="s",
                        loaded_at=T0,
                    ),
                ),
            ]
        )
    )
    rows = _raw(
        neo,
        "MATCH (f:Firm {id: 'a'}), (p:Plant {id: 'p'}) "
        "RETURN f.aliases AS aliases, valueType(f.aliases) AS t, valueType(p.start_year) AS y",
    )
    assert rows[0]["aliases"] == ["Alpha", "阿尔法"]
    assert rows[0]["t"].startswith("LIST<STRING")
    assert rows[0]["y"].startswith("INTEGER")


def test_write_rolls_back_nodes_when_a_later_frame_fails(neo: Neo4jStore) -> None:
    data = GraphData(
        [_firms(id=["a", "b"], name=["A", "B"])],
        [
            RelFrame(
                "SUPPLIES",
                "Firm",
                "Firm",
                with_provenance(
                    pd.DataFrame({"src": ["a", "a"], "dst": ["b", "ghost"], "product": ["x", "x"]}),
                    source="t",
                    snapshot="s",
                    loaded_at=T0,
                ),
            )
        ],
    )
    with pytest.raises(ValidationError, match=r"1 unknown Firm id\(s\) at dst: 'ghost'"):
        neo.write(data)
    assert neo.counts()["Firm"] == 0 and neo.counts()["SUPPLIES"] == 0


def test_relationship_key_and_provenance_are_properties(neo: Neo4jStore) -> None:
    neo.write(
        GraphData(
            [_firms(id=["a", "b"], name=["A", "B"])],
            [
                RelFrame(
                    "SUPPLIES",
                    "Firm",
                    "Firm",
                    with_provenance(
                        pd.DataFrame(
                            {"src": ["a"], "dst": ["b"], "product": ["steel"], "volume": [2.5]}
                        ),
                        source="t",
                        snapshot="s",
                        loaded_at=T0,
                    ),
                )
            ],
        )
    )
    rows = _raw(
        neo, "MATCH (:Firm {id:'a'})-[r:SUPPLIES]->(:Firm {id:'b'}) RETURN properties(r) AS p"
    )
    assert len(rows) == 1
    p = rows[0]["p"]
    assert p["key"] == "steel" and p["product"] == "steel" and p["volume"] == 2.5
    assert p["source"] == "t" and p["snapshot"] == "s" and "src" not in p and "dst" not in p


def test_init_creates_constraints_and_records_the_version(neo: Neo4jStore) -> None:
    assert neo.init() == SCHEMA_VERSION
    names = {r["name"] for r in _raw(neo, "SHOW CONSTRAINTS YIELD name")}
    assert {"firm_id", "plant_id", "chain_brain_meta_id"} <= names
    meta = _raw(neo, "MATCH (m:ChainBrainMeta {id: 'schema'}) RETURN m.version AS v")
    assert meta == [{"v": SCHEMA_VERSION}]


def test_another_schema_version_is_refused(neo: Neo4jStore) -> None:
    _raw(neo, "MATCH (m:ChainBrainMeta {id: 'schema'}) SET m.version = $v", v=SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError, match=f"schema version {SCHEMA_VERSION + 1}"):
        Neo4jStore(neo.uri)


def test_an_older_schema_version_is_migrated_by_init(neo: Neo4jStore) -> None:
    _raw(neo, "MATCH (m:ChainBrainMeta {id: 'schema'}) SET m.version = $v", v=SCHEMA_VERSION - 1)
    with pytest.raises(SchemaVersionError, match="chain-brain init"):
        Neo4jStore(neo.uri)
    migrating = Neo4jStore(neo.uri, migrate=True)
    try:
        assert migrating.init() == SCHEMA_VERSION
    finally:
        migrating.close()
    Neo4jStore(neo.uri).close()  # opens normally again
    _raw(neo, "MATCH (m:ChainBrainMeta {id: 'schema'}) SET m.version = $v", v=SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError, match="upgrade chain-brain"):
        Neo4jStore(neo.uri, migrate=True)


def test_init_of_a_version_2_database_drops_the_relationship_lookups(neo: Neo4jStore) -> None:
    _raw(neo, "CREATE INDEX supplies_source IF NOT EXISTS FOR ()-[r:SUPPLIES]-() ON (r.source)")
    _raw(neo, "MERGE (m:ChainBrainMeta {id: 'schema'}) SET m.version = 2")
    migrating = Neo4jStore(neo.uri, migrate=True)
    try:
        assert migrating.init() == SCHEMA_VERSION
    finally:
        migrating.close()
    names = {r["name"] for r in _raw(neo, "SHOW INDEXES YIELD name")}
    assert "supplies_source" not in names
    assert {"supplies_product", "firm_source", "firm_snapshot"} <= names


def test_a_passed_in_driver_is_used_and_left_open(neo: Neo4jStore) -> None:
    driver = neo4j.GraphDatabase.driver(neo.uri)
    try:
        store = Neo4jStore(neo.uri, driver=driver)
        store.write(GraphData([_firms(id=["d"], name=["D"])]))
        store.close()
        assert (
            driver.execute_query("MATCH (n:Firm {id: 'd'}) RETURN count(n) AS n").records[0]["n"]
            == 1
        )
    finally:
        driver.close()


def test_large_write_spans_batches_in_one_transaction(neo: Neo4jStore) -> None:
    n = 2_500
    ids = [f"f{i}" for i in range(n)]
    firms = _firms(id=ids, name=ids)
    rels = RelFrame(
        "SUPPLIES",
        "Firm",
        "Firm",
        with_provenance(
            pd.DataFrame({"src": ids[:-1], "dst": ids[1:], "product": "x"}),
            source="t",
            snapshot="s",
            loaded_at=T0,
        ),
    )
    result = neo.write(GraphData([firms], [rels]), batch_size=700)
    assert result.nodes == n and result.rels == n - 1
    snap = neo.snapshot()
    sup = snap.rel_frames("SUPPLIES")[0].data
    assert len(sup) == n - 1
    assert set(zip(sup["src"], sup["dst"], strict=True)) == set(zip(ids[:-1], ids[1:], strict=True))


def test_cypher_takes_labels_only_from_the_schema() -> None:
    assert "MERGE (n:Firm {id: $cols.id[i]}) SET n.`name` = $cols.`name`[i]" in (
        cypher.merge_nodes(NodeLabel.FIRM, ["id", "name"])
    )
    assert ":SUPPLIES" in cypher.merge_rels(RelType.SUPPLIES, NodeLabel.FIRM, NodeLabel.PLANT, [])
    with pytest.raises(ValueError, match="Firm\\) DETACH"):
        cypher.merge_nodes("Firm) DETACH DELETE (x", ["id"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name"):
        cypher.delete_nodes_where(NodeLabel.FIRM, "name")


def test_first_load_creates_and_repeated_rows_across_frames_merge(neo: Neo4jStore) -> None:
    def sup(dst: list[str]) -> RelFrame:
        df = pd.DataFrame({"src": ["a"] * len(dst), "dst": dst, "product": "x"})
        return RelFrame(
            "SUPPLIES", "Firm", "Firm", with_provenance(df, source="t", snapshot="s", loaded_at=T0)
        )

    # the first frame finds no SUPPLIES yet (CREATE path), the second repeats one of its rows
    neo.write(
        GraphData([_firms(id=["a", "b", "c"], name=["A", "B", "C"])], [sup(["b"]), sup(["b", "c"])])
    )
    assert neo.counts()["SUPPLIES"] == 2
    neo.write(GraphData([], [sup(["b", "c"])]))
    assert neo.counts()["SUPPLIES"] == 2
