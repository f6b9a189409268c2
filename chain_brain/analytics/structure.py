"""Firm- and plant-level structure of the supply network.

Sole-source dependencies, dominators of final production, articulation points and bridges,
betweenness (exact or source-sampled with an error bound) and a supply-importance ranking.
All functions take a :class:`~chain_brain.graph.chaingraph.ChainGraph` and return a ranked
pandas table with a ``finding_id`` and a ``reason`` per row.

References
----------
.. [1] Lengauer, T. and Tarjan, R. E. (1979). A fast algorithm for finding dominators in a
   flowgraph. ACM TOPLAS 1(1), 121-141 (the algorithm behind igraph ``dominator``).
.. [2] Brandes, U. (2001). A faster algorithm for betweenness centrality. J. Math. Sociol.
.. [3] Brandes, U. and Pich, C. (2007). Centrality estimation in large networks.
   Int. J. Bifurcation and Chaos 17(7), 2303-2318.
.. [4] Riondato, M. and Kornaropoulos, E. M. (2016). Fast approximation of betweenness
   centrality through sampling. Data Min. Knowl. Disc. 30, 438-475.
.. [5] Page, L., Brin, S., Motwani, R. and Winograd, T. (1999). The PageRank citation
   ranking. Stanford InfoLab.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from chain_brain.graph.chaingraph import LABELS, SUPPLY_LABELS, ChainGraph
from graph_schema.errors import ValidationError

__all__ = [
    "BetweennessEstimate",
    "find_sole_sources",
    "find_dominators",
    "find_articulation_points",
    "find_bridges",
    "estimate_betweenness",
    "rank_supply_importance",
    "supply_nodes",
]


def supply_nodes(graph: ChainGraph) -> np.ndarray:
    """Indices of all Firm and Plant nodes (the supply network's vertex set)."""
    return np.concatenate([graph.label_range(lab) for lab in SUPPLY_LABELS])


def _base(graph: ChainGraph, nodes: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "node": nodes,
            "key": graph.keys_of(nodes),
            "name": graph.node_name[nodes],
            "country": graph.country_of(nodes),
            "region": graph.region_of(nodes),
        }
    )


# --------------------------------------------------------------------------- sole sources
def find_sole_sources(graph: ChainGraph) -> pd.DataFrame:
    """Customer-product pairs served by exactly one supplier.

    Returns one row per (customer, product) with a single supplying node: ``customer``,
    ``product``, ``supplier`` (node indices and keys), ``volume`` and ``supplier_firm``;
    ranked by volume.  Edges without a product count as one product "unknown".

    Examples
    --------
    >>> from chain_brain.graph.samples import toy_chain
    >>> g = ChainGraph.from_data(toy_chain())
    >>> t = find_sole_sources(g)
    >>> sorted(zip(t["customer_key"], t["product_id"], t["supplier_key"]))
    [('Firm:A1', 'chip', 'Firm:C1'), ('Firm:S2', 'ore', 'Firm:M2')]
    """
    e = pd.DataFrame(
        {"c": graph.sup_dst, "p": graph.sup_product, "s": graph.sup_src, "v": graph.sup_volume}
    )
    per = e.groupby(["c", "p", "s"], sort=False)["v"].sum().reset_index()
    n_sup = per.groupby(["c", "p"])["s"].transform("size")
    sole = per[n_sup.to_numpy() == 1].sort_values("v", ascending=False, kind="stable")
    c, p, s = (sole[k].to_numpy() for k in ("c", "p", "s"))
    op = graph.node_operator[s]
    pid = np.where(p >= 0, graph.node_id[np.maximum(p, 0)].astype(object), "unknown")
    t = pd.DataFrame(
        {
            "customer": c,
            "customer_key": graph.keys_of(c),
            "product": p,
            "product_id": pid,
            "supplier": s,
            "supplier_key": graph.keys_of(s),
            "supplier_firm": np.where(
                op >= 0, graph.node_id[np.maximum(op, 0)].astype(object), None
            ),
            "supplier_country": graph.country_of(s),
            "volume": sole["v"].to_numpy(),
        }
    )
    t.insert(
        0, "finding_id", "sole_source:" + t["customer_key"] + ":" + t["product_id"].astype(str)
    )
    country = (
        t["supplier_country"].astype(object).where(t["supplier_country"].notna(), "country unknown")
    )
    t["reason"] = (
        t["customer_key"].astype(str)
        + " buys "
        + t["product_id"].astype(str)
        + " from one supplier only, "
        + t["supplier_key"].astype(str)
        + " ("
        + country.astype(str)
        + "), volume "
        + t["volume"].round(3).astype(str)
        + " per period: losing it stops this input entirely."
    )
    return t.reset_index(drop=True)


# --------------------------------------------------------------------------- dominators
def _final_nodes(graph: ChainGraph) -> np.ndarray:
    """Weight of each supply node as a final producer: output of nodes that ship nothing.

    A node counts as final when it receives supply but has no outgoing ``SUPPLIES`` edge;
    its weight is its capacity, or its inbound volume when no capacity is recorded.
    """
    n = graph.n_nodes
    outdeg = np.bincount(graph.sup_src, minlength=n)
    inflow = np.bincount(graph.sup_dst, weights=graph.sup_volume, minlength=n)
    indeg = np.bincount(graph.sup_dst, minlength=n)
    final = (outdeg == 0) & (indeg > 0)
    weight = np.where(graph.node_capacity > 0, graph.node_capacity, inflow)
    return np.where(final, np.maximum(weight, 1e-12), 0.0)


def _dominator_tree(graph: ChainGraph) -> np.ndarray:
    """Immediate dominator of every node from a virtual super-source (index n).

    The super-source feeds every member of a source strongly connected component (one
    without supply from outside itself), so every supply node is reachable.  Returns
    ``idom`` with ``n`` for nodes dominated only by the super-source and -1 for nodes
    outside the supply network.
    """
    from scipy.sparse.csgraph import connected_components

    n = graph.n_nodes
    _, comp = connected_components(graph.supply_pattern, directed=True, connection="strong")
    src_c, dst_c = comp[graph.sup_src], comp[graph.sup_dst]
    external = src_c != dst_c
    has_input = np.zeros(comp.max() + 1 if n else 0, dtype=bool)
    has_input[dst_c[external]] = True
    nodes = supply_nodes(graph)
    touched = np.zeros(n, dtype=bool)
    touched[graph.sup_src] = True
    touched[graph.sup_dst] = True
    roots = nodes[touched[nodes] & ~has_input[comp[nodes]]]
    import igraph as ig

    src = np.concatenate([graph.sup_src, np.full(len(roots), n, dtype=graph.sup_src.dtype)])
    dst = np.concatenate([graph.sup_dst, roots.astype(graph.sup_dst.dtype)])
    h = ig.Graph(n=n + 1, edges=list(zip(src.tolist(), dst.tolist(), strict=True)), directed=True)
    dom = np.asarray(h.dominator(n, mode="out"), dtype=float)
    del h
    idom = np.where(np.isnan(dom), -1, dom).astype(np.int64)[:n]
    idom[~touched] = -1
    return idom


def find_dominators(graph: ChainGraph, *, min_share: float = 0.0) -> pd.DataFrame:
    """Nodes through which all supply of some final producers passes.

    A node ``v`` dominates ``w`` when every supply path from the raw-material sources to
    ``w`` runs through ``v`` (Lengauer & Tarjan 1979).  For each node, the table gives the
    final producers it strictly dominates (``n_dominated_final``), their output
    (``dominated_output``) and its share of all final output (``dominated_share``).

    Parameters
    ----------
    min_share : float
        Keep nodes whose dominated share exceeds this (default: any positive share).

    Examples
    --------
    >>> from chain_brain.graph.samples import toy_chain
    >>> g = ChainGraph.from_data(toy_chain())
    >>> find_dominators(g)["key"].tolist()
    []
    """
    n = graph.n_nodes
    idom = _dominator_tree(graph)
    weight = _final_nodes(graph)
    is_final = weight > 0
    parent = np.where(idom == n, -1, idom)  # super-source -> no parent
    # subtree sums over the dominator tree, children before parents (reverse BFS order)
    has_parent = np.flatnonzero(parent >= 0)
    tree = sp.csr_matrix(
        (np.ones(len(has_parent), dtype=np.int8), (parent[has_parent], has_parent)), shape=(n, n)
    )
    roots = np.flatnonzero((parent < 0) & (idom >= 0))
    order: list[int] = []
    frontier = roots
    while len(frontier):
        order.extend(frontier.tolist())
        sub = tree[frontier]
        frontier = sub.indices
    acc_w = weight.copy()
    acc_n = is_final.astype(np.int64)
    par = parent.tolist()
    aw, an = acc_w.tolist(), acc_n.tolist()
    for v in reversed(order):
        p = par[v]
        if p >= 0:
            aw[p] += aw[v]
            an[p] += an[v]
    acc_w, acc_n = np.asarray(aw), np.asarray(an, dtype=np.int64)
    strict_w = acc_w - weight
    strict_n = acc_n - is_final
    total = weight.sum()
    share = strict_w / total if total > 0 else np.zeros(n)
    keep = np.flatnonzero((strict_n > 0) & (share > min_share))
    t = _base(graph, keep)
    t["n_dominated_final"] = strict_n[keep]
    t["dominated_output"] = strict_w[keep]
    t["dominated_share"] = share[keep]
    t = t.sort_values(["dominated_share", "n_dominated_final"], ascending=False, kind="stable")
    t = t.reset_index(drop=True)
    t.insert(0, "finding_id", "dominator:" + t["key"])
    t["reason"] = [
        f"Every supply path to {k} final producer(s) passes through {key}; they make "
        f"{100 * s:.1f}% of final output."
        for k, key, s in zip(t["n_dominated_final"], t["key"], t["dominated_share"], strict=True)
    ]
    return t


# --------------------------------------------------------------------------- cut vertices
def find_articulation_points(graph: ChainGraph) -> pd.DataFrame:
    """Nodes whose removal disconnects the undirected view of the supply network.

    Ranked by degree (number of distinct trading partners).
    """
    g = graph.igraph
    pts = np.asarray(sorted(g.articulation_points()), dtype=np.int64)
    pat = graph.supply_pattern
    partners = np.asarray((pat + pat.T).astype(bool).sum(axis=1)).ravel()
    t = _base(graph, pts)
    t["partners"] = partners[pts] if len(pts) else np.empty(0, dtype=np.int64)
    t = t.sort_values("partners", ascending=False, kind="stable").reset_index(drop=True)
    t.insert(0, "finding_id", "articulation:" + t["key"])
    t["reason"] = [
        f"Removing {k} splits the supply network (undirected view); it links {p} partners."
        for k, p in zip(t["key"], t["partners"], strict=True)
    ]
    return t


def find_bridges(graph: ChainGraph) -> pd.DataFrame:
    """Supply links whose removal disconnects the undirected view of the network.

    ``pendant`` marks bridges to a node with no other partner (a trivial bridge); the table
    lists non-pendant bridges first, then by volume.
    """
    g = graph.igraph
    b = np.asarray(g.bridges(), dtype=np.int64)
    pat = graph.supply_pattern
    partners = np.asarray((pat + pat.T).astype(bool).sum(axis=1)).ravel()
    s, d = graph.sup_src[b], graph.sup_dst[b]
    pid = graph.sup_product[b]
    t = pd.DataFrame(
        {
            "edge": b,
            "src_key": graph.keys_of(s),
            "dst_key": graph.keys_of(d),
            "product_id": np.where(
                pid >= 0, graph.node_id[np.maximum(pid, 0)].astype(object), None
            ),
            "volume": graph.sup_volume[b],
            "pendant": (partners[s] == 1) | (partners[d] == 1),
        }
    )
    t = t.sort_values(["pendant", "volume"], ascending=[True, False], kind="stable")
    t = t.reset_index(drop=True)
    t.insert(0, "finding_id", "bridge:" + t["src_key"] + "->" + t["dst_key"])
    t["reason"] = [
        f"The link {a} -> {c} ({p or 'product unknown'}, volume {v:g}) is the only "
        f"connection between two parts of the network"
        + (" (to a single-partner node)." if pe else ".")
        for a, c, p, v, pe in zip(
            t["src_key"], t["dst_key"], t["product_id"], t["volume"], t["pendant"], strict=True
        )
    ]
    return t


# --------------------------------------------------------------------------- betweenness
@dataclass(frozen=True)
class BetweennessEstimate:
    """Betweenness table plus how it was computed.

    ``epsilon`` bounds the additive error of every ``normalised`` value with probability at
    least ``1 - delta`` (0 when exact).
    """

    table: pd.DataFrame
    exact: bool
    n_sources: int
    n_active: int
    cutoff: int | None
    epsilon: float
    delta: float


def estimate_betweenness(
    graph: ChainGraph,
    *,
    exact_max_nodes: int = 5_000,
    n_samples: int = 64,
    cutoff: int | None = None,
    delta: float = 0.1,
    top: int | None = 1_000,
    seed: int = 0,
) -> BetweennessEstimate:
    """Directed shortest-path betweenness of supply nodes, exact or source-sampled.

    With at most ``exact_max_nodes`` active nodes (nodes that ship something) Brandes'
    algorithm runs from every source.  Otherwise ``n_samples`` sources are drawn uniformly
    without replacement from the active nodes and the partial sums are scaled by
    ``n_active / n_samples`` (Brandes & Pich 2007), an unbiased estimate.

    Error bound: with ``n`` supply nodes, each source contributes ``delta_s(v) / (n - 2)``
    in [0, 1] to the normalised betweenness ``b(v) / (n_active (n - 2))``; by Hoeffding's
    inequality and a union bound over the ``n`` vertices, with probability ``1 - delta`` every estimate is
    within ``epsilon = sqrt(ln(2 n / delta) / (2 k))`` of its true value for ``k`` sampled
    sources (cf. Brandes & Pich 2007; Riondato & Kornaropoulos 2016 for sharper, VC-based
    path-sampling bounds).  ``cutoff`` limits path length (then it estimates the
    length-bounded betweenness, not the full one).
    """
    if n_samples < 1 or not 0 < delta < 1:
        raise ValidationError(
            f"Betweenness needs n_samples >= 1 and 0 < delta < 1; got {n_samples=}, {delta=}."
        )
    g = graph.igraph
    n = graph.n_nodes
    outdeg = np.bincount(graph.sup_src, minlength=n)
    active = np.flatnonzero(outdeg > 0)
    n_active = len(active)
    exact = n_active <= exact_max_nodes
    if exact:
        sources = active
        scale = 1.0
        eps = 0.0
    else:
        rng = np.random.default_rng(seed)
        k = min(n_samples, n_active)
        sources = np.sort(rng.choice(active, size=k, replace=False))
        scale = n_active / k
        eps = float(np.sqrt(np.log(2 * len(supply_nodes(graph)) / delta) / (2 * k)))
    raw = np.asarray(
        g.betweenness(directed=True, cutoff=cutoff, sources=sources.tolist()), dtype=float
    )
    est = raw * scale
    nodes = supply_nodes(graph)
    denom = max(n_active, 1) * max(len(nodes) - 2, 1)
    t = _base(graph, nodes)
    t["betweenness"] = est[nodes]
    t["normalised"] = est[nodes] / denom
    t["error_bound"] = eps
    t = t[t["betweenness"] > 0].sort_values("betweenness", ascending=False, kind="stable")
    if top is not None:
        t = t.head(top)
    t = t.reset_index(drop=True)
    t.insert(0, "finding_id", "betweenness:" + t["key"])
    how = (
        "exact (all sources)"
        if exact
        else f"estimated from {len(sources)} of {n_active} sources, +/- {eps:.3f} (normalised) "
        f"with probability {1 - delta:.2f}"
    )
    t["reason"] = [
        f"{k} lies on {100 * x:.2f}% of shortest supply paths (normalised), {how}."
        for k, x in zip(t["key"], t["normalised"], strict=True)
    ]
    return BetweennessEstimate(t, exact, len(sources), n_active, cutoff, eps, delta)


# --------------------------------------------------------------------------- importance
def rank_supply_importance(
    graph: ChainGraph,
    *,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 200,
    top: int | None = 1_000,
) -> pd.DataFrame:
    """PageRank of supply nodes on reversed ``SUPPLIES`` edges weighted by volume.

    Rank flows from a customer to its suppliers in proportion to the volume each supplies,
    so a node ranks high when it supplies much to nodes that rank high (Page et al. 1999).
    Dangling nodes (buying nothing) spread their rank uniformly.  Computed by power
    iteration on a scipy CSR matrix over Firm and Plant nodes; equal to
    ``networkx.pagerank(G.reverse(), weight="volume")`` on the merged ``DiGraph``.
    """
    if not 0 < damping < 1:
        raise ValidationError(f"PageRank damping must lie in (0, 1); got {damping=}.")
    nodes = supply_nodes(graph)
    m = len(nodes)
    if m == 0:
        return _base(graph, nodes).assign(importance=[], finding_id=[], reason=[])
    # supply nodes occupy 0..m-1 (Firm and Plant come first in LABELS)
    assert LABELS[:2] == SUPPLY_LABELS
    ok = (graph.sup_src < m) & (graph.sup_dst < m)
    w = graph.sup_volume[ok]
    # reversed edge: customer -> supplier
    r = sp.csr_matrix((w, (graph.sup_dst[ok], graph.sup_src[ok])), shape=(m, m))
    r.sum_duplicates()
    out = np.asarray(r.sum(axis=1)).ravel()
    dangling = out <= 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out))
    p_t = (sp.diags(inv) @ r).T.tocsr()
    x = np.full(m, 1.0 / m)
    for _ in range(max_iter):
        new = damping * (p_t @ x + x[dangling].sum() / m) + (1 - damping) / m
        if np.abs(new - x).sum() < m * tol:
            x = new
            break
        x = new
    x = x / x.sum()
    t = _base(graph, nodes)
    t["importance"] = x
    t["rank"] = t["importance"].rank(ascending=False, method="min").astype(int)
    t = t.sort_values("importance", ascending=False, kind="stable")
    if top is not None:
        t = t.head(top)
    t = t.reset_index(drop=True)
    t.insert(0, "finding_id", "importance:" + t["key"])
    t["reason"] = [
        f"{k} ranks #{rk} by supply importance (PageRank {v:.2e} vs uniform {1 / m:.2e}): "
        f"it supplies large volumes to important customers."
        for k, rk, v in zip(t["key"], t["rank"], t["importance"], strict=True)
    ]
    return t
