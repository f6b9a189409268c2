"""Weak links per segment: hand-computed values on the toy chain; min cuts against igraph
maxflow and networkx maximum matching."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from chain_brain.analytics.weak_links import (
    WeakLinkParams,
    find_weak_links,
    segment_members,
    segment_min_cut,
    segment_min_cuts,
)
from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.graph.samples import toy_chain
from graph_schema.errors import ValidationError


@pytest.fixture(scope="module")
def toy() -> ChainGraph:
    return ChainGraph.from_data(toy_chain())


def test_segment_members(toy: ChainGraph) -> None:
    m = segment_members(toy)
    got = {
        (str(toy.node_id[s]), toy.key_of(n), w)
        for s, n, w in zip(m["segment"], m["node"], m["weight"], strict=True)
    }
    assert got == {
        ("mining", "Firm:M1", 60.0),
        ("mining", "Firm:M2", 90.0),
        ("materials", "Firm:S2", 40.0),
        ("materials", "Firm:C1", 500.0),
        ("materials", "Plant:S1P", 80.0),
        ("assembly", "Firm:A1", 100.0),
    }


def test_weak_links_by_hand(toy: ChainGraph) -> None:
    t = find_weak_links(toy).set_index("segment_id")
    mining, materials, assembly = t.loc["mining"], t.loc["materials"], t.loc["assembly"]
    assert mining["capacity"] == 150 and mining["shipped"] == 150 and mining["demand"] == 150
    assert mining["utilisation"] == pytest.approx(1.0) and mining["flag_tight"]
    assert mining["n_suppliers"] == 2
    assert mining["hhi_firm"] == pytest.approx(0.52)
    assert mining["top_region"] == "WA" and mining["top_region_share"] == pytest.approx(0.6)
    # M1 -> S1P, M2 -> S1P, M2 -> S2: two nodes must fail to cut all deliveries
    assert mining["min_cut"] == 2
    # materials: S1P, S2 and C1 all deliver to A1 only -> A1 alone is the cut
    assert materials["capacity"] == 620 and materials["demand"] == 500
    assert materials["gap"] == 120
    assert materials["min_cut"] == 1 and materials["min_cut_nodes"] == "Firm:A1"
    assert materials["flag_fragile"]
    assert materials["n_suppliers"] == 3  # S1 (through its plant), S2, C1
    assert np.isnan(assembly["min_cut"])  # no customers downstream in the data
    assert mining["c_shortfall"] == 1.0 and materials["c_shortfall"] == 0.0
    assert materials["c_fragility"] == 1.0 and mining["c_fragility"] == 0.5
    assert t["is_weak_link"].all()
    assert "cuts every delivery" in materials["reason"]


def test_capacity_gap_flag() -> None:
    g = ChainGraph.from_data(toy_chain())
    t = find_weak_links(g, WeakLinkParams(utilisation_high=0.5)).set_index("segment_id")
    assert t.loc["materials", "flag_tight"]  # 500 / 620 > 0.5
    assert not t["flag_capacity_gap"].any()


def test_min_cut_against_igraph_and_networkx() -> None:
    rng = np.random.default_rng(4)
    for _ in range(30):
        s = rng.integers(0, 10, 25)
        c = rng.integers(100, 112, 25)
        value, cs, cc = segment_min_cut(s, c)
        flow, *_ = segment_min_cut(s, c, method="maxflow")
        b = nx.Graph()
        b.add_nodes_from(set(s.tolist()), bipartite=0)
        b.add_nodes_from(set(c.tolist()), bipartite=1)
        b.add_edges_from(zip(s.tolist(), c.tolist(), strict=True))
        matching = nx.bipartite.maximum_matching(b, top_nodes=set(s.tolist()))
        assert value == flow == len(matching) // 2
        cover = set(cs.tolist()) | set(cc.tolist())
        assert len(cover) == value
        assert all(a in cover or d in cover for a, d in zip(s, c, strict=True))


def test_grouped_min_cuts_equal_separate_ones() -> None:
    rng = np.random.default_rng(8)
    g = rng.integers(0, 6, 120)
    s = rng.integers(0, 10, 120)  # the same node ids recur in several groups
    c = rng.integers(50, 60, 120)
    cuts = segment_min_cuts(g, s, c)
    assert cuts.groups.tolist() == list(range(6))
    assert cuts.values.tolist() == [segment_min_cut(s[g == k], c[g == k])[0] for k in range(6)]


def test_bad_weak_link_parameters_are_refused_naming_the_value() -> None:
    with pytest.raises(ValidationError, match="region_share_high=1.5"):
        WeakLinkParams(region_share_high=1.5)
    with pytest.raises(ValidationError, match="min_suppliers"):
        WeakLinkParams(min_suppliers=0)
    with pytest.raises(ValidationError, match="Weak-link weights"):
        WeakLinkParams(weights={"shortfall": -1.0})
