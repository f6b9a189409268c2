"""Disruption what-ifs: a plant, a firm or a region goes down for ``ttr`` weeks.

A scenario reads the scoped snapshot once, builds the disruption model's network (with
plant-twin capacities where twins exist, :mod:`chain_brain.services.networks`), and reports

* the time-to-recover loss of the disrupted set (Simchi-Levi et al., Interfaces 2015) and
  its time-to-survive, with the lost volume of every finished node;
* optionally (``sweep``) every node's own TTR loss, TTS, risk exposure index and whether its
  time-to-recover exceeds its time-to-survive;
* the reallocation plan (``plan``): customers of the disrupted nodes re-source the products
  they lost from every other node with spare capacity of that product, at the stated
  :data:`PLAN_COSTS` (:func:`optimizers.plan_reallocation`, HiGHS).

The run is stored as a :class:`RunRecord` of kind ``"scenario"`` so the API and dashboards
show and compare it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.services.networks import ChainNetwork, NetworkAssumptions, chain_network
from chain_brain.store import GraphStore, RunRecord, Scope
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.model import NodeLabel
from optimizers import (
    DisruptionSolver,
    ReallocationProblem,
    build_ttr_model,
    plan_reallocation,
    sweep_disruptions,
)
from optimizers.disruption import solve_pyomo

__all__ = [
    "SCENARIO",
    "ScenarioSpec",
    "run_scenario",
    "list_scenarios",
    "get_scenario",
    "compare_scenarios",
    "disrupted_nodes",
]

SCENARIO = "scenario"
ProgressFn = Callable[[float, str], None]


@dataclass(frozen=True)
class ScenarioSpec:
    """A what-if: what goes down, for how long, in which part of the graph.

    ``disrupted`` holds firm or plant ids (a firm takes its plants down with it) and
    ``regions`` region or ISO3 country ids (every firm and plant located there).
    """

    name: str = "what-if"
    scope: Scope = field(default_factory=Scope)
    disrupted: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    ttr_weeks: float = 4.0
    assumptions: NetworkAssumptions = field(default_factory=NetworkAssumptions)
    sweep: bool = False
    use_twins: bool = True
    plan: bool = True
    tenant: str | None = None
    sweep_workers: int = 1

    def __post_init__(self) -> None:
        if not self.disrupted and not self.regions:
            raise ValidationError("A scenario needs at least one disrupted firm, plant or region.")
        if self.sweep_workers < 1:
            raise ValidationError(f"sweep_workers must be >= 1, got {self.sweep_workers}.")
        if not (self.ttr_weeks >= 0 and np.isfinite(self.ttr_weeks)):
            raise ValidationError(f"ttr_weeks must be finite and >= 0, got {self.ttr_weeks}.")


def disrupted_nodes(cn: ChainNetwork, graph: ChainGraph, spec: ScenarioSpec) -> np.ndarray:
    """Network indices of everything ``spec`` takes down; NotFoundError naming an unknown id."""
    ids = pd.Index(cn.nodes["id"].astype(str))
    out: set[int] = set()
    for node_id in spec.disrupted:
        pos = ids.get_indexer([node_id])[0]
        hits: list[int] = [int(pos)] if pos >= 0 else []
        try:
            firm = graph.index_of(NodeLabel.FIRM, node_id)
        except NotFoundError:
            firm = -1
        if firm >= 0:
            plants = graph.node_id[graph.plants_of(firm)].astype(str)
            hits += [int(p) for p in ids.get_indexer(plants) if p >= 0]
        if not hits:
            raise NotFoundError(
                f"Disrupted id {node_id!r} is not a firm or plant of this scenario's supply network."
            )
        out.update(hits)
    for region in spec.regions:
        inside = (cn.nodes["region"].astype(str) == region) | (
            cn.nodes["country"].astype(str) == region
        )
        if not inside.any():
            raise NotFoundError(
                f"No firm or plant of this scenario's supply network lies in {region!r}."
            )
        out.update(np.flatnonzero(inside.to_numpy()).tolist())
    return np.array(sorted(out), dtype=np.int64)


def _impact(cn: ChainNetwork, idx: np.ndarray, t: float) -> pd.DataFrame:
    """Lost volume per finished node in the TTR solution (the readable Pyomo model)."""
    model = build_ttr_model(cn.network, idx.tolist(), t)
    solve_pyomo(model, f"time-to-recover LP of the scenario, t={t}")
    fin = np.flatnonzero(cn.network.finished)
    lost = np.array([float(model.lost[int(j)].value or 0.0) for j in fin])
    nodes = cn.nodes.iloc[fin]
    demand = nodes["demand"].to_numpy() * t
    table = pd.DataFrame(
        {
            "node": nodes["id"].to_numpy(),
            "name": nodes["name"].to_numpy(),
            "country": nodes["country"].to_numpy(),
            "demand": demand,
            "lost": lost,
            "lost_share": np.divide(lost, demand, out=np.zeros_like(lost), where=demand > 0),
        }
    )
    return table[table["lost"] > 1e-9].sort_values("lost", ascending=False).reset_index(drop=True)


#: Costs of the reallocation where the graph has none: a unit shipped on an existing lane
#: costs 1, a new lane 1.5, a cross-border lane 0.5 more, a period of lead time 0.1, a unit of
#: demand left unmet 10.  They rank options; they are not prices.
PLAN_COSTS = {"existing": 1.0, "new": 1.5, "cross_border": 0.5, "lead_period": 0.1, "lost": 10.0}
MAX_OFFERS_PER_DEMAND = 50


def _reallocation(
    cn: ChainNetwork, graph: ChainGraph, idx: np.ndarray, weeks: float
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, object]]:
    """Who ships what to whom while ``idx`` is down: the customers of the disrupted nodes
    ask for the product those shipped; every other node that makes or ships that product
    offers its spare capacity (capacity minus baseline output)."""
    net = cn.network
    down = np.zeros(net.n_nodes, dtype=bool)
    down[idx] = True
    arc_dst = net.arc_dst
    key = np.asarray(net.bom_input, dtype=object)[net.arc_bom]
    lost_arc = (
        down[net.arc_src] & ~down[arc_dst] & pd.Series(key).str.startswith("product:").to_numpy()
    )
    info: dict[str, object] = {"costs": PLAN_COSTS}
    if not lost_arc.any():
        info["note"] = "no customer outside the disrupted set lost a supply with a known product"
        return pd.DataFrame(), pd.DataFrame(), info
    demand = (
        pd.DataFrame(
            {"sink": arc_dst[lost_arc], "product": key[lost_arc], "qty": cn.arc_volume[lost_arc]}
        )
        .groupby(["sink", "product"], as_index=False)["qty"]
        .sum()
    )
    offers_g = graph.offers
    local = pd.Series(np.arange(net.n_nodes), index=cn.graph_index)
    offers = pd.DataFrame(
        {
            "source": local.reindex(offers_g["node"].to_numpy()).to_numpy(),
            "product": "product:"
            + pd.Series(graph.node_id[offers_g["product"].to_numpy()]).astype(str),
        }
    ).dropna()
    offers["source"] = offers["source"].astype(np.int64)
    spare = np.maximum(net.capacity - cn.nodes["baseline_output"].to_numpy(), 0.0)
    offers = offers[~down[offers["source"].to_numpy()]].drop_duplicates()
    offers["capacity"] = spare[offers["source"].to_numpy()]
    offers = offers[(offers["capacity"] > 0) & offers["product"].isin(demand["product"])]
    offers = (
        offers.sort_values("capacity", ascending=False)
        .groupby("product")
        .head(MAX_OFFERS_PER_DEMAND)
    )
    offers = offers.reset_index(drop=True)
    products = tuple(sorted(set(demand["product"])))
    pidx = {p: i for i, p in enumerate(products)}
    lanes = (
        demand.reset_index()
        .rename(columns={"index": "d"})
        .merge(
            offers.reset_index().rename(columns={"index": "o"}), on="product", suffixes=("_d", "_o")
        )
    )
    lanes = lanes[lanes["source"] != lanes["sink"]]
    existing = set(zip(net.arc_src.tolist(), arc_dst.tolist(), strict=True))
    country = cn.nodes["country"].astype(object).to_numpy()
    is_existing = np.array(
        [(s, t) in existing for s, t in zip(lanes["source"], lanes["sink"], strict=True)],
        dtype=bool,
    )
    cross = country[lanes["source"].to_numpy()] != country[lanes["sink"].to_numpy()]
    cost = np.where(is_existing, PLAN_COSTS["existing"], PLAN_COSTS["new"]) + np.where(
        cross, PLAN_COSTS["cross_border"], 0.0
    )
    periods = max(int(np.ceil(weeks)), 1)
    problem = ReallocationProblem(
        products=products,
        sources=tuple(cn.nodes["id"].astype(str)),
        sinks=tuple(cn.nodes["id"].astype(str)),
        n_periods=periods,
        offer_source=offers["source"].to_numpy(dtype=np.int64),
        offer_product=offers["product"].map(pidx).to_numpy(dtype=np.int64),
        offer_capacity=offers["capacity"].to_numpy(dtype=float),
        offer_ramp=np.ones((len(offers), periods)),
        demand_sink=demand["sink"].to_numpy(dtype=np.int64),
        demand_product=demand["product"].map(pidx).to_numpy(dtype=np.int64),
        demand_qty=np.repeat(demand["qty"].to_numpy(dtype=float)[:, None], periods, axis=1),
        lost_penalty=np.full(len(demand), PLAN_COSTS["lost"]),
        lane_offer=lanes["o"].to_numpy(dtype=np.int64),
        lane_demand=lanes["d"].to_numpy(dtype=np.int64),
        lane_cost=cost.astype(float),
        lane_lead_time=np.where(cross, 1, 0).astype(np.int64),
        lead_time_penalty=PLAN_COSTS["lead_period"],
    )
    plan = plan_reallocation(problem)
    info.update(
        {
            "demands": int(len(demand)),
            "offers": int(len(offers)),
            "lanes": int(len(lanes)),
            "cost": plan.cost.total,
            "cost_transport": plan.cost.transport,
            "cost_lost_demand": plan.cost.lost_demand,
        }
    )
    return plan.shipments, plan.lost, info


def sweep_groups(cn: ChainNetwork) -> dict[str, list[int]]:
    """The firms and regions of a network as group scenarios of a sweep.

    ``firm:<id>`` takes down the firm and the plants it operates; a region (named by its id,
    ``region:...``) every node located in it.  A group of one node is left out: its single-node scenario is
    the same disruption.
    """
    nodes = cn.nodes
    labels = nodes["label"].astype(str).to_numpy()
    firm_of = np.where(labels == NodeLabel.FIRM.value, nodes["id"], nodes["operator"])
    groups: dict[str, list[int]] = {}
    for prefix, key in (("firm", firm_of), ("region", nodes["region"].to_numpy())):
        frame = pd.DataFrame({"key": key, "i": np.arange(len(nodes))}).dropna()
        for value, members in frame.groupby("key", sort=True)["i"]:
            if len(members) > 1:
                name = str(value)  # region ids already read "region:..."
                name = name if name.startswith(f"{prefix}:") else f"{prefix}:{name}"
                groups[name] = [int(i) for i in members]
    return groups


def run_scenario(
    store: GraphStore,
    spec: ScenarioSpec,
    progress: ProgressFn | None = None,
    *,
    save: bool = True,
) -> RunRecord:
    """Run the what-if ``spec`` and (by default) store it."""
    t0 = time.perf_counter()

    def step(fraction: float, message: str) -> None:
        if progress is not None:
            progress(fraction, message)

    step(0.0, "reading snapshot")
    graph = ChainGraph.from_data(store.snapshot(spec.scope))
    twin = None
    if spec.use_twins:
        from chain_brain.services.twins import twin_capacity

        twin = twin_capacity(store)
    step(0.15, "building the network")
    cn = chain_network(graph, spec.assumptions, twin_capacity=twin)
    idx = disrupted_nodes(cn, graph, spec)
    step(0.3, "solving time-to-recover and time-to-survive")
    solver = DisruptionSolver(cn.network)
    tts = solver.time_to_survive(idx.tolist())
    loss = solver.loss(idx.tolist(), spec.ttr_weeks, tts=tts)  # 0 with no solve if tts >= ttr
    total_demand = float(cn.network.demand.sum() * spec.ttr_weeks)
    impact = _impact(cn, idx, spec.ttr_weeks)
    tables: dict[str, pd.DataFrame] = {
        "disrupted": cn.nodes.iloc[idx].reset_index(drop=True),
        "impact": impact,
    }
    if spec.plan:
        step(0.45, "planning the reallocation")
        shipments, unmet, plan_info = _reallocation(cn, graph, idx, spec.ttr_weeks)
        if len(shipments):
            tables["plan"] = shipments
        if len(unmet):
            tables["plan_unmet"] = unmet
    else:
        plan_info = {}
    if spec.sweep:
        step(0.5, "sweeping every node")
        groups = sweep_groups(cn)
        report = sweep_disruptions(
            cn.network, cn.ttr, groups=groups, workers=spec.sweep_workers, progress=False
        )
        swept = report.to_frame()
        single = swept["kind"] == "node"
        sweep = swept[single].rename(columns={"scenario": "node"})
        info = cn.nodes[
            ["id", "label", "name", "country", "region", "capacity_source", "ttr_source"]
        ]
        tables["nodes"] = sweep.merge(info, left_on="node", right_on="id").drop(columns=["id"])
        if (~single).any():
            tables["groups"] = swept[~single].reset_index(drop=True)
    step(0.9, "saving")
    summary: dict[str, object] = {
        "name": spec.name,
        "disrupted_nodes": int(idx.size),
        "ttr_weeks": spec.ttr_weeks,
        "loss": loss,
        "demand_over_ttr": total_demand,
        "lost_share": loss / total_demand if total_demand > 0 else 0.0,
        "tts_weeks": tts if np.isfinite(tts) else None,
        "needs_attention": bool(spec.ttr_weeks > tts),
        "network_nodes": cn.network.n_nodes,
        "network_arcs": cn.network.n_arcs,
        "twin_backed_nodes": int((cn.nodes["capacity_source"] == "twin").sum()),
        "twin_nameplate_nodes": int((cn.nodes["capacity_source"] == "twin-nameplate").sum()),
        "notes": cn.notes,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    summary["plan"] = plan_info
    if "nodes" in tables:
        summary["nodes_needing_attention"] = int(tables["nodes"]["needs_attention"].sum())
    run = RunRecord(
        kind=SCENARIO,
        id=datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
        params={
            "name": spec.name,
            "scope": asdict(spec.scope),
            "disrupted": list(spec.disrupted),
            "regions": list(spec.regions),
            "ttr_weeks": spec.ttr_weeks,
            "assumptions": asdict(spec.assumptions),
            "sweep": spec.sweep,
            "use_twins": spec.use_twins,
            "plan": spec.plan,
        },
        summary=summary,
        tables=tables,
        tenant=spec.tenant,
    )
    if save:
        store.save_run(run)
    step(1.0, "done")
    return run


def list_scenarios(store: GraphStore) -> list[RunRecord]:
    return store.list_runs(SCENARIO)


def get_scenario(store: GraphStore, run_id: str) -> RunRecord:
    return store.load_run(SCENARIO, run_id)


def compare_scenarios(store: GraphStore, run_a: str, run_b: str) -> pd.DataFrame:
    """Side by side: the headline figures of two stored scenarios."""
    a, b = get_scenario(store, run_a), get_scenario(store, run_b)
    keys = [
        "name",
        "disrupted_nodes",
        "ttr_weeks",
        "loss",
        "lost_share",
        "tts_weeks",
        "needs_attention",
    ]
    return pd.DataFrame(
        {
            "figure": keys,
            run_a: [a.summary.get(k) for k in keys],
            run_b: [b.summary.get(k) for k in keys],
        }
    )
