"""Disruption cascades: remove a node, a firm with its plants, or a region, and follow the
supply loss downstream through ``SUPPLIES`` and the bill of materials, buffered by inventory.

Model (one step = one period of the volumes, e.g. a week):

* Node ``i`` normally ships ``x_i`` (sum of its outbound volumes, or its capacity when it
  ships nothing).  Its inputs are grouped by product: group ``g = (i, k)`` normally receives
  ``r_g`` (sum of inbound volumes of product ``k``) and holds ``cover * r_g`` in stock.
* Disrupted nodes produce nothing for ``duration`` periods.  Every other node runs at the
  fraction ``f_i = min_g a_g`` of its inputs that is available (fixed proportions, as in a
  Leontief technology: the scarcest input binds), where ``a_g = (received_g + drawn_g) / r_g``,
  ``received_g`` is what suppliers at their current fractions deliver and ``drawn_g`` the
  shortfall taken from stock while stock lasts.
* Within a period the fractions are the greatest fixed point of these equations (iterated
  from the previous period's fractions, which bound them from above because stocks only
  fall); stock is then reduced by what was drawn.

Output at risk of a node over the horizon is ``sum_t (1 - f_i(t)) x_i``; it is reported per
node, per product (split by the node's supply of each product), per firm and per chain, and
for the final producers (nodes that ship nothing) as a share of final output.  The model
follows the time-to-survive logic of Simchi-Levi et al. (2015) in simulation form: a node is
hit once its buffer (``cover`` periods) runs out.

References
----------
.. [1] Simchi-Levi, D. et al. (2015). Identifying risks and mitigating disruptions in the
   automotive supply chain. Interfaces 45(5), 375-390.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from chain_brain.analytics.weak_links import segment_members
from chain_brain.graph.chaingraph import SUPPLY_LABELS, ChainGraph
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.model import NodeLabel

__all__ = [
    "DisruptionKind",
    "Disruption",
    "CascadeResult",
    "disrupted_nodes",
    "simulate_cascade",
    "rank_disruptions",
]


class DisruptionKind(StrEnum):
    NODE = "node"
    FIRM = "firm"
    REGION = "region"
    COUNTRY = "country"


@dataclass(frozen=True)
class Disruption:
    """What goes down: one node (``label`` + ``id``), a firm with its plants, a region or a
    country (all supply nodes located there)."""

    kind: DisruptionKind
    id: str
    label: NodeLabel = NodeLabel.FIRM

    @property
    def name(self) -> str:
        if self.kind is DisruptionKind.NODE:
            return f"node {self.label.value}:{self.id}"
        return f"{self.kind.value} {self.id}"


@dataclass(frozen=True)
class CascadeResult:
    """Output at risk of one disruption over the horizon.

    ``timeline`` has one row per period (lost output, share of final output lost,
    nodes hit); ``by_node``, ``by_product``, ``by_firm`` and ``by_chain`` rank the losses.
    """

    disruption: Disruption
    horizon: int
    cover: float
    disrupted: np.ndarray
    timeline: pd.DataFrame
    by_node: pd.DataFrame
    by_product: pd.DataFrame
    by_firm: pd.DataFrame
    by_chain: pd.DataFrame
    final_output_lost_share: float
    first_final_loss_period: int | None

    def summary(self) -> str:
        when = (
            "no final output is lost"
            if self.first_final_loss_period is None
            else f"final output starts falling in period {self.first_final_loss_period}"
        )
        return (
            f"{self.disruption.name} ({len(self.disrupted)} supply node(s) down): "
            f"{100 * self.final_output_lost_share:.1f}% of final output over {self.horizon} "
            f"periods is at risk with {self.cover:g} period(s) of cover; {when}."
        )


def disrupted_nodes(graph: ChainGraph, disruption: Disruption) -> np.ndarray:
    """Supply nodes taken down by ``disruption`` (:class:`NotFoundError` if none match)."""
    kind = DisruptionKind(disruption.kind)
    if kind is DisruptionKind.NODE:
        return np.array([graph.index_of(disruption.label, disruption.id)], dtype=np.int64)
    if kind is DisruptionKind.FIRM:
        firm = graph.index_of(NodeLabel.FIRM, disruption.id)
        return np.concatenate([[firm], graph.plants_of(firm)]).astype(np.int64)
    nodes = np.concatenate([graph.label_range(lab) for lab in SUPPLY_LABELS]).astype(np.int64)
    values = graph.region_of(nodes) if kind is DisruptionKind.REGION else graph.country_of(nodes)
    hit = nodes[values == disruption.id]
    if len(hit) == 0:
        raise NotFoundError(f"No firm or plant is located in {kind.value} {disruption.id!r}.")
    return hit


@dataclass
class _Network:
    """Precomputed arrays of the cascade model, shared by many scenarios."""

    base_out: np.ndarray
    edge_group: np.ndarray
    group_node: np.ndarray
    group_req: np.ndarray
    final: np.ndarray
    chain_pairs: pd.DataFrame
    offer_node: np.ndarray
    offer_product: np.ndarray
    offer_share: np.ndarray


def _network(graph: ChainGraph) -> _Network:
    n = graph.n_nodes
    shipped = np.bincount(graph.sup_src, weights=graph.sup_volume, minlength=n)
    base_out = np.where(shipped > 0, shipped, graph.node_capacity)
    prod = graph.sup_product.astype(np.int64)
    local = np.where(prod >= 0, graph.product_local(prod) + 1, 0)
    key = graph.sup_dst.astype(np.int64) * (graph.label_count[NodeLabel.PRODUCT] + 1) + local
    uniq, edge_group = np.unique(key, return_inverse=True)
    group_node = (uniq // (graph.label_count[NodeLabel.PRODUCT] + 1)).astype(np.int64)
    group_req = np.bincount(edge_group, weights=graph.sup_volume, minlength=len(uniq))
    outdeg = np.bincount(graph.sup_src, minlength=n)
    indeg = np.bincount(graph.sup_dst, minlength=n)
    final = (outdeg == 0) & (indeg > 0)
    m = segment_members(graph)
    chain = graph.segment_chain[m["segment"].to_numpy()]
    chain_pairs = pd.DataFrame({"chain": chain, "node": m["node"].to_numpy()})
    chain_pairs = chain_pairs[chain_pairs["chain"] >= 0].drop_duplicates()
    o = graph.offers
    onode = o["node"].to_numpy()
    node_tot = np.bincount(onode, weights=o["weight"].to_numpy(), minlength=n)
    share = np.where(
        node_tot[onode] > 0, o["weight"].to_numpy() / np.maximum(node_tot[onode], 1e-300), 0.0
    )
    return _Network(
        base_out=base_out,
        edge_group=edge_group,
        group_node=group_node,
        group_req=group_req,
        final=final,
        chain_pairs=chain_pairs,
        offer_node=onode,
        offer_product=o["product"].to_numpy(),
        offer_share=share,
    )


def _downstream(graph: ChainGraph, start: np.ndarray) -> np.ndarray:
    """Boolean mask of nodes reachable from ``start`` along supply edges (start included)."""
    seen = np.zeros(graph.n_nodes, dtype=bool)
    seen[start] = True
    frontier = seen.copy()
    pattern_t = graph.supply_pattern.T.tocsr()
    while frontier.any():
        nxt = (np.asarray(pattern_t @ frontier.astype(np.int8)).ravel() > 0) & ~seen
        seen |= nxt
        frontier = nxt
    return seen


def _simulate(
    graph: ChainGraph,
    net: _Network,
    down: np.ndarray,
    horizon: int,
    cover: float,
    duration: int,
    max_iter: int = 500,
) -> np.ndarray:
    """Fractions of normal output per period, shape (horizon, n).

    Only edges leaving the downstream closure of ``down`` can deliver less than normal, so
    the fixed point is computed on those edges, their input groups and their nodes.
    """
    n = graph.n_nodes
    out = np.ones((horizon, n))
    affected = _downstream(graph, down)
    edges = np.flatnonzero(affected[graph.sup_src])
    groups, e_local = np.unique(net.edge_group[edges], return_inverse=True)
    src = graph.sup_src[edges]
    vol = graph.sup_volume[edges]
    req = net.group_req[groups]
    g_node = net.group_node[groups]
    nodes_in, starts = np.unique(g_node, return_index=True)
    stock = cover * req
    usable = req > 0
    safe_req = np.where(usable, req, 1.0)
    frac = np.ones(n)
    frac[down] = 0.0
    for t in range(min(duration, horizon)):
        draw = np.zeros_like(req)
        for _ in range(max_iter):
            missing = np.bincount(e_local, weights=vol * (1.0 - frac[src]), minlength=len(req))
            draw = np.minimum(missing, stock)
            avail = np.where(usable, np.minimum(1.0, (req - missing + draw) / safe_req), 1.0)
            if not len(nodes_in):
                break
            old = frac[nodes_in]
            new = np.minimum(old, np.minimum.reduceat(avail, starts))
            frac[nodes_in] = new
            if np.abs(new - old).max(initial=0.0) < 1e-12:
                break
        stock = stock - draw
        out[t] = frac
    # after recovery every supplier delivers in full again: output returns to normal
    return out


def _tables(
    graph: ChainGraph, frac: np.ndarray, net: _Network, down: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    lost_t = (1.0 - frac) * net.base_out[None, :]
    lost = lost_t.sum(axis=0)
    horizon = frac.shape[0]
    base = net.base_out * horizon
    hit = np.flatnonzero(lost > 1e-9)
    first = np.argmax(frac[:, hit] < 1 - 1e-12, axis=0) if len(hit) else np.empty(0, int)
    by_node = pd.DataFrame(
        {
            "node": hit,
            "key": graph.keys_of(hit),
            "name": graph.node_name[hit],
            "disrupted": np.isin(hit, down),
            "final": net.final[hit],
            "output_at_risk": lost[hit],
            "share_lost": lost[hit] / np.where(base[hit] > 0, base[hit], 1.0),
            "first_period_hit": first,
        }
    ).sort_values("output_at_risk", ascending=False, kind="stable")
    # per product: split node loss by its offers
    onode, share = net.offer_node, net.offer_share
    p_lost = pd.Series(lost[onode] * share).groupby(net.offer_product).sum()
    p_base = pd.Series(base[onode] * share).groupby(net.offer_product).sum()
    prods = p_lost.index.to_numpy()
    by_product = pd.DataFrame(
        {
            "product_id": graph.node_id[prods].astype(str),
            "output_at_risk": p_lost.to_numpy(),
            "share_lost": p_lost.to_numpy()
            / np.where(p_base.to_numpy() > 0, p_base.to_numpy(), 1.0),
        }
    )
    by_product = by_product[by_product["output_at_risk"] > 1e-9].sort_values(
        "output_at_risk", ascending=False, kind="stable"
    )
    op = graph.node_operator
    owner = np.where(op >= 0, op, np.arange(graph.n_nodes))
    f_lost = np.bincount(owner, weights=lost, minlength=graph.n_nodes)
    f_base = np.bincount(owner, weights=base, minlength=graph.n_nodes)
    firms = np.flatnonzero(f_lost > 1e-9)
    by_firm = pd.DataFrame(
        {
            "firm_key": graph.keys_of(firms),
            "name": graph.node_name[firms],
            "output_at_risk": f_lost[firms],
            "share_lost": f_lost[firms] / np.where(f_base[firms] > 0, f_base[firms], 1.0),
        }
    ).sort_values("output_at_risk", ascending=False, kind="stable")
    pairs = net.chain_pairs
    cn = pairs["node"].to_numpy()
    c_lost = pd.Series(lost[cn]).groupby(pairs["chain"].to_numpy()).sum()
    c_base = pd.Series(base[cn]).groupby(pairs["chain"].to_numpy()).sum()
    by_chain = pd.DataFrame(
        {
            "chain_id": graph.node_id[c_lost.index.to_numpy()].astype(str),
            "output_at_risk": c_lost.to_numpy(),
            "share_lost": c_lost.to_numpy()
            / np.where(c_base.to_numpy() > 0, c_base.to_numpy(), 1.0),
        }
    ).sort_values("output_at_risk", ascending=False, kind="stable")
    fin = net.final
    fin_base = net.base_out[fin].sum()
    timeline = pd.DataFrame(
        {
            "period": np.arange(horizon),
            "output_lost": lost_t.sum(axis=1),
            "final_output_lost_share": (
                lost_t[:, fin].sum(axis=1) / fin_base if fin_base > 0 else np.zeros(horizon)
            ),
            "nodes_hit": (frac < 1 - 1e-12).sum(axis=1),
        }
    )
    return (
        timeline,
        by_node.reset_index(drop=True),
        by_product.reset_index(drop=True),
        by_firm.reset_index(drop=True),
        by_chain.reset_index(drop=True),
    )


def simulate_cascade(
    graph: ChainGraph,
    disruption: Disruption,
    *,
    horizon: int = 12,
    cover: float = 2.0,
    duration: int | None = None,
) -> CascadeResult:
    """Propagate one disruption through the supply network (see module docstring).

    Parameters
    ----------
    horizon : int
        Number of periods simulated.
    cover : float
        Inventory of every input, in periods of normal use (weeks of cover when volumes are
        weekly).
    duration : int, optional
        Periods the disrupted nodes stay down (default: the whole horizon).

    Examples
    --------
    >>> from chain_brain.graph.samples import toy_chain
    >>> g = ChainGraph.from_data(toy_chain())
    >>> r = simulate_cascade(g, Disruption(DisruptionKind.FIRM, "C1"), horizon=4, cover=1)
    >>> r.timeline["final_output_lost_share"].round(2).tolist()
    [0.0, 1.0, 1.0, 1.0]
    """
    if horizon < 1 or cover < 0:
        raise ValidationError(
            f"Cascade needs horizon >= 1 and cover >= 0; got {horizon=}, {cover=}."
        )
    net = _network(graph)
    down = disrupted_nodes(graph, disruption)
    return _run(graph, net, disruption, down, horizon, cover, duration)


def _run(
    graph: ChainGraph,
    net: _Network,
    disruption: Disruption,
    down: np.ndarray,
    horizon: int,
    cover: float,
    duration: int | None,
) -> CascadeResult:
    frac = _simulate(graph, net, down, horizon, cover, horizon if duration is None else duration)
    timeline, by_node, by_product, by_firm, by_chain = _tables(graph, frac, net, down)
    fin_base = net.base_out[net.final].sum() * horizon
    fin_lost = ((1 - frac[:, net.final]) * net.base_out[net.final][None, :]).sum()
    hit = np.flatnonzero(timeline["final_output_lost_share"].to_numpy() > 1e-12)
    return CascadeResult(
        disruption=disruption,
        horizon=horizon,
        cover=cover,
        disrupted=down,
        timeline=timeline,
        by_node=by_node,
        by_product=by_product,
        by_firm=by_firm,
        by_chain=by_chain,
        final_output_lost_share=float(fin_lost / fin_base) if fin_base > 0 else 0.0,
        first_final_loss_period=int(hit[0]) if len(hit) else None,
    )


def rank_disruptions(
    graph: ChainGraph,
    disruptions: Sequence[Disruption],
    *,
    horizon: int = 12,
    cover: float = 2.0,
    duration: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, list[CascadeResult]]:
    """Simulate several disruptions and rank them by share of final output at risk.

    Returns the ranking table (one row per scenario with ``finding_id`` and ``reason``) and
    the individual results in the same order as the table.
    """
    net = _network(graph)
    results: list[CascadeResult] = []
    for i, d in enumerate(disruptions):
        results.append(_run(graph, net, d, disrupted_nodes(graph, d), horizon, cover, duration))
        if progress is not None:
            progress(i + 1, len(disruptions))
    rows = [
        {
            "finding_id": f"cascade:{r.disruption.kind.value}:{r.disruption.id}",
            "scenario": r.disruption.name,
            "kind": r.disruption.kind.value,
            "target": r.disruption.id,
            "n_disrupted": len(r.disrupted),
            "final_output_lost_share": r.final_output_lost_share,
            "first_final_loss_period": r.first_final_loss_period,
            "output_at_risk": float(r.by_node["output_at_risk"].sum()),
            "nodes_hit": len(r.by_node),
            "products_hit": len(r.by_product),
            "top_products": ", ".join(r.by_product["product_id"].head(5)),
            "horizon": r.horizon,
            "cover": r.cover,
            "reason": r.summary(),
        }
        for r in results
    ]
    table = pd.DataFrame(rows)
    if len(table):
        order = np.argsort(-table["final_output_lost_share"].to_numpy(), kind="stable")
        table = table.iloc[order].reset_index(drop=True)
        results = [results[i] for i in order]
    return table, results
