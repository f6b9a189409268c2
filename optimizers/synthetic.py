"""Seeded synthetic multi-tier networks for tests and benchmarks (no real data)."""

from __future__ import annotations

import numpy as np

from graph_schema.errors import ValidationError
from optimizers.network import SupplyNetwork
from optimizers.reallocation import ReallocationProblem

__all__ = ["make_tiered_network", "random_reallocation_problem"]


def make_tiered_network(
    n_nodes: int,
    *,
    tiers: int = 4,
    max_inputs: int = 3,
    max_sources: int = 3,
    seed: int = 0,
) -> SupplyNetwork:
    """Return a random tiered network: tier 0 raw suppliers, the last tier finished products.

    Every node above tier 0 needs 1..``max_inputs`` inputs, each bought from
    1..``max_sources`` nodes of the tier below.  Finished nodes have demand 5..50 per week;
    capacities are 1..2 times a rough requirement (the undisrupted network lasts); inventories are
    0..4 weeks of that requirement.  Deterministic for a given ``seed``.

    Examples
    --------
    >>> net = make_tiered_network(40, seed=1)
    >>> net.n_nodes, bool(net.finished.any())
    (40, True)
    """
    if tiers < 2 or n_nodes < 2 * tiers:
        raise ValidationError(f"need tiers >= 2 and n_nodes >= 2 * tiers, got {n_nodes=}, {tiers=}")
    rng = np.random.default_rng(seed)
    tier_of = np.sort(rng.integers(0, tiers, size=n_nodes))
    tier_of[:tiers] = np.arange(tiers)  # every tier non-empty
    tier_of = np.sort(tier_of)
    members = [np.flatnonzero(tier_of == k) for k in range(tiers)]
    top = tiers - 1
    demand = np.zeros(n_nodes)
    finished = tier_of == top
    demand[finished] = rng.uniform(5, 50, size=int(finished.sum()))
    bom_node: list[int] = []
    bom_ratio: list[float] = []
    arc_src: list[int] = []
    arc_bom: list[int] = []
    need = demand.copy()  # rough weekly requirement, propagated down the tiers
    for k in range(top, 0, -1):
        below = members[k - 1]
        for j in members[k]:
            for _ in range(int(rng.integers(1, max_inputs + 1))):
                row = len(bom_node)
                bom_node.append(int(j))
                ratio = float(rng.choice([1.0, 1.0, 2.0, 3.0]))
                bom_ratio.append(ratio)
                srcs = rng.choice(
                    below,
                    size=min(int(rng.integers(1, max_sources + 1)), below.size),
                    replace=False,
                )
                for i in srcs:
                    arc_src.append(int(i))
                    arc_bom.append(row)
                    need[i] += need[j] * ratio / srcs.size
    need = np.maximum(need, 1.0)
    capacity = need * rng.uniform(1.0, 2.0, size=n_nodes)
    inventory = need * rng.uniform(0.0, 4.0, size=n_nodes)
    profit = np.where(finished, rng.uniform(1, 10, size=n_nodes), 0.0)
    net = SupplyNetwork(
        node_ids=tuple(f"N{j:05d}" for j in range(n_nodes)),
        profit=profit,
        demand=demand,
        inventory=inventory,
        capacity=capacity,
        finished=finished,
        bom_node=np.asarray(bom_node, dtype=np.int64),
        bom_input=tuple(f"in{r}" for r in range(len(bom_node))),
        bom_ratio=np.asarray(bom_ratio),
        arc_src=np.asarray(arc_src, dtype=np.int64),
        arc_bom=np.asarray(arc_bom, dtype=np.int64),
    )
    net.validate()
    return net


def random_reallocation_problem(
    n_lanes: int,
    n_periods: int,
    *,
    n_products: int = 5,
    seed: int = 0,
    min_order: bool = False,
    qualification: bool = False,
) -> ReallocationProblem:
    """Seeded synthetic problem with about ``n_lanes`` lanes (tests and benchmarks)."""
    rng = np.random.default_rng(seed)
    n_sources = max(2, n_lanes // 10)
    n_sinks = max(2, n_lanes // 20)
    no = max(n_products, n_lanes // 5)
    offer_source = rng.integers(0, n_sources, no)
    offer_product = np.concatenate(
        [np.arange(n_products), rng.integers(0, n_products, no - n_products)]
    )
    nd = max(n_products, n_lanes // 10)
    demand_sink = rng.integers(0, n_sinks, nd)
    demand_product = np.concatenate(
        [np.arange(n_products), rng.integers(0, n_products, nd - n_products)]
    )
    lane_offer = np.empty(n_lanes, dtype=np.int64)
    lane_demand = np.empty(n_lanes, dtype=np.int64)
    for k in range(n_products):  # lanes only between offers and demands of the same product
        lo = np.flatnonzero(offer_product == k)
        ld = np.flatnonzero(demand_product == k)
        idx = np.flatnonzero(np.arange(n_lanes) % n_products == k)
        lane_offer[idx] = rng.choice(lo, idx.size)
        lane_demand[idx] = rng.choice(ld, idx.size)
    ramp = np.minimum(1.0, (np.arange(n_periods)[None, :] + 1) / rng.integers(1, 4, no)[:, None])
    return ReallocationProblem(
        products=tuple(f"P{k}" for k in range(n_products)),
        sources=tuple(f"S{k}" for k in range(n_sources)),
        sinks=tuple(f"C{k}" for k in range(n_sinks)),
        n_periods=n_periods,
        offer_source=offer_source,
        offer_product=offer_product,
        offer_capacity=rng.uniform(10, 100, no),
        offer_ramp=ramp,
        demand_sink=demand_sink,
        demand_product=demand_product,
        demand_qty=rng.uniform(0, 80, (nd, n_periods)),
        lost_penalty=rng.uniform(50, 100, nd),
        lane_offer=lane_offer,
        lane_demand=lane_demand,
        lane_cost=rng.uniform(1, 20, n_lanes),
        lane_lead_time=rng.integers(0, 3, n_lanes),
        lead_time_penalty=0.5,
        lane_min_order=np.where(rng.random(n_lanes) < 0.3, 15.0, 0.0)
        if min_order
        else np.zeros(n_lanes),
        source_qualified=(rng.random(n_sources) < 0.6)
        if qualification
        else np.ones(n_sources, dtype=bool),
        qualification_cost=rng.uniform(50, 300, n_sources),
    )
