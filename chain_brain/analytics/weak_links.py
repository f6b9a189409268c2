"""Weak links (薄弱环节): chain segments short of capacity, thinly supplied or fragile.

Per chain segment: capacity against demand, number of supplying firms, concentration (HHI
by firm and by region), dependence on one region, and redundancy measured as a minimum cut
between the segment's suppliers and their customers.

The redundancy is the maximum flow of the unit-capacity network ``s -> supplier ->
customer -> t`` built from the segment's outbound supply links (igraph ``maxflow``, or the
equivalent maximum bipartite matching on large segments): by König's theorem it equals the smallest number of firms or plants (on either side) whose loss
severs every link from the segment to the rest of the chain.  A value of 1 means one node
carries all of the segment's deliveries.

Thresholds (defaults of :class:`WeakLinkParams`): firm and region HHI above 0.25 is highly
concentrated (U.S. DOJ/FTC Horizontal Merger Guidelines 2010, section 5.3); more than 50 %
of capacity in one region mirrors the EU's 50 % import-dependence criterion (European
Commission SWD(2021) 352) applied to regions; utilisation above 0.9 leaves under 10 % of
headroom.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import igraph as ig
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_bipartite_matching

from chain_brain.analytics.chokepoints import (
    _final_products,
    check_score_params,
    hhi,
    leontief_requirements,
)
from chain_brain.graph.chaingraph import SUPPLY_LABELS, ChainGraph
from graph_schema.errors import ValidationError
from graph_schema.model import NodeLabel

__all__ = [
    "WeakLinkParams",
    "MinCuts",
    "segment_members",
    "find_weak_links",
    "segment_min_cut",
    "segment_min_cuts",
]


@dataclass(frozen=True)
class WeakLinkParams:
    """Thresholds and weights of the weak-link score (see module docstring)."""

    hhi_high: float = 0.25
    region_share_high: float = 0.5
    utilisation_high: float = 0.9
    min_suppliers: int = 3
    min_cut_low: int = 1
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "shortfall": 0.3,
            "concentration": 0.2,
            "few_suppliers": 0.15,
            "region": 0.15,
            "fragility": 0.2,
        }
    )

    def __post_init__(self) -> None:
        check_score_params(
            "Weak-link",
            self.weights,
            {"hhi_high": self.hhi_high, "region_share_high": self.region_share_high},
        )
        if self.min_suppliers < 1:
            raise ValidationError(f"min_suppliers must be >= 1; got {self.min_suppliers}.")


def segment_members(graph: ChainGraph) -> pd.DataFrame:
    """Supply nodes of each segment with their supply weight there.

    A Firm or Plant belongs to a segment when it is ``IN_SEGMENT`` of it or makes/ships a
    product that is.  ``weight`` is its supply of the segment's products (capacity, else
    shipped volume), or of all its products when the segment lists none it offers.
    Columns: ``segment``, ``node``, ``firm``, ``weight``.
    """
    sup_codes = [i for i, lab in enumerate(graph.label_offset) if lab in SUPPLY_LABELS]
    mn, ms = graph.member_node, graph.member_segment
    is_sup = np.isin(graph.node_label[mn], sup_codes)
    is_prod = graph.node_label[mn] == list(graph.label_offset).index(NodeLabel.PRODUCT)
    direct = pd.DataFrame({"segment": ms[is_sup], "node": mn[is_sup]})
    seg_products = pd.DataFrame({"segment": ms[is_prod], "product": mn[is_prod]})
    o = graph.offers
    made = o.merge(seg_products, on="product")
    via_product = made.groupby(["segment", "node"], as_index=False)["weight"].sum()
    total = o.groupby("node")["weight"].sum()
    members = direct.merge(via_product, on=["segment", "node"], how="outer")
    fallback = total.reindex(members["node"]).to_numpy()
    members["weight"] = np.where(
        members["weight"].fillna(0) > 0, members["weight"].fillna(0), np.nan_to_num(fallback)
    )
    node = members["node"].to_numpy()
    op = graph.node_operator[node]
    members["firm"] = np.where(op >= 0, op, node)
    return members.sort_values(["segment", "node"]).reset_index(drop=True)


def segment_min_cut(
    suppliers: np.ndarray, customers: np.ndarray, *, method: str = "matching"
) -> tuple[int, np.ndarray, np.ndarray]:
    """Minimum vertex cut between the two sides of a set of supplier -> customer links.

    The value is the maximum flow of ``s -> supplier (cap 1) -> customer (cap inf) ->
    (cap 1) t``.  ``method="maxflow"`` runs igraph ``maxflow`` on that network and reads
    the cut from its minimum s-t cut; ``method="matching"`` (default, much faster on large
    segments) computes the same value as a maximum bipartite matching (Hopcroft & Karp 1973,
    scipy) and the cut as König's vertex cover.

    Parameters
    ----------
    suppliers, customers : ndarray of int
        Endpoints of each link (node indices).

    Returns
    -------
    value : int
        Smallest number of nodes whose removal severs every link.
    cut_suppliers, cut_customers : ndarray
        One such set of nodes.

    Examples
    --------
    >>> v, s, c = segment_min_cut(np.array([1, 2, 2]), np.array([9, 9, 8]))
    >>> v, sorted(s.tolist() + c.tolist())
    (2, [1, 2])
    """
    if method not in ("matching", "maxflow"):
        raise ValidationError(f"method must be 'matching' or 'maxflow'; got {method!r}.")
    if len(suppliers) == 0:
        return 0, np.empty(0, np.int64), np.empty(0, np.int64)
    su, si = np.unique(np.asarray(suppliers, dtype=np.int64), return_inverse=True)
    cu, ci = np.unique(np.asarray(customers, dtype=np.int64), return_inverse=True)
    ns, nc = len(su), len(cu)
    if method == "maxflow":
        pairs = np.unique(si.astype(np.int64) * nc + ci)
        ps, pc = pairs // nc, pairs % nc
        s, t = ns + nc, ns + nc + 1
        edges = (
            list(zip([s] * ns, range(ns), strict=True))
            + list(zip(ps.tolist(), (pc + ns).tolist(), strict=True))
            + list(zip(range(ns, ns + nc), [t] * nc, strict=True))
        )
        cap = [1.0] * ns + [float(ns + nc + 1)] * len(pairs) + [1.0] * nc
        g = ig.Graph(n=ns + nc + 2, edges=edges, directed=True)
        flow = g.maxflow(s, t, capacity=cap)
        source_side = np.zeros(ns + nc + 2, dtype=bool)
        source_side[flow.partition[0]] = True
        return int(round(flow.value)), su[~source_side[:ns]], cu[source_side[ns : ns + nc]]
    cuts = segment_min_cuts(
        np.zeros(len(suppliers), dtype=np.int64), np.asarray(suppliers), np.asarray(customers)
    )
    cover_s, cover_c = cuts.cover_suppliers[0], cuts.cover_customers[0]
    return int(cuts.values[0]), np.asarray(cover_s, np.int64), np.asarray(cover_c, np.int64)


@dataclass(frozen=True)
class MinCuts:
    """Minimum vertex cuts of many disjoint supplier -> customer link sets.

    ``values[k]`` is the cut size of group ``groups[k]``; ``cover_suppliers[k]`` and
    ``cover_customers[k]`` list the nodes of one minimum cut.
    """

    groups: np.ndarray
    values: np.ndarray
    cover_suppliers: list[np.ndarray]
    cover_customers: list[np.ndarray]


def segment_min_cuts(groups: np.ndarray, suppliers: np.ndarray, customers: np.ndarray) -> MinCuts:
    """:func:`segment_min_cut` for many groups (segments) in one maximum matching.

    The groups are disjoint bipartite graphs (a node is copied per group), so one
    Hopcroft-Karp run over their union and one König alternating search give every group's
    cut at once.
    """
    groups = np.asarray(groups, dtype=np.int64)
    gu, g_idx = np.unique(groups, return_inverse=True)
    if len(groups) == 0:
        return MinCuts(gu, np.zeros(0, np.int64), [], [])
    ng = len(gu)
    lkey, li = np.unique(np.asarray(suppliers, np.int64) * ng + g_idx, return_inverse=True)
    rkey, ri = np.unique(np.asarray(customers, np.int64) * ng + g_idx, return_inverse=True)
    ns, nc = len(lkey), len(rkey)
    adj = sp.csr_matrix((np.ones(len(li), dtype=np.int8), (li, ri)), shape=(ns, nc))
    adj.sum_duplicates()
    match_of_col = maximum_bipartite_matching(adj, perm_type="row")  # row matched to col
    matched_rows = np.zeros(ns, dtype=bool)
    matched_rows[match_of_col[match_of_col >= 0]] = True
    # König: alternating search from unmatched suppliers
    seen_l = ~matched_rows
    seen_r = np.zeros(nc, dtype=bool)
    frontier = seen_l.copy()
    adj_t = adj.T.tocsr()
    while frontier.any():
        reach = np.asarray(adj_t @ frontier.astype(np.int8)).ravel() > 0
        new_r = reach & ~seen_r
        seen_r |= new_r
        rows = match_of_col[new_r]
        rows = rows[(rows >= 0) & ~seen_l[np.maximum(rows, 0)]]
        frontier = np.zeros(ns, dtype=bool)
        frontier[rows] = True
        seen_l |= frontier
    values = np.bincount(rkey[match_of_col >= 0] % ng, minlength=ng)
    cl, cr = lkey[~seen_l], rkey[seen_r]
    cov_s = [np.empty(0, np.int64)] * ng
    cov_c = [np.empty(0, np.int64)] * ng
    for keys, target in ((cl, cov_s), (cr, cov_c)):
        grp = keys % ng
        order = np.argsort(grp, kind="stable")
        bounds = np.searchsorted(grp[order], np.arange(ng + 1))
        nodes = (keys // ng)[order]
        for k in np.flatnonzero(np.diff(bounds)):
            target[k] = nodes[bounds[k] : bounds[k + 1]]
    return MinCuts(gu, values, cov_s, cov_c)


def _segment_edges(graph: ChainGraph, members: pd.DataFrame) -> pd.DataFrame:
    """Supply edges leaving each segment's members: ``s``, ``d``, ``v``, ``segment``.

    An edge belongs to the segments of the product it carries; for segments that list no
    product, to the segments of its supplier.
    """
    prod_code = list(graph.label_offset).index(NodeLabel.PRODUCT)
    mn, ms = graph.member_node, graph.member_segment
    is_prod = graph.node_label[mn] == prod_code
    seg_products = pd.DataFrame({"product": mn[is_prod], "segment": ms[is_prod]})
    e = pd.DataFrame(
        {
            "s": graph.sup_src,
            "d": graph.sup_dst,
            "v": graph.sup_volume,
            "product": graph.sup_product,
        }
    )
    by_product = e.merge(seg_products, on="product")
    with_products = np.unique(seg_products["segment"].to_numpy())
    rest = members[~members["segment"].isin(with_products)][["node", "segment"]]
    by_member = e.merge(rest, left_on="s", right_on="node")
    cols = ["s", "d", "v", "segment"]
    return pd.concat([by_product[cols], by_member[cols]], ignore_index=True)


def find_weak_links(
    graph: ChainGraph,
    params: WeakLinkParams | None = None,
    *,
    required: np.ndarray | None = None,
) -> pd.DataFrame:
    """Score every chain segment as a potential weak link.

    Columns: ``capacity`` (supply weight of members), ``shipped`` (volume of the segment's
    products shipped to non-members; all member shipments for a segment without products), ``bom_demand`` (total BOM requirement of the segment's products from final
    output), ``demand = max(shipped, bom_demand)``, ``gap = capacity - demand``,
    ``utilisation``; ``n_suppliers`` (firms), ``hhi_firm``, ``hhi_region``, ``top_region``
    and ``top_region_share``; ``min_cut`` (see module docstring) and ``min_cut_nodes``;
    normalised components ``c_*``, weights ``w_*``, thresholds ``thr_*``, flags,
    ``score``, ``is_weak_link`` and ``reason``.

    Parameters
    ----------
    required : ndarray, optional
        Total requirement per product (from :func:`leontief_requirements`); computed when
        not given.
    """
    p = params or WeakLinkParams()
    segs = graph.label_range(NodeLabel.CHAIN_SEGMENT)
    members = segment_members(graph)
    n = graph.n_nodes
    if required is None:
        required = leontief_requirements(graph.bom_matrix, _final_products(graph))
    prod_code = list(graph.label_offset).index(NodeLabel.PRODUCT)
    is_prod = graph.node_label[graph.member_node] == prod_code
    bom_demand = np.bincount(
        graph.member_segment[is_prod],
        weights=required[graph.product_local(graph.member_node[is_prod])],
        minlength=n,
    )
    seg_code = members["segment"].to_numpy()
    w = members["weight"].to_numpy()
    capacity = np.bincount(seg_code, weights=w, minlength=n)
    firms = members[["segment", "firm"]].drop_duplicates()
    n_sup = np.bincount(firms["segment"], minlength=n)
    hhi_firm = hhi(seg_code, members["firm"].to_numpy(), w, n)
    region = graph.node_region[members["node"].to_numpy()]
    hhi_region = hhi(seg_code, region, w, n)
    by_region = (
        pd.DataFrame({"s": seg_code, "r": region, "w": w})
        .groupby(["s", "r"])["w"]
        .sum()
        .reset_index()
    )
    by_region = by_region.sort_values(["s", "w"], ascending=[True, False]).drop_duplicates("s")
    top_region = np.full(n, None, dtype=object)
    top_region_w = np.zeros(n)
    r = by_region["r"].to_numpy()
    top_region[by_region["s"].to_numpy()] = np.where(
        r >= 0, graph.regions[np.maximum(r, 0)] if len(graph.regions) else None, None
    )
    top_region_w[by_region["s"].to_numpy()] = by_region["w"].to_numpy()

    # outbound links of each segment
    seg_local = np.full(n, -1, dtype=np.int64)
    seg_local[segs] = np.arange(len(segs))
    n_s = max(len(segs), 1)
    key = members["node"].to_numpy().astype(np.int64) * n_s + seg_local[seg_code]
    e = _segment_edges(graph, members)
    dkey = e["d"].to_numpy().astype(np.int64) * n_s + seg_local[e["segment"].to_numpy()]
    if n * n_s <= 50_000_000:
        member_mask = np.zeros(n * n_s, dtype=bool)
        member_mask[key] = True
        inside = member_mask[dkey]
    else:
        inside = np.isin(dkey, key)
    out = e[~inside]
    shipped = np.bincount(out["segment"], weights=out["v"], minlength=n)

    cuts = segment_min_cuts(out["segment"].to_numpy(), out["s"].to_numpy(), out["d"].to_numpy())
    cut_value = np.full(n, np.nan)
    cut_value[cuts.groups] = cuts.values
    cut_text = np.full(n, "", dtype=object)
    for k, seg in enumerate(cuts.groups):
        both = np.concatenate([cuts.cover_suppliers[k][:10], cuts.cover_customers[k][:10]])[:10]
        cut_text[seg] = ", ".join(graph.keys_of(both))
    demand = np.maximum(shipped, bom_demand)[segs]
    cap = capacity[segs]
    with np.errstate(invalid="ignore", divide="ignore"):
        util = np.where(cap > 0, demand / cap, np.where(demand > 0, np.inf, 0.0))
        top_share = np.where(cap > 0, top_region_w[segs] / cap, np.nan)
    chain = graph.segment_chain[segs]
    t = pd.DataFrame(
        {
            "segment": segs,
            "segment_id": graph.node_id[segs].astype(str),
            "name": graph.node_name[segs],
            "chain_id": np.where(
                chain >= 0, graph.node_id[np.maximum(chain, 0)].astype(object), None
            ),
            "order": graph.segment_order[segs],
            "capacity": cap,
            "shipped": shipped[segs],
            "bom_demand": bom_demand[segs],
            "demand": demand,
            "gap": cap - demand,
            "utilisation": util,
            "n_suppliers": n_sup[segs],
            "hhi_firm": hhi_firm[segs],
            "hhi_region": hhi_region[segs],
            "top_region": top_region[segs],
            "top_region_share": top_share,
            "min_cut": cut_value[segs],
            "min_cut_nodes": cut_text[segs],
        }
    )
    # 0 at or below the utilisation threshold, rising linearly to 1 at full use (or beyond)
    util_arr = np.nan_to_num(t["utilisation"].to_numpy(dtype=float), posinf=2.0)
    headroom = max(1e-9, 1.0 - p.utilisation_high)
    t["c_shortfall"] = np.clip((util_arr - p.utilisation_high) / headroom, 0.0, 1.0)
    t["c_concentration"] = t["hhi_firm"].fillna(1.0)
    t["c_few_suppliers"] = 1.0 / np.maximum(t["n_suppliers"], 1)
    t["c_region"] = t["top_region_share"].fillna(1.0)
    t["c_fragility"] = np.where(
        t["min_cut"].isna(), 0.0, 1.0 / np.maximum(t["min_cut"].fillna(1), 1)
    )
    wsum = sum(p.weights.values())
    score = np.zeros(len(t))
    for name in ("shortfall", "concentration", "few_suppliers", "region", "fragility"):
        weight = p.weights.get(name, 0.0)
        t[f"w_{name}"] = weight
        score += weight * t[f"c_{name}"].to_numpy()
    t["score"] = score / wsum
    t["thr_hhi_high"] = p.hhi_high
    t["thr_region_share_high"] = p.region_share_high
    t["thr_utilisation_high"] = p.utilisation_high
    t["thr_min_suppliers"] = p.min_suppliers
    t["thr_min_cut_low"] = p.min_cut_low
    t["flag_capacity_gap"] = t["gap"] < 0
    t["flag_tight"] = t["utilisation"] > p.utilisation_high
    t["flag_few_suppliers"] = t["n_suppliers"] < p.min_suppliers
    t["flag_concentrated"] = t["hhi_firm"].notna() & (t["hhi_firm"] > p.hhi_high)
    t["flag_region_dependent"] = t["top_region_share"].fillna(0) > p.region_share_high
    t["flag_fragile"] = t["min_cut"].fillna(np.inf) <= p.min_cut_low
    flags = [c for c in t.columns if c.startswith("flag_")]
    t["n_flags"] = t[flags].sum(axis=1)
    # a segment with no supplier, no capacity and no demand recorded is a gap in the data,
    # not a weak link: it is reported, but not flagged
    t["no_data"] = (
        (t["n_suppliers"] == 0) & (t["capacity"].fillna(0) <= 0) & (t["demand"].fillna(0) <= 0)
    )
    t["is_weak_link"] = ~t["no_data"] & (t["flag_capacity_gap"] | (t["n_flags"] >= 2))
    t = t.sort_values(["is_weak_link", "score"], ascending=False, kind="stable").reset_index(
        drop=True
    )
    t.insert(0, "finding_id", "weak_link:" + t["segment_id"])
    t["reason"] = [_reason(r) for r in t.itertuples(index=False)]
    return t


def _reason(r: object) -> str:
    g = r.__getattribute__
    if g("no_data"):
        return (
            f"Segment {g('name')} ({g('segment_id')}): no supplier, capacity or demand is "
            "recorded for it, so it cannot be judged; load its members to assess it."
        )
    parts = [f"Segment {g('name')} ({g('segment_id')}): score {g('score'):.2f}."]
    parts.append(
        f"Capacity {g('capacity'):g} vs demand {g('demand'):g} (gap {g('gap'):g}, "
        f"utilisation {g('utilisation'):.2f}, tight above {g('thr_utilisation_high'):.2f})."
    )
    parts.append(
        f"{g('n_suppliers')} supplying firm(s) (few below {g('thr_min_suppliers')}), firm HHI "
        f"{g('hhi_firm'):.2f} (high above {g('thr_hhi_high'):.2f})."
    )
    if g("top_region") is not None:
        parts.append(
            f"{100 * g('top_region_share'):.0f}% of capacity in region {g('top_region')} "
            f"(dependent above {100 * g('thr_region_share_high'):.0f}%)."
        )
    mc = g("min_cut")
    if mc == mc:
        parts.append(
            f"Losing {int(mc)} node(s) ({g('min_cut_nodes')}) cuts every delivery to its customers."
        )
    else:
        parts.append("No deliveries to other segments recorded.")
    return " ".join(parts)
