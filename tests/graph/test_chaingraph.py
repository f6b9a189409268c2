"""ChainGraph projection: arrays against the hand-made toy chain and against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.graph.samples import graph_data, random_chain, toy_chain
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.model import NodeLabel, RelType


@pytest.fixture(scope="module")
def toy() -> ChainGraph:
    return ChainGraph.from_data(toy_chain())


def test_node_index_and_labels(toy: ChainGraph) -> None:
    assert toy.label_count[NodeLabel.FIRM] == 6
    assert toy.label_count[NodeLabel.PLANT] == 1
    s1p = toy.index_of("Plant", "S1P")
    assert toy.label_of(s1p) is NodeLabel.PLANT
    assert toy.key_of(s1p) == "Plant:S1P"
    assert toy.node_name[s1p] == "Steel 1 works"
    assert toy.indices_of(NodeLabel.FIRM, ["A1", "nope"]).tolist() == [
        toy.index_of("Firm", "A1"),
        -1,
    ]
    with pytest.raises(NotFoundError, match="'nope'"):
        toy.index_of("Firm", "nope")


def test_operator_country_region_and_capacity(toy: ChainGraph) -> None:
    s1, s1p = toy.index_of("Firm", "S1"), toy.index_of("Plant", "S1P")
    assert toy.node_operator[s1p] == s1
    assert toy.plants_of(s1).tolist() == [s1p]
    # the plant has no country of its own: it takes its region's (Hebei -> CHN)
    assert toy.country_of(np.array([s1p])).tolist() == ["CHN"]
    assert toy.region_of(np.array([s1p])).tolist() == ["HB"]
    m2 = toy.index_of("Firm", "M2")
    assert toy.is_domestic(np.array([s1p, m2])).tolist() == [True, False]
    assert toy.node_capacity[s1p] == 80.0
    assert toy.node_capacity[toy.index_of("Firm", "C1")] == 500.0


def test_supply_arrays_and_csr(toy: ChainGraph) -> None:
    assert toy.n_supply_edges == 6
    csr = toy.supply_csr
    a1 = toy.index_of("Firm", "A1")
    assert csr[:, a1].sum() == 500.0  # 70 steel + 30 steel + 400 chips
    m2 = toy.index_of("Firm", "M2")
    assert csr[m2].sum() == 90.0
    ore = toy.index_of("Product", "ore")
    assert set(toy.sup_product[toy.sup_src == m2].tolist()) == {ore}
    g = toy.igraph
    assert g.ecount() == 6 and g.vcount() == toy.n_nodes
    assert [e.tuple for e in g.es] == list(
        zip(toy.sup_src.tolist(), toy.sup_dst.tolist(), strict=True)
    )


def test_bom_matrix(toy: ChainGraph) -> None:
    a = toy.bom_matrix.toarray()
    loc = {
        p: int(toy.product_local(np.array([toy.index_of("Product", p)]))[0])
        for p in ("ore", "steel", "chip", "car")
    }
    assert a[loc["ore"], loc["steel"]] == 1.5
    assert a[loc["chip"], loc["car"]] == 4.0
    assert a.sum() == 6.5


def test_offers_take_capacity_else_shipments(toy: ChainGraph) -> None:
    o = toy.offers.set_index("node")
    assert o.loc[toy.index_of("Firm", "S2"), "weight"] == 40.0  # capacity, not 30 shipped
    ps = dict(zip(toy.node_id[toy.product_nodes], toy.product_supply, strict=True))
    assert ps == {"ore": 150.0, "steel": 120.0, "chip": 500.0, "car": 100.0, "alu": 0.0}


def test_networkx_export_matches_arrays() -> None:
    g = ChainGraph.from_data(random_chain(300, 2_000, seed=3))
    nxg = g.to_networkx()
    assert nxg.number_of_edges() == g.n_supply_edges
    vol = nx.to_scipy_sparse_array(nxg, nodelist=range(g.n_nodes), weight="volume")
    assert np.allclose(vol.toarray(), g.supply_csr.toarray())
    deg = np.bincount(g.sup_src, minlength=g.n_nodes)
    assert [d for _, d in sorted(nxg.out_degree())] == deg.tolist()


def test_unknown_endpoint_is_rejected() -> None:
    data = graph_data(
        {NodeLabel.FIRM: [{"id": "A", "name": "A"}]},
        [(RelType.SUPPLIES, NodeLabel.FIRM, NodeLabel.FIRM, [{"src": "A", "dst": "ghost"}])],
    )
    with pytest.raises(ValidationError, match="'ghost'"):
        ChainGraph.from_data(data)


def test_as_of_filters_supplies_and_located_in_country() -> None:
    data = graph_data(
        {
            NodeLabel.FIRM: [{"id": "A", "name": "A"}, {"id": "B", "name": "B"}],
            NodeLabel.COUNTRY: [{"id": "KOR", "name_en": "Korea"}],
        },
        [
            (
                RelType.SUPPLIES,
                NodeLabel.FIRM,
                NodeLabel.FIRM,
                pd.DataFrame(
                    {
                        "src": ["A", "A"],
                        "dst": ["B", "B"],
                        "product": ["x", "y"],
                        "volume": [1.0, 2.0],
                        "valid_from": ["2020-01-01", "2024-01-01"],
                        "valid_to": ["2022-12-31", None],
                    }
                ),
            ),
            (RelType.LOCATED_IN, NodeLabel.FIRM, NodeLabel.COUNTRY, [{"src": "A", "dst": "kor"}]),
        ],
    )
    g = ChainGraph.from_data(data, as_of="2025-06-01", home_countries={"chn"})
    assert g.sup_volume.tolist() == [2.0]
    assert g.country_of(np.array([0, 1])).tolist() == ["KOR", None]
    assert g.home_countries == frozenset({"CHN"})
    assert ChainGraph.from_data(data).n_supply_edges == 2


def test_repeated_node_ids_keep_the_first_row() -> None:
    from graph_schema.frames import GraphData, NodeFrame

    firms = pd.DataFrame({"id": ["A", "B", "A"], "name": ["first A", "B", "second A"]})
    g = ChainGraph.from_data(GraphData([NodeFrame("Firm", firms)]))
    assert g.label_count[NodeLabel.FIRM] == 2
    assert g.node_name[g.index_of("Firm", "A")] == "first A"
    unique = ChainGraph.from_data(GraphData([NodeFrame("Firm", firms.iloc[:2])]))
    assert unique.node_id.tolist() == ["A", "B"]
