"""Bulk loads of Neo4jStore: bounded commits, and all or nothing all the same."""

from __future__ import annotations

import pandas as pd
import pytest

from chain_brain.store.neo4j import Neo4jStore
from graph_schema.errors import NotFoundError, StoreError, ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame, with_provenance

pytestmark = [pytest.mark.neo4j, pytest.mark.xdist_group("neo4j")]

T0 = "2026-01-01T00:00:00Z"
N = 300  # firms; with commit_rows=100 a load spans several transactions


def _prov(df: pd.DataFrame) -> pd.DataFrame:
    return with_provenance(df, source="t", snapshot="s", loaded_at=T0)


def _chain(n: int = N, *, ghost_at: int | None = None) -> GraphData:
    """Firms f0..f{n-1} and SUPPLIES f(i) -> f(i+1); row ``ghost_at`` points at a firm that
    does not exist."""
    ids = [f"f{i}" for i in range(n)]
    dst = ids[1:] + ids[:1]
    if ghost_at is not None:
        dst[ghost_at] = "ghost"
    firms = NodeFrame("Firm", _prov(pd.DataFrame({"id": ids, "name": ids})))
    sup = RelFrame(
        "SUPPLIES", "Firm", "Firm", _prov(pd.DataFrame({"src": ids, "dst": dst, "product": "x"}))
    )
    return GraphData([firms], [sup])


def _raw(store: Neo4jStore, query: str, **params: object) -> list[dict]:
    with store._session() as session:
        return [r.data() for r in session.run(query, **params)]  # type: ignore[arg-type]


def test_bulk_load_spans_commits_and_reads_back_exactly(neo: Neo4jStore) -> None:
    start = neo.revision()
    result = neo.write(_chain(), batch_size=40, commit_rows=100)
    assert result.nodes == N and result.rels == N
    counts = neo.counts()
    assert counts["Firm"] == N and counts["SUPPLIES"] == N
    # every commit counts as a change: at least 2 * N rows / 100 rows per commit
    assert neo.revision() - start >= 2 * N // 100
    assert neo.bulk_load_in_progress() is None
    sup = neo.snapshot().rel_frames("SUPPLIES")[0].data
    expected = {(f"f{i}", f"f{(i + 1) % N}") for i in range(N)}
    assert set(zip(sup["src"], sup["dst"], strict=True)) == expected


def test_bulk_load_properties_equal_in_every_row_read_back_on_every_row(neo: Neo4jStore) -> None:
    """A property with one value for every row (provenance, product, unit) is sent once;
    each relationship still carries it, next to the ones that vary (volume)."""
    data = _chain()
    sup = data.rels[0]
    sup.data["volume"] = [float(i) / 4 for i in range(N)]
    sup.data["unit"] = None  # missing in every row: no property at all
    neo.write(data, batch_size=40, commit_rows=100)
    got = (
        neo.snapshot()
        .rel_frames("SUPPLIES")[0]
        .data.sort_values("src", key=lambda c: c.str[1:].astype(int))
    )
    assert got["volume"].tolist() == [float(i) / 4 for i in range(N)]
    assert set(got["product"]) == {"x"} and set(got["source"]) == {"t"}
    assert set(got["snapshot"]) == {"s"} and set(got["loaded_at"]) == {T0}
    assert set(got["confidence"]) == {1.0}
    assert got["unit"].isna().all()
    props = _raw(neo, "MATCH ()-[r:SUPPLIES]->() RETURN keys(r) AS k LIMIT 1")[0]["k"]
    assert "unit" not in props and "product" in props


def test_bulk_load_failing_half_way_leaves_the_store_as_it_was(neo: Neo4jStore) -> None:
    neo.write(
        GraphData(
            [NodeFrame("Country", _prov(pd.DataFrame({"id": ["CHN"], "name_en": ["China"]})))]
        )
    )
    before = neo.counts()
    # the unknown end sits in the last batch: nodes and most relationships were committed
    with pytest.raises(ValidationError, match=r"1 unknown Firm id\(s\) at dst: 'ghost'"):
        neo.write(_chain(ghost_at=N - 1), batch_size=40, commit_rows=100)
    assert neo.counts() == before
    assert neo.bulk_load_in_progress() is None
    neo.write(_chain(), batch_size=40, commit_rows=100)  # the lease was released
    assert neo.counts()["SUPPLIES"] == N


def test_writes_into_stored_labels_take_one_transaction_and_merge(neo: Neo4jStore) -> None:
    neo.write(_chain(), commit_rows=100)
    neo.write(_chain(), batch_size=40, commit_rows=100)  # not empty: MERGE, no duplicates
    assert neo.counts()["Firm"] == N and neo.counts()["SUPPLIES"] == N
    with pytest.raises(ValidationError, match="ghost"):
        neo.write(_chain(ghost_at=5), batch_size=40, commit_rows=100)
    assert neo.counts()["SUPPLIES"] == N


def test_frames_repeating_rows_are_written_once(neo: Neo4jStore) -> None:
    first, second = _chain(), _chain()
    both = GraphData([*first.nodes, *second.nodes], [*first.rels, *second.rels])
    neo.write(both, batch_size=40, commit_rows=100)
    assert neo.counts()["Firm"] == N and neo.counts()["SUPPLIES"] == N


def test_a_dead_load_blocks_writes_until_abandoned(neo: Neo4jStore) -> None:
    neo.write(
        GraphData(
            [NodeFrame("Country", _prov(pd.DataFrame({"id": ["CHN"], "name_en": ["China"]})))]
        )
    )
    # a load whose process died after its first commit: some firms and its lease remain
    neo.write(_chain(n=10), commit_rows=None)
    _raw(
        neo,
        "MATCH (m:ChainBrainMeta {id: 'schema'}) SET m.bulk_token = 'dead', "
        "m.bulk_started = $at, m.bulk_labels = ['Firm'], m.bulk_rels = ['SUPPLIES:Firm']",
        at=T0,
    )
    with pytest.raises(StoreError, match="bulk load \\(dead"):
        neo.write(
            GraphData(
                [NodeFrame("Country", _prov(pd.DataFrame({"id": ["USA"], "name_en": ["USA"]})))]
            )
        )
    lease = neo.bulk_load_in_progress()
    assert lease is not None and lease["token"] == "dead" and lease["labels"] == ["Firm"]
    with pytest.raises(NotFoundError, match="'alive'"):
        neo.abandon_bulk_load("alive")
    assert neo.abandon_bulk_load("dead") == 20  # 10 SUPPLIES, then 10 firms
    counts = neo.counts()
    assert counts["Firm"] == 0 and counts["SUPPLIES"] == 0 and counts["Country"] == 1
    neo.write(
        GraphData([NodeFrame("Country", _prov(pd.DataFrame({"id": ["USA"], "name_en": ["USA"]})))])
    )
    assert neo.counts()["Country"] == 2


def test_commit_rows_must_be_positive(neo: Neo4jStore) -> None:
    with pytest.raises(ValidationError, match="commit_rows must be >= 1 or None, got 0"):
        neo.write(_chain(n=3), commit_rows=0)


def test_the_cli_shows_and_abandons_a_dead_load(neo: Neo4jStore, cli) -> None:  # noqa: ANN001
    neo.write(_chain(n=4), commit_rows=None)
    code, out, _ = cli("neo4j", "abandon-load", "--store", neo.uri)
    assert code == 0 and "no bulk load in progress" in out
    _raw(
        neo,
        "MATCH (m:ChainBrainMeta {id: 'schema'}) SET m.bulk_token = 'dead', "
        "m.bulk_started = $at, m.bulk_labels = ['Firm'], m.bulk_rels = ['SUPPLIES:Firm']",
        at=T0,
    )
    with pytest.raises(StoreError, match="chain-brain neo4j abandon-load dead"):
        neo.write(_chain(n=4), commit_rows=None)
    code, out, _ = cli("neo4j", "abandon-load", "--store", neo.uri)
    assert code == 0 and "dead" in out
    code, out, err = cli("neo4j", "abandon-load", "alive", "--store", neo.uri)
    assert code == 2 and "'alive'" in err
    code, out, _ = cli("neo4j", "abandon-load", "dead", "--store", neo.uri)
    assert code == 0 and "8 nodes and relationships removed" in out
    assert neo.bulk_load_in_progress() is None and neo.counts()["Firm"] == 0
