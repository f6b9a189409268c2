"""From a chain snapshot to the disruption model: ChainGraph (+ plant twins) -> SupplyNetwork.

This is the one place where the graph's facts become the data of the Simchi-Levi et al.
(2015) model (see ``optimizers.network``).  Stated rules, each reported with the network:

* **Capacity** of a node: its ``PRODUCES`` capacities summed per product, then the
  largest product.
* **Nodes** are the firms and plants that take part in supply (a ``SUPPLIES`` edge) or have
  a production capacity (``PRODUCES``).
* **Weekly volume of an edge**: its ``volume`` divided by ``periods_per_year`` (volumes and
  capacities are annual, as in the Global Energy Monitor data, kt per year).  Without a
  volume, the supplier's weekly output split evenly over its customers; without either, one
  unit per week.
* **Inputs (BOM rows)**: a customer's inbound edges grouped by the product they carry; an
  edge without a product is its own input ("each supplier provides a distinct part", the
  view of Simchi-Levi et al. for a chain lead's tier-1 list).  The ratio is the
  ``REQUIRES.quantity`` from a product the customer makes to the input, else 1.
* **Baseline output** ``u0``: ``utilisation`` x capacity where capacity is known; else the
  node's outbound weekly volume; a sink with neither makes what its scarcest input allows.
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

from graph_schema.errors import ValidationError
from graph_schema.model import NodeLabel
from optimizers.network import SupplyNetwork

from chain_brain.graph.chaingraph import ChainGraph

__all__ = ["NetworkAssumptions", "ChainNetwork", "chain_network"]


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
    twin_capacity : optional table ``plant_id, capacity_p50 (per week), ttr_p50 (weeks)`` from
        the plant twins; those plants use it instead of surveyed figures.
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
        raise ValidationError("The snapshot has no supply nodes (no SUPPLIES edges and no PRODUCES capacity).")
    local = np.full(graph.n_nodes, -1, dtype=np.int64)
    local[keep] = np.arange(keep.size)
    n = keep.size
    ids = graph.node_id[keep].astype(str)

    cap_w = _node_capacity(graph)[keep] / a.periods_per_year
    cap_source = np.where(cap_w > 0, "surveyed", "none").astype(object)
    ttr = np.full(n, a.default_ttr)
    ttr_source = np.full(n, "default", dtype=object)
    if twin_capacity is not None and len(twin_capacity):
        tw = twin_capacity.groupby("plant_id").agg(cap=("capacity_p50", "sum"), ttr=("ttr_p50", "max"))
        pos = pd.Index(ids).get_indexer(tw.index)
        hit = pos >= 0
        cap_w[pos[hit]] = tw["cap"].to_numpy()[hit]
        cap_source[pos[hit]] = "twin"
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
    u0_cap = a.utilisation * cap_w
    share_of_output = np.where(outdeg[src] > 0, u0_cap[src] / np.maximum(outdeg[src], 1), 0.0)
    vol = np.where(volume > 0, volume, np.where(share_of_output > 0, share_of_output, 1.0))
    notes = []
    if (volume <= 0).any():
        notes.append(
            f"{int((volume <= 0).sum())} of {volume.size} supply edges had no volume; "
            "their weekly volume was taken from the supplier's output or set to 1 unit."
        )

    # inputs of each customer: by product, or one input per supplier where no product
    input_key = np.where(
        product >= 0,
        np.char.add("product:", graph.node_id[np.maximum(product, 0)].astype(str)),
        np.char.add("supplier:", ids[src]),
    )
    edges = pd.DataFrame({"src": src, "dst": dst, "input": input_key, "vol": vol, "product": product})
    rows = edges.groupby(["dst", "input"], sort=True).agg(inflow=("vol", "sum"), product=("product", "first"))
    rows = rows.reset_index()
    ratio = np.ones(len(rows))
    if graph.bom_output.size and len(rows):
        # a customer's products (PRODUCES) -> REQUIRES quantity of the input product
        made = pd.DataFrame({"node": local[graph.prod_node], "output": graph.prod_product})
        made = made[made["node"] >= 0]
        req = pd.DataFrame({"output": graph.bom_output, "input_product": graph.bom_input, "q": graph.bom_quantity})
        q = made.merge(req, on="output").groupby(["node", "input_product"])["q"].max()
        key = pd.MultiIndex.from_arrays([rows["dst"].to_numpy(), rows["product"].to_numpy()])
        found = q.reindex(key).to_numpy()
        ratio = np.where(np.isfinite(found) & (found > 0), found, 1.0)
    rows["ratio"] = ratio

    out_vol = np.bincount(src, weights=vol, minlength=n)
    by_input = rows["inflow"].to_numpy() / rows["ratio"].to_numpy()
    input_cap = np.full(n, np.inf)
    np.minimum.at(input_cap, rows["dst"].to_numpy(dtype=np.int64), by_input)
    u0 = np.where(cap_w > 0, u0_cap, np.where(out_vol > 0, out_vol, np.where(np.isfinite(input_cap), input_cap, 0.0)))
    capacity = np.where(cap_w > 0, cap_w, u0 / a.utilisation)
    cap_source = np.where((cap_w <= 0) & (capacity > 0), "derived", cap_source)
    finished = (outdeg == 0) & (u0 > 0)
    demand = np.where(finished, u0, 0.0)
    inventory = a.weeks_of_cover * u0
    row_of = {(int(d), k): r for r, (d, k) in enumerate(zip(rows["dst"], rows["input"], strict=True))}
    arc_bom = np.array([row_of[(int(d), k)] for d, k in zip(dst, input_key, strict=True)], dtype=np.int64)

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
    return ChainNetwork(network, nodes, keep, a, notes)


def _node_capacity(graph: ChainGraph) -> np.ndarray:
    """Capacity of each node: PRODUCES capacities summed per product (processes of one
    product add up, e.g. BOF + EAF crude steel), then the largest product (an integrated
    mill's pig iron and crude steel are stages of one output, not two outputs)."""
    out = np.zeros(graph.n_nodes)
    if graph.prod_node.size == 0:
        return out
    per = pd.DataFrame({"node": graph.prod_node, "product": graph.prod_product, "cap": graph.prod_capacity})
    summed = per.groupby(["node", "product"])["cap"].sum().groupby(level="node").max()
    out[summed.index.to_numpy(dtype=np.int64)] = summed.to_numpy(dtype=float)
    return out
