"""Sole sources, dominators, cut vertices, bridges, betweenness and importance against
networkx and hand-computed answers."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from chain_brain.analytics.structure import (
    estimate_betweenness,
    find_articulation_points,
    find_bridges,
    find_dominators,
    find_sole_sources,
    rank_supply_importance,
)
from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.graph.samples import graph_data, toy_chain
from graph_schema.model import NodeLabel, RelType


def _firm_graph(edges: list[tuple[str, str, float]], extra: list[str] = ()) -> ChainGraph:
    names = sorted({a for a, _, _ in edges} | {b for _, b, _ in edges} | set(extra))
    return ChainGraph.from_data(
        graph_data(
            {NodeLabel.FIRM: [{"id": f, "name": f} for f in names]},
            [
                (
                    RelType.SUPPLIES,
                    NodeLabel.FIRM,
                    NodeLabel.FIRM,
                    pd.DataFrame(
                        {
                            "src": [a for a, _, _ in edges],
                            "dst": [b for _, b, _ in edges],
                            "volume": [v for *_, v in edges],
                        }
                    ),
                )
            ],
        )
    )


def _random_edges(n: int, m: int, seed: int) -> list[tuple[str, str, float]]:
    """A random simple digraph without reciprocal pairs (so igraph and networkx agree)."""
    rng = np.random.default_rng(seed)
    seen: set[tuple[int, int]] = set()
    out = []
    while len(out) < m:
        a, b = (int(x) for x in rng.integers(0, n, 2))
        if a == b or (a, b) in seen or (b, a) in seen:
            continue
        seen.add((a, b))
        out.append((f"F{a:03d}", f"F{b:03d}", float(rng.integers(1, 20))))
    return out


def _nx(edges: list[tuple[str, str, float]]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_weighted_edges_from(edges, weight="volume")
    return g


def test_sole_sources_by_hand() -> None:
    t = find_sole_sources(ChainGraph.from_data(toy_chain()))
    assert sorted(
        zip(t["customer_key"], t["product_id"], t["supplier_key"], t["volume"], strict=True)
    ) == [
        ("Firm:A1", "chip", "Firm:C1", 400.0),
        ("Firm:S2", "ore", "Firm:M2", 50.0),
    ]
    assert t["volume"].is_monotonic_decreasing
    assert "one supplier only" in t["reason"].iloc[0]


def test_dominators_by_hand() -> None:
    # r1, r2 -> hub -> {a, b}; a -> f1; b -> f1; b -> f2; r3 -> f2
    g = _firm_graph(
        [
            ("r1", "hub", 1),
            ("r2", "hub", 1),
            ("hub", "a", 1),
            ("hub", "b", 1),
            ("a", "f1", 1),
            ("b", "f1", 1),
            ("b", "f2", 1),
            ("r3", "f2", 1),
        ]
    )
    t = find_dominators(g).set_index("key")
    # hub dominates a, b and final f1 (f2 also gets supply from r3); b dominates nothing final
    assert t.index.tolist() == ["Firm:hub"]
    assert t.loc["Firm:hub", "n_dominated_final"] == 1
    # final nodes have no capacity: weight = inbound volume (f1: 2, f2: 2)
    assert t.loc["Firm:hub", "dominated_share"] == pytest.approx(0.5)


def test_dominators_against_networkx() -> None:
    edges = _random_edges(60, 110, seed=5)
    g = _firm_graph(edges)
    nxg = _nx(edges)
    roots = [v for v in nxg if nxg.in_degree(v) == 0]
    # source strongly connected components also feed from the super-source
    cond = nx.condensation(nxg)
    for c in cond:
        if cond.in_degree(c) == 0:
            roots.extend(cond.nodes[c]["members"])
    nxg.add_edges_from(("ROOT", r) for r in set(roots))
    idom = nx.immediate_dominators(nxg, "ROOT")
    finals = [v for v in nxg if v != "ROOT" and nxg.out_degree(v) == 0 and nxg.in_degree(v) > 0]
    expected: dict[str, int] = {}
    for f in finals:
        v = idom[f]
        while v != "ROOT":
            expected[v] = expected.get(v, 0) + 1
            v = idom[v]
    t = find_dominators(g)
    got = dict(zip(t["key"].str.removeprefix("Firm:"), t["n_dominated_final"], strict=True))
    assert got == expected


def test_articulation_points_and_bridges_against_networkx() -> None:
    edges = _random_edges(80, 95, seed=7)
    g = _firm_graph(edges)
    und = _nx(edges).to_undirected()
    ap = find_articulation_points(g)
    assert set(ap["key"].str.removeprefix("Firm:")) == set(nx.articulation_points(und))
    br = find_bridges(g)
    got = {
        frozenset((a.removeprefix("Firm:"), b.removeprefix("Firm:")))
        for a, b in zip(br["src_key"], br["dst_key"], strict=True)
    }
    assert got == {frozenset(e) for e in nx.bridges(und)}
    deg = dict(und.degree())
    pend = dict(
        zip(
            br["src_key"].str.removeprefix("Firm:") + ">" + br["dst_key"].str.removeprefix("Firm:"),
            br["pendant"],
            strict=True,
        )
    )
    for key, p in pend.items():
        a, b = key.split(">")
        assert p == (deg[a] == 1 or deg[b] == 1)


def test_parallel_edges_are_not_bridges() -> None:
    g = _firm_graph([("a", "b", 1), ("b", "a", 1), ("b", "c", 1)])
    assert find_bridges(g)["src_key"].tolist() == ["Firm:b"]


def test_exact_betweenness_against_networkx() -> None:
    edges = _random_edges(50, 150, seed=11)
    g = _firm_graph(edges)
    est = estimate_betweenness(g, top=None)
    assert est.exact and est.epsilon == 0.0
    expected = nx.betweenness_centrality(_nx(edges), normalized=False)
    got = dict(
        zip(est.table["key"].str.removeprefix("Firm:"), est.table["betweenness"], strict=True)
    )
    for v, b in expected.items():
        assert got.get(v, 0.0) == pytest.approx(b)


def test_sampled_betweenness_is_unbiased_and_bounded() -> None:
    edges = _random_edges(60, 200, seed=13)
    g = _firm_graph(edges)
    exact = estimate_betweenness(g, top=None).table.set_index("key")["betweenness"]
    # all sources sampled = exact
    full = estimate_betweenness(g, exact_max_nodes=0, n_samples=10_000, top=None)
    assert not full.exact
    assert np.allclose(full.table.set_index("key")["betweenness"].reindex(exact.index), exact)
    runs = [
        estimate_betweenness(g, exact_max_nodes=0, n_samples=10, seed=s, top=None).table.set_index(
            "key"
        )["betweenness"]
        for s in range(150)
    ]
    mean = pd.concat(runs, axis=1).reindex(exact.index).fillna(0).mean(axis=1)
    top = exact.nlargest(5).index
    assert np.allclose(mean[top], exact[top], rtol=0.2)
    est = estimate_betweenness(g, exact_max_nodes=0, n_samples=10, delta=0.1)
    n = g.label_count[NodeLabel.FIRM]
    assert est.epsilon == pytest.approx(np.sqrt(np.log(2 * n / 0.1) / 20))
    assert "estimated from 10 of" in est.table["reason"].iloc[0]


def test_importance_against_networkx_pagerank() -> None:
    edges = _random_edges(70, 200, seed=17)
    g = _firm_graph(edges)
    t = rank_supply_importance(g, top=None)
    expected = nx.pagerank(
        _nx(edges).reverse(), alpha=0.85, weight="volume", tol=1e-12, max_iter=500
    )
    got = dict(zip(t["key"].str.removeprefix("Firm:"), t["importance"], strict=True))
    for v, p in expected.items():
        assert got[v] == pytest.approx(p, rel=1e-6)
    assert t["importance"].is_monotonic_decreasing
    assert t["rank"].iloc[0] == 1
