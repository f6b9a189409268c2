"""Benchmark: full analysis of a national-scale synthetic chain graph, and networkx on a sample.

Usage::

    PYTHONPATH=. python benchmarks/bench_analytics.py [--firms 150000] [--edges 1200000]
        [--sample-edges 100000] [--no-networkx]

1. Generates the synthetic graph (``ingest.synthetic.generate``; the package's own
   ``chain_brain.graph.samples.random_chain`` if that module is absent), builds the
   ``ChainGraph`` once and runs ``run_analysis`` on it, printing the time of every step and
   the peak resident memory (target: <= 10 s and <= 2 GB for 150k firms / 1.2M edges).
2. Takes a sample of the supply edges, and times the same structural metrics on it with
   chain-brain (numpy/scipy/igraph) and with networkx, printing a table of ratios.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np

from chain_brain.analytics.results import AnalysisParams, run_analysis
from chain_brain.analytics.structure import (
    estimate_betweenness,
    find_articulation_points,
    find_bridges,
    find_dominators,
    rank_supply_importance,
)
from chain_brain.graph.chaingraph import ChainGraph
from graph_schema.frames import GraphData, RelFrame
from graph_schema.model import RelType


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _generate(n_firms: int, n_edges: int, seed: int) -> tuple[str, GraphData]:
    try:
        from ingest.synthetic import generate
    except ImportError:
        from chain_brain.graph.samples import random_chain

        return "chain_brain.graph.samples.random_chain", random_chain(n_firms, n_edges, seed=seed)
    return "ingest.synthetic.generate", generate(n_firms=n_firms, n_edges=n_edges, seed=seed)


def _sample(data: GraphData, n_edges: int, seed: int) -> GraphData:
    """The same nodes with a random subset of the SUPPLIES edges."""
    rng = np.random.default_rng(seed)
    out = GraphData(nodes=list(data.nodes))
    for f in data.rels:
        if f.type is RelType.SUPPLIES and len(f) > n_edges:
            keep = np.sort(rng.choice(len(f), size=n_edges, replace=False))
            f = RelFrame(f.type, f.src_label, f.dst_label, f.data.iloc[keep].reset_index(drop=True))
        out.rels.append(f)
    return out


def _networkx(graph: ChainGraph) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    vol = graph.supply_csr.tocoo()
    g.add_weighted_edges_from(
        zip(vol.row.tolist(), vol.col.tolist(), vol.data.tolist(), strict=True), weight="volume"
    )
    return g


def _nx_dominators(g: nx.DiGraph) -> dict[Any, Any]:
    roots = [v for v in g if g.in_degree(v) == 0 and g.out_degree(v) > 0]
    h = g.copy()
    h.add_edges_from(("ROOT", r) for r in roots)
    return nx.immediate_dominators(h, "ROOT")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=150_000)
    ap.add_argument("--edges", type=int, default=1_200_000)
    ap.add_argument("--sample-edges", type=int, default=100_000)
    ap.add_argument("--betweenness-samples", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-networkx", action="store_true")
    args = ap.parse_args()

    t_gen, (generator, data) = _timed(lambda: _generate(args.firms, args.edges, args.seed))
    rss_data = _peak_mb()
    print(f"generated with {generator} in {t_gen:.1f} s: {data.counts()}")
    t_build, graph = _timed(lambda: ChainGraph.from_data(data))
    params = AnalysisParams(betweenness_samples=args.betweenness_samples)
    t_run, result = _timed(lambda: run_analysis(graph, params=params, progress=True))
    rss_total = _peak_mb()
    print(f"\nFull analysis: {graph.n_nodes:,} nodes, {graph.n_supply_edges:,} supply edges")
    print(f"{'step':<22}{'seconds':>10}")
    print(f"{'build ChainGraph':<22}{t_build:>10.2f}")
    for name, sec in result.info.seconds.items():
        print(f"{name:<22}{sec:>10.2f}")
    total = t_build + t_run
    print(f"{'total':<22}{total:>10.2f}   (target <= 10 s: {'met' if total <= 10 else 'NOT met'})")
    print(
        f"peak RSS {rss_total:,.0f} MB (of which the generated frames {rss_data:,.0f} MB; "
        f"target <= 2048 MB: {'met' if rss_total <= 2048 else 'NOT met'})"
    )
    print(
        f"betweenness: {result.info.betweenness_sources} sampled sources, error bound "
        f"+/- {result.info.betweenness_error_bound:.3f} (normalised, 90%)"
    )
    if args.no_networkx:
        return

    sample = ChainGraph.from_data(_sample(data, args.sample_edges, args.seed))
    k = args.betweenness_samples
    rows: list[tuple[str, float, float]] = []
    t_cb, _ = _timed(lambda: sample.igraph)
    t_nx, g = _timed(lambda: _networkx(sample))
    rows.append(("build graph", t_cb, t_nx))
    for name, ours, theirs in [
        (
            "importance (PageRank)",
            lambda: rank_supply_importance(sample),
            lambda: nx.pagerank(g.reverse(copy=False), weight="volume"),
        ),
        (
            "articulation points",
            lambda: find_articulation_points(sample),
            lambda: list(nx.articulation_points(g.to_undirected(as_view=True))),
        ),
        ("bridges", lambda: find_bridges(sample), lambda: list(nx.bridges(g.to_undirected()))),
        ("dominators", lambda: find_dominators(sample), lambda: _nx_dominators(g)),
        (
            f"betweenness ({k} sources)",
            lambda: estimate_betweenness(sample, exact_max_nodes=0, n_samples=k),
            lambda: nx.betweenness_centrality(g, k=k, seed=args.seed),
        ),
    ]:
        t_cb, _ = _timed(ours)
        t_nx, _ = _timed(theirs)
        rows.append((name, t_cb, t_nx))
    print(
        f"\nSample: {sample.n_supply_edges:,} supply edges on {sample.n_nodes:,} nodes "
        "(the same metric, same run)"
    )
    print(f"{'metric':<26}{'chain-brain s':>14}{'networkx s':>12}{'ratio':>9}")
    for name, a, b in rows:
        print(f"{name:<26}{a:>14.3f}{b:>12.3f}{b / max(a, 1e-9):>8.1f}x")


if __name__ == "__main__":
    main()
