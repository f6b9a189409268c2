"""Chain strengthening (补链强链): which second sources, capacity or stock to fund.

The scoped snapshot becomes the disruption model's network (with plant-twin capacities where
twins exist, :mod:`chain_brain.services.networks`).  Candidate investments are read off the
graph, each with a stated cost (:class:`StrengtheningCosts`):

* **second source**: an input of a node that has exactly one supplier, and whose product is
  known, may be contracted from another node that makes (``PRODUCES``) or ships the same
  product (at most :data:`MAX_SOURCES_PER_INPUT` per input, the largest first);
* **capacity**: +``capacity_step`` (20 %) of weekly capacity at every node that is the sole
  supplier of some input;
* **inventory**: ``extra_weeks`` more weeks of demand in stock at every finished node.

Two objectives (Simchi-Levi et al., Interfaces 2015), chosen with ``objective``:

* ``"max_min_tts"`` (:func:`optimizers.plan_strengthening`, time-to-survive model): fund,
  within the budget, the options that maximise the smallest time-to-survive over every
  single-node disruption of the network, then the cheapest such set;
* ``"min_worst_loss"`` (:func:`optimizers.plan_loss_strengthening`, time-to-recover model):
  fund the options that minimise the largest loss over every single-node disruption, each
  node down for its own time to recover (plant twin P50 where one exists, else
  ``default_ttr``), then the cheapest such set.

The run is stored as a :class:`RunRecord` of kind ``"strengthening"`` with the candidate
options, the chosen ones, and every node's time-to-survive and time-to-recover loss (when it
is disrupted) before and after.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

import numpy as np
import pandas as pd

from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.services.networks import ChainNetwork, NetworkAssumptions, chain_network
from chain_brain.store import GraphStore, RunRecord, Scope
from graph_schema.errors import ValidationError
from optimizers import (
    DisruptionSolver,
    StrengtheningOption,
    plan_loss_strengthening,
    plan_strengthening,
)
from optimizers.network import SupplyNetwork

__all__ = [
    "MAX_NETWORK_NODES",
    "MAX_SOURCES_PER_INPUT",
    "OBJECTIVES",
    "STRENGTHENING",
    "Objective",
    "StrengtheningCosts",
    "candidate_options",
    "strengthen_chain",
]

STRENGTHENING = "strengthening"
MAX_NETWORK_NODES = 300
"""Largest network :func:`strengthen_chain` accepts: the MILP keeps one copy of the TTS
constraints per disrupted node, so its size grows with the square of the network."""
MAX_SOURCES_PER_INPUT = 3
Objective = Literal["max_min_tts", "min_worst_loss"]
OBJECTIVES: tuple[str, ...] = get_args(Objective)


@dataclass(frozen=True)
class StrengtheningCosts:
    """Cost assumptions of the candidate options, in units of the budget.

    They are relative weights that rank options, not prices (the graph records none):

    * a second-source contract costs ``second_source_per_unit`` per unit of the input's
      baseline weekly volume it backs up (qualification and a reserved share);
    * extra capacity costs ``capacity_per_unit`` per unit of weekly capacity added
      (``capacity_step`` x current capacity): building capacity is the dearest;
    * extra stock costs ``inventory_per_unit`` per unit held (``extra_weeks`` x weekly demand).
    """

    second_source_per_unit: float = 2.0
    capacity_per_unit: float = 5.0
    inventory_per_unit: float = 1.0
    capacity_step: float = 0.2
    extra_weeks: float = 1.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not (np.isfinite(value) and value >= 0):
                raise ValidationError(f"{name} must be finite and >= 0, got {value!r}.")


def _product_sources(cn: ChainNetwork, graph: ChainGraph) -> dict[str, list[tuple[float, int]]]:
    """Input key ``product:<id>`` -> (weight, network node) of every node offering it."""
    offers = graph.offers
    local = pd.Series(np.arange(cn.network.n_nodes), index=cn.graph_index)
    src = local.reindex(offers["node"].to_numpy()).to_numpy()
    key = "product:" + pd.Series(graph.node_id[offers["product"].to_numpy()]).astype(str)
    out: dict[str, list[tuple[float, int]]] = {}
    for s, k, w in zip(src, key, offers["weight"].to_numpy(dtype=float), strict=True):
        if np.isfinite(s):
            out.setdefault(str(k), []).append((float(w), int(s)))
    return out


def candidate_options(
    cn: ChainNetwork, graph: ChainGraph, costs: StrengtheningCosts | None = None
) -> tuple[list[StrengtheningOption], pd.DataFrame]:
    """The candidate investments of a chain network and a readable table of them.

    Returns the options (for :func:`optimizers.plan_strengthening`) and a table with one row
    per option: ``option, kind, node, supplier, input, amount, cost``.
    """
    c = costs or StrengtheningCosts()
    net = cn.network
    ids = net.node_ids
    opts: list[StrengtheningOption] = []
    rows: list[dict[str, object]] = []

    def add(o: StrengtheningOption) -> None:
        opts.append(o)
        rows.append(
            {
                "option": o.name,
                "kind": o.kind,
                "node": ids[o.node],
                "supplier": ids[o.supplier] if o.supplier >= 0 else None,
                "input": o.bom_input or None,
                "amount": o.amount,
                "cost": o.cost,
            }
        )

    n_sup = np.bincount(net.arc_bom, minlength=len(net.bom_input))
    volume = np.bincount(net.arc_bom, weights=cn.arc_volume, minlength=len(net.bom_input))
    sources = _product_sources(cn, graph)
    sole: set[int] = set()
    for r in np.flatnonzero(n_sup == 1):
        buyer = int(net.bom_node[r])
        current = int(net.arc_src[net.arc_bom == r][0])
        sole.add(current)
        key = net.bom_input[r]
        offers = sorted(
            {(w, s) for w, s in sources.get(key, []) if s not in (buyer, current)}, reverse=True
        )
        for _, s in offers[:MAX_SOURCES_PER_INPUT]:
            add(
                StrengtheningOption(
                    name=f"second source {ids[s]} -> {ids[buyer]} ({key})",
                    kind="second_source",
                    node=buyer,
                    amount=0.0,
                    cost=c.second_source_per_unit * float(volume[r]),
                    supplier=s,
                    bom_input=key,
                )
            )
    for i in sorted(sole):
        amount = c.capacity_step * float(net.capacity[i])
        if amount > 0:
            add(
                StrengtheningOption(
                    name=f"capacity +{c.capacity_step:.0%} at {ids[i]}",
                    kind="capacity",
                    node=i,
                    amount=amount,
                    cost=c.capacity_per_unit * amount,
                )
            )
    for j in np.flatnonzero(net.finished):
        amount = c.extra_weeks * float(net.demand[j])
        if amount > 0:
            add(
                StrengtheningOption(
                    name=f"stock +{c.extra_weeks:g} wk at {ids[j]}",
                    kind="inventory",
                    node=int(j),
                    amount=amount,
                    cost=c.inventory_per_unit * amount,
                )
            )
    table = pd.DataFrame(
        rows, columns=["option", "kind", "node", "supplier", "input", "amount", "cost"]
    )
    return opts, table


def _apply(net: SupplyNetwork, options: list[StrengtheningOption]) -> SupplyNetwork:
    """The network with ``options`` funded (a second source with amount 0 is a new arc)."""
    cap, inv = net.capacity.copy(), net.inventory.copy()
    arc_src, arc_bom = net.arc_src.tolist(), net.arc_bom.tolist()
    for o in options:
        if o.kind == "capacity":
            cap[o.node] += o.amount
        elif o.kind == "inventory":
            inv[o.node] += o.amount
        else:
            if o.amount > 0:
                raise ValidationError(f"option {o.name!r}: capped contracts are not applied here")
            rows = np.flatnonzero(net.bom_node == o.node)
            row = next(int(r) for r in rows if net.bom_input[r] == o.bom_input)
            arc_src.append(o.supplier)
            arc_bom.append(row)
    out = SupplyNetwork(
        node_ids=net.node_ids,
        profit=net.profit.copy(),
        demand=net.demand.copy(),
        inventory=inv,
        capacity=cap,
        finished=net.finished.copy(),
        bom_node=net.bom_node.copy(),
        bom_input=net.bom_input,
        bom_ratio=net.bom_ratio.copy(),
        arc_src=np.asarray(arc_src, dtype=np.int64),
        arc_bom=np.asarray(arc_bom, dtype=np.int64),
    )
    out.validate()
    return out


def _per_node(net: SupplyNetwork, ttr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time to survive and time-to-recover loss of every single-node disruption."""
    solver = DisruptionSolver(net)
    tts = np.array([solver.time_to_survive([j]) for j in range(net.n_nodes)])
    loss = np.array(
        [solver.loss([j], float(ttr[j]), tts=float(tts[j])) for j in range(net.n_nodes)]
    )
    return tts, loss


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def strengthen_chain(
    store: GraphStore,
    scope: Scope,
    *,
    budget: float,
    assumptions: NetworkAssumptions | None = None,
    use_twins: bool = True,
    costs: StrengtheningCosts | None = None,
    time_limit: float | None = 120.0,
    objective: Objective = "max_min_tts",
    tenant: str | None = None,
    save: bool = True,
) -> RunRecord:
    """Fund the candidate options that keep the chain of ``scope`` alive longest.

    Parameters
    ----------
    store : GraphStore
    scope : Scope
        Part of the graph to strengthen (a chain, a region); its supply network must have at
        most :data:`MAX_NETWORK_NODES` nodes.
    budget : float
        Most the funded options may cost, in the units of :class:`StrengtheningCosts`.
    assumptions : NetworkAssumptions, optional
        Defaults where the graph is silent (utilisation, weeks of cover, ...).
    use_twins : bool
        Use plant-twin capacities where twins exist.
    costs : StrengtheningCosts, optional
        Cost assumptions of the options (see its docstring).
    time_limit : float, optional
        Seconds for each MILP solve.
    objective : {"max_min_tts", "min_worst_loss"}
        Maximise the smallest time-to-survive, or minimise the worst time-to-recover loss
        (see the module docstring).

    Returns
    -------
    RunRecord
        Kind ``"strengthening"``; tables ``options`` (every candidate, ``chosen`` flag),
        ``chosen`` and ``nodes`` (``tts_before``/``tts_after``: weeks all demand is met
        while that node is down, ``inf`` for indefinitely; ``ttr``, and
        ``loss_before``/``loss_after``: units of finished product lost while it recovers);
        summary with the objective, the smallest time-to-survive and the worst loss before
        and after, ``weakest_before`` (the nodes whose disruption is the objective's worst:
        the shortest survival, or the largest loss), the cost and the assumptions.

    Raises
    ------
    ValidationError
        On a negative budget, an unknown objective or a network larger than
        :data:`MAX_NETWORK_NODES`.
    """
    t0 = time.perf_counter()
    if not (np.isfinite(budget) and budget >= 0):
        raise ValidationError(f"budget must be finite and >= 0, got {budget!r}.")
    if objective not in OBJECTIVES:
        raise ValidationError(f"objective must be one of {OBJECTIVES}, got {objective!r}.")
    a = assumptions or NetworkAssumptions()
    c = costs or StrengtheningCosts()
    graph = ChainGraph.from_data(store.snapshot(scope))
    twin = None
    if use_twins:
        from chain_brain.services.twins import twin_capacity

        twin = twin_capacity(store)
    cn = chain_network(graph, a, twin_capacity=twin)
    n = cn.network.n_nodes
    if n > MAX_NETWORK_NODES:
        raise ValidationError(
            f"The supply network of scope {scope} has {n} nodes; strengthening handles at most "
            f"{MAX_NETWORK_NODES}. Narrow the scope: a region, or a focus firm with a few tiers."
        )
    options, table = candidate_options(cn, graph, c)
    ttr = cn.ttr
    if objective == "max_min_tts":
        plan = plan_strengthening(cn.network, options, budget, time_limit=time_limit)
        chosen, cost = plan.chosen, plan.cost
    else:
        loss_plan = plan_loss_strengthening(cn.network, options, budget, ttr, time_limit=time_limit)
        chosen, cost = loss_plan.chosen, loss_plan.cost
    chosen_set = set(chosen)
    table["chosen"] = table["option"].isin(chosen_set)
    funded = [o for o in options if o.name in chosen_set]
    before, loss_before = _per_node(cn.network, ttr)
    if funded:
        after, loss_after = _per_node(_apply(cn.network, funded), ttr)
    else:
        after, loss_after = before.copy(), loss_before.copy()
    nodes = cn.nodes[["id", "label", "name", "country", "finished", "capacity", "inventory"]]
    nodes = nodes.rename(columns={"id": "node"}).assign(
        tts_before=before,
        tts_after=after,
        ttr=ttr,
        loss_before=loss_before,
        loss_after=loss_after,
    )
    if objective == "max_min_tts":
        nodes = nodes.sort_values(["tts_before", "node"]).reset_index(drop=True)
        weakest = nodes.loc[before.min() == nodes["tts_before"], "node"]
        min_before, min_after = plan.min_tts_before, plan.min_tts_after
    else:
        nodes = nodes.sort_values(["loss_before", "node"], ascending=[False, True])
        nodes = nodes.reset_index(drop=True)
        weakest = nodes.loc[loss_before.max() == nodes["loss_before"], "node"]
        min_before, min_after = float(before.min()), float(after.min())
    summary: dict[str, object] = {
        "objective": objective,
        "budget": float(budget),
        "cost": cost,
        "options": len(options),
        "chosen": list(chosen),
        "min_tts_before": _finite(min_before),
        "min_tts_after": _finite(min_after),
        "worst_loss_before": float(loss_before.max()),
        "worst_loss_after": float(loss_after.max()),
        "weakest_before": [str(x) for x in weakest],
        "network_nodes": n,
        "network_arcs": cn.network.n_arcs,
        "costs": asdict(c),
        "notes": cn.notes,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    run = RunRecord(
        kind=STRENGTHENING,
        id=datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6],
        params={
            "scope": asdict(scope),
            "budget": float(budget),
            "assumptions": asdict(a),
            "use_twins": use_twins,
            "costs": asdict(c),
            "objective": objective,
        },
        summary=summary,
        tables={
            "options": table,
            "chosen": table[table["chosen"]].reset_index(drop=True),
            "nodes": nodes,
        },
        tenant=tenant,
    )
    if save:
        store.save_run(run)
    return run
