"""From a chain snapshot to the disruption model: ChainGraph (+ plant twins) -> SupplyNetwork.

This is the one place where the graph's facts become the data of the Simchi-Levi et al.
(2015) model (see ``optimizers.network``).  Stated rules, each reported with the network:

* **Capacity** of a node: its ``PRODUCES`` capacities summed per product, then the
  largest product.
* **Nodes** are the firms and plants that take part in supply (a ``SUPPLIES`` edge) or have
  a production capacity (``PRODUCES``).
* **Weekly volume of an edge**: its ``volume`` divided by ``periods_per_year`` (volumes and
  capacities are annual, as in the Global Energy Monitor data, kt per year).
* **Inputs (BOM rows)**: a customer's inbound edges grouped by the product they carry; an
  edge without a product is its own input ("each supplier provides a distinct part", the
  view of Simchi-Levi et al. for a chain lead's tier-1 list).  The ratio is the
  ``REQUIRES.quantity`` from a product the customer makes to the input, else 1.
* **Baseline output** ``u0``: ``utilisation`` x capacity where capacity is known; else what
  its customers pull; a sink with neither makes what its recorded inputs allow, or one
  unit per week.  Edges without a volume carry what the customer's baseline needs (split
  evenly among the suppliers of that input), so nothing is lost when nothing is disrupted.
  Capacity is ``u0 / utilisation`` where unknown.
* **Finished nodes** (set V) are the sinks (no outbound supply) with ``u0 > 0``; their
  weekly demand is ``u0``.  Inventory is ``weeks_of_cover`` x ``u0``; profit per unit 1,
  so losses are in units of the finished product.
* **Twins**: where a plant twin exists, its effective P50 weekly capacity replaces the
  surveyed one and its P50 time-to-recover replaces ``default_ttr``; the ``capacity_source``
  and ``ttr_source`` columns say which was used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.services.cache import cached_snapshot
from chain_brain.store import GraphStore, Scope
from chain_brain.store.base import Direction
from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData
from graph_schema.model import NodeLabel
from optimizers.network import SupplyNetwork

__all__ = ["NetworkAssumptions", "ChainNetwork", "chain_network", "neighbourhood"]


def neighbourhood(
    store: GraphStore,
    node_id: str,
    *,
    tiers: int = 1,
    direction: Direction = "both",
    as_of: str | None = None,
    chain: str | None = None,
) -> GraphData:
    """The supply neighbourhood of a firm or plant: nodes ``tiers`` supply hops away
    (``"up"`` suppliers, ``"down"`` customers, ``"both"``) and the relationships among them;
    with ``chain``, within that chain's part of the graph.

    Unredacted and uncut: callers serving a principal pass it through
    :func:`chain_brain.services.security.restrict` and ``redact``.  Cached in
    :func:`~chain_brain.services.cache.view_cache` until the graph changes (treat the
    frames as read-only).
    """
    scope = Scope(focus=node_id, tiers=tiers, direction=direction, as_of=as_of, chain=chain)
    return cached_snapshot(store, scope)


@dataclass(frozen=True)
class NetworkAssumptions:
    """The defaults used where the graph is silent (every one is reported with results)."""

    utilisation: float = 0.85
    weeks_of_cover: float = 2.0
    periods_per_year: float = 52.0
    default_ttr: float = 4.0

    def __post_init__(self) -> None:
        if not 0.0 < self.utilisation <= 1.0:
            raise ValidationError(f"utilisation must lie in (0, 1], got {self.utilisation}.")
        if self.weeks_of_cover < 0:
            raise ValidationError(f"weeks_of_cover must be >= 0, got {self.weeks_of_cover}.")
        if self.periods_per_year <= 0:
            raise ValidationError(f"periods_per_year must be > 0, got {self.periods_per_year}.")
        if self.default_ttr < 0:
            raise ValidationError(f"default_ttr must be >= 0, got {self.default_ttr}.")


@dataclass
class ChainNetwork:
    """A SupplyNetwork plus what each of its nodes is in the graph."""

    network: SupplyNetwork
    nodes: pd.DataFrame  # id, label, name, country, region, operator, capacity, ..., ttr
    graph_index: np.ndarray  # network node -> ChainGraph node index
    assumptions: NetworkAssumptions
    arc_volume: np.ndarray  # baseline volume per week of each arc of ``network``
    notes: list[str] = field(default_factory=list)

    def index_of(self, node_id: str) -> int:
        return self.network.index_of(node_id)

    @property
    def ttr(self) -> np.ndarray:
        return self.nodes["ttr"].to_numpy(dtype=float)


def chain_network(
    graph: ChainGraph,
    assumptions: NetworkAssumptions | None = None,
    *,
    twin_capacity: pd.DataFrame | None = None,
) -> ChainNetwork:
    """Build the disruption model's network from a chain snapshot.

    Parameters
    ----------
    graph : the projection of a snapshot.
    assumptions : defaults where the graph is silent.
    twin_capacity : optional table ``plant_id, capacity_p50 (per week), ttr_p50 (weeks)`` and
        ``source`` from the plant twins; those plants use it instead of surveyed figures
        (``capacity_source`` is ``twin`` where the twin has observations, ``twin-nameplate``
        where it only knows the nameplate).
    """
    a = assumptions or NetworkAssumptions()
    firm, plant = (graph.label_range(NodeLabel.FIRM), graph.label_range(NodeLabel.PLANT))
    supply_nodes = np.concatenate([firm, plant])
    in_supply = np.zeros(graph.n_nodes, dtype=bool)
    in_supply[graph.sup_src] = True
    in_supply[graph.sup_dst] = True
    has_cap = _node_capacity(graph) > 0
    keep = supply_nodes[in_supply[supply_nodes] | has_cap[supply_nodes]]
    if keep.size == 0:
        raise ValidationError(
            "The snapshot has no supply nodes (no SUPPLIES edges and no PRODUCES capacity)."
        )
    local = np.full(graph.n_nodes, -1, dtype=np.int64)
    local[keep] = np.arange(keep.size)
    n = keep.size
    ids = graph.node_id[keep].astype(str)

    cap_w = _node_capacity(graph)[keep] / a.periods_per_year
    cap_source = np.where(cap_w > 0, "surveyed", "none").astype(object)
    ttr = np.full(n, a.default_ttr)
    ttr_source = np.full(n, "default", dtype=object)
    if twin_capacity is not None and len(twin_capacity):
        src_col = twin_capacity["source"] if "source" in twin_capacity.columns else "twin"
        tw = (
            twin_capacity.assign(source=src_col)
            .groupby("plant_id")
            .agg(cap=("capacity_p50", "sum"), ttr=("ttr_p50", "max"), source=("source", "first"))
        )
        pos = pd.Index(ids).get_indexer(tw.index)
        hit = pos >= 0
        cap_w[pos[hit]] = tw["cap"].to_numpy()[hit]
        cap_source[pos[hit]] = np.where(
            tw["source"].to_numpy()[hit] == "twin", "twin", "twin-nameplate"
        )
        ttr_ok = hit & np.isfinite(tw["ttr"].to_numpy())
        ttr[pos[ttr_ok]] = tw["ttr"].to_numpy()[ttr_ok]
        ttr_source[pos[ttr_ok]] = "twin"

    src = local[graph.sup_src]
    dst = local[graph.sup_dst]
    ok = (src >= 0) & (dst >= 0) & (src != dst)
    src, dst = src[ok], dst[ok]
    product = graph.sup_product[ok]
    volume = graph.sup_volume[ok] / a.periods_per_year
    outdeg = np.bincount(src, minlength=n)
    notes = []
    if (volume <= 0).any():
        notes.append(
            f"{int((volume <= 0).sum())} of {volume.size} supply edges had no volume; their "
            "weekly volume was set to what the customer's baseline output needs."
        )

    # inputs of each customer: by product, or one input per supplier where no product
    input_key = np.where(
        product >= 0,
        np.char.add("product:", graph.node_id[np.maximum(product, 0)].astype(str)),
        np.char.add("supplier:", ids[src]),
    )
    edges = pd.DataFrame({"dst": dst, "input": input_key, "product": product})
    rows = (
        edges.groupby(["dst", "input"], sort=True).agg(product=("product", "first")).reset_index()
    )
    ratio = np.ones(len(rows))
    if graph.bom_output.size and len(rows):
        # a customer's products (PRODUCES) -> REQUIRES quantity of the input product
        made = pd.DataFrame({"node": local[graph.prod_node], "output": graph.prod_product})
        made = made[made["node"] >= 0]
        req = pd.DataFrame(
            {"output": graph.bom_output, "input_product": graph.bom_input, "q": graph.bom_quantity}
        )
        q = made.merge(req, on="output").groupby(["node", "input_product"])["q"].max()
        key = pd.MultiIndex.from_arrays([rows["dst"].to_numpy(), rows["product"].to_numpy()])
        found = q.reindex(key).to_numpy()
        ratio = np.where(np.isfinite(found) & (found > 0), found, 1.0)
    rows["ratio"] = ratio
    row_of = {
        (int(d), k): r for r, (d, k) in enumerate(zip(rows["dst"], rows["input"], strict=True))
    }
    arc_bom = np.array(
        [row_of[(int(d), k)] for d, k in zip(dst, input_key, strict=True)], dtype=np.int64
    )

    u0, vol = _baseline(
        n, a.utilisation * cap_w, src, arc_bom, rows["dst"].to_numpy(dtype=np.int64), ratio, volume
    )
    capacity = np.where(cap_w > 0, cap_w, u0 / a.utilisation)
    cap_source = np.where((cap_w <= 0) & (capacity > 0), "derived", cap_source)
    finished = (outdeg == 0) & (u0 > 0)
    demand = np.where(finished, u0, 0.0)
    inventory = a.weeks_of_cover * u0

    network = SupplyNetwork(
        node_ids=tuple(ids),
        profit=np.ones(n),
        demand=demand,
        inventory=inventory,
        capacity=capacity,
        finished=finished,
        bom_node=rows["dst"].to_numpy(dtype=np.int64),
        bom_input=tuple(rows["input"].astype(str)),
        bom_ratio=rows["ratio"].to_numpy(dtype=float),
        arc_src=src.astype(np.int64),
        arc_bom=arc_bom,
    )
    network.validate()
    country = graph.country_of(keep)
    region = graph.region_of(keep)
    op = graph.node_operator[keep]
    nodes = pd.DataFrame(
        {
            "id": ids,
            "label": [graph.label_of(int(k)).value for k in keep],
            "name": graph.node_name[keep],
            "country": country,
            "region": region,
            "operator": np.where(op >= 0, graph.node_id[np.maximum(op, 0)], None),
            "capacity": capacity,
            "capacity_source": cap_source,
            "baseline_output": u0,
            "demand": demand,
            "inventory": inventory,
            "finished": finished,
            "ttr": ttr,
            "ttr_source": ttr_source,
        }
    )
    return ChainNetwork(network, nodes, keep, a, vol, notes)


def _node_capacity(graph: ChainGraph) -> np.ndarray:
    """Capacity of each node: PRODUCES capacities summed per product (processes of one
    product add up, e.g. BOF + EAF crude steel), then the largest product (an integrated
    mill's pig iron and crude steel are stages of one output, not two outputs)."""
    out = np.zeros(graph.n_nodes)
    if graph.prod_node.size == 0:
        return out
    per = pd.DataFrame(
        {"node": graph.prod_node, "product": graph.prod_product, "cap": graph.prod_capacity}
    )
    summed = per.groupby(["node", "product"])["cap"].sum().groupby(level="node").max()
    out[summed.index.to_numpy(dtype=np.int64)] = summed.to_numpy(dtype=float)
    return out


def _reverse_topological(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Nodes with customers before suppliers (Kahn on the reversed supply graph); nodes on
    supply cycles come last, in index order."""
    outdeg = np.bincount(src, minlength=n)
    order_arcs = np.argsort(dst, kind="stable")
    starts = np.searchsorted(dst[order_arcs], np.arange(n + 1))
    ready: list[int] = [int(j) for j in np.flatnonzero(outdeg == 0)]
    seen = np.zeros(n, dtype=bool)
    out: list[int] = []
    while ready:
        j = int(ready.pop())
        if seen[j]:
            continue
        seen[j] = True
        out.append(j)
        for arc in order_arcs[starts[j] : starts[j + 1]]:
            i = int(src[arc])
            outdeg[i] -= 1
            if outdeg[i] == 0:
                ready.append(i)
    out.extend(np.flatnonzero(~seen).tolist())
    return np.array(out, dtype=np.int64)


def _baseline(
    n: int,
    u0_cap: np.ndarray,
    src: np.ndarray,
    arc_bom: np.ndarray,
    bom_node: np.ndarray,
    ratio: np.ndarray,
    volume: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline output per node and volume per arc, pulled from the customers upstream.

    A node with a capacity makes ``utilisation x capacity``; one without makes what its
    customers pull; a sink without either makes what its recorded inbound volumes allow
    (the scarcest input), or one unit per week when they are not recorded.  Each input of a node
    needs ``output x ratio``; arcs with a recorded volume keep it and the arcs without one
    share the rest evenly, so the baseline needs no loss when nothing is disrupted.
    """
    dst = bom_node[arc_bom]
    u0 = np.where(u0_cap > 0, u0_cap, np.nan)
    pull = np.zeros(n)
    vol = np.where(volume > 0, volume, 0.0)
    arcs_by_row = np.argsort(arc_bom, kind="stable")
    row_starts = np.searchsorted(arc_bom[arcs_by_row], np.arange(len(bom_node) + 1))
    rows_by_node = np.argsort(bom_node, kind="stable")
    node_starts = np.searchsorted(bom_node[rows_by_node], np.arange(n + 1))
    has_inputs = np.bincount(dst, minlength=n) > 0
    # what the recorded volumes allow, per input whose arcs all carry one
    known_in = np.bincount(arc_bom, weights=vol, minlength=len(bom_node))
    all_known = (
        np.bincount(arc_bom, weights=(volume <= 0).astype(float), minlength=len(bom_node)) == 0
    )
    allowed = np.full(n, np.inf)
    np.minimum.at(allowed, bom_node[all_known], known_in[all_known] / ratio[all_known])
    for j in _reverse_topological(n, src, dst):
        if np.isnan(u0[j]):
            if pull[j] > 0:
                u0[j] = pull[j]
            elif np.isfinite(allowed[j]):
                u0[j] = allowed[j]
            else:
                u0[j] = 1.0 if has_inputs[j] else 0.0
        for b in rows_by_node[node_starts[j] : node_starts[j + 1]]:
            arcs = arcs_by_row[row_starts[b] : row_starts[b + 1]]
            unknown = arcs[volume[arcs] <= 0]
            if unknown.size:
                rest = u0[j] * ratio[b] - vol[arcs].sum()
                vol[unknown] = max(rest, 0.0) / unknown.size
            np.add.at(pull, src[arcs], vol[arcs])
    return u0, vol
