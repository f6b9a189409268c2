"""Chains at a glance: the list of chains and one chain's map, segment by segment.

A chain map aggregates (never draws node by node): for each segment (环节) from upstream to
downstream it counts products, firms and plants and sums capacity; it also lists the supply
flows between segments.  The API and the dashboards both call these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from chain_brain.services.cache import cached_snapshot, view_cache
from chain_brain.store import GraphStore, Scope
from graph_schema.errors import NotFoundError
from graph_schema.frames import GraphData
from graph_schema.model import NodeLabel, RelType

_ALL = 1_000_000  # search_nodes with empty text returns every node, up to this many

__all__ = ["ChainSummary", "ChainMap", "list_chains", "chain_map", "segment_members"]


@dataclass
class ChainSummary:
    id: str
    name_en: str | None
    name_zh: str | None
    segments: int


@dataclass
class ChainMap:
    """One chain by segment: ``segments`` (one row per segment, ordered upstream first) and
    ``flows`` (supply volume and edge count between segments)."""

    chain: dict[str, object]
    segments: pd.DataFrame
    flows: pd.DataFrame
    members: pd.DataFrame = field(repr=False)


def list_chains(store: GraphStore) -> list[ChainSummary]:
    """Every chain with its number of segments (reads chain and segment nodes only)."""
    chains = store.search_nodes(NodeLabel.CHAIN, "", limit=_ALL)
    segs = store.search_nodes(NodeLabel.CHAIN_SEGMENT, "", limit=_ALL)
    per_chain = segs.groupby("chain").size() if len(segs) else pd.Series(dtype=int)
    return [
        ChainSummary(
            id=str(r["id"]),
            name_en=_opt(r.get("name_en")),
            name_zh=_opt(r.get("name_zh")),
            segments=int(per_chain.get(r["id"], 0)),
        )
        for r in chains.sort_values("id").to_dict("records")
    ]


def _opt(v: object) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def segment_members(data: GraphData, chain_id: str) -> pd.DataFrame:
    """Who belongs to which segment of ``chain_id``: columns segment, label, id, via.

    Products, firms, plants and industries are members through ``IN_SEGMENT``; a plant or
    firm that ``PRODUCES`` a member product is a member too (via ``PRODUCES``), and a firm
    that ``OPERATES`` a member plant (via ``OPERATES``), and a supplier that ships a member
    product (via ``SUPPLIES``).
    """
    segs = data.node_table(NodeLabel.CHAIN_SEGMENT)
    seg_ids = set(segs.loc[segs["chain"] == chain_id, "id"])
    inseg = data.rel_table(RelType.IN_SEGMENT)
    inseg = inseg[inseg["dst"].isin(seg_ids)]
    direct = pd.DataFrame(
        {
            "segment": inseg["dst"],
            "label": inseg["src_label"],
            "id": inseg["src"],
            "via": "IN_SEGMENT",
        }
    )
    products = direct[direct["label"] == NodeLabel.PRODUCT.value]
    produces = data.rel_table(RelType.PRODUCES)
    made = produces.merge(
        products[["id", "segment"]], left_on="dst", right_on="id", suffixes=("", "_p")
    )
    makers = pd.DataFrame(
        {
            "segment": made["segment"],
            "label": made["src_label"],
            "id": made["src"],
            "via": "PRODUCES",
        }
    )
    operates = data.rel_table(RelType.OPERATES)
    plants = pd.concat([direct, makers])
    plants = plants[plants["label"] == NodeLabel.PLANT.value]
    op = operates.merge(
        plants[["id", "segment"]], left_on="dst", right_on="id", suffixes=("", "_p")
    )
    owners = pd.DataFrame(
        {
            "segment": op["segment"],
            "label": NodeLabel.FIRM.value,
            "id": op["src"],
            "via": "OPERATES",
        }
    )
    sup = data.rel_table(RelType.SUPPLIES)
    if "product" in sup.columns:
        shipped = sup.merge(
            products[["id", "segment"]], left_on="product", right_on="id", suffixes=("", "_p")
        )
        shippers = pd.DataFrame(
            {
                "segment": shipped["segment"],
                "label": shipped["src_label"],
                "id": shipped["src"],
                "via": "SUPPLIES",
            }
        )
    else:
        shippers = pd.DataFrame(columns=["segment", "label", "id", "via"])
    members = pd.concat([direct, makers, owners, shippers], ignore_index=True)
    return members.drop_duplicates(["segment", "label", "id"]).reset_index(drop=True)


def chain_map(store: GraphStore, chain_id: str, *, as_of: str | None = None) -> ChainMap:
    """The map of one chain: segments upstream to downstream with counts and capacity.

    Cached in :func:`~chain_brain.services.cache.view_cache` until the graph changes: the
    returned map is shared between callers and must be treated as read-only.
    """
    return view_cache().get(
        store, "chain_map", (chain_id, as_of), lambda: _chain_map(store, chain_id, as_of)
    )


def _chain_map(store: GraphStore, chain_id: str, as_of: str | None) -> ChainMap:
    data = cached_snapshot(store, Scope(chain=chain_id, as_of=as_of))
    chains = data.node_table(NodeLabel.CHAIN)
    row = chains[chains["id"] == chain_id]
    if row.empty:
        raise NotFoundError(f"Chain {chain_id!r} does not exist in the store.")
    segs = data.node_table(NodeLabel.CHAIN_SEGMENT)
    segs = segs[segs["chain"] == chain_id].sort_values(["order", "id"])
    members = segment_members(data, chain_id)
    counts = members.groupby(["segment", "label"]).size().unstack(fill_value=0)
    produces = data.rel_table(RelType.PRODUCES)
    seg_products = members[members["label"] == NodeLabel.PRODUCT.value][["segment", "id"]]
    cap = produces.merge(seg_products, left_on="dst", right_on="id")
    if "capacity" in cap.columns and len(cap):
        capacity = cap.groupby("segment")["capacity"].sum(min_count=1)
        units = cap.groupby("segment")["unit"].agg(
            lambda u: ", ".join(sorted({str(x) for x in u if x}))
        )
    else:
        capacity = pd.Series(dtype=float)
        units = pd.Series(dtype=object)
    out = segs[["id", "name_zh", "name_en", "position", "order"]].reset_index(drop=True).copy()
    for label, col in (("Product", "products"), ("Firm", "firms"), ("Plant", "plants")):
        out[col] = [
            int(counts.loc[s, label]) if s in counts.index and label in counts.columns else 0
            for s in out["id"]
        ]
    out["capacity"] = [float(capacity.get(s, np.nan)) for s in out["id"]]
    out["capacity_unit"] = [units.get(s, "") for s in out["id"]]
    flows = _segment_flows(data, members)
    return ChainMap(row.iloc[0].to_dict(), out, flows, members)


def _segment_flows(data: GraphData, members: pd.DataFrame) -> pd.DataFrame:
    """Supply between segments: a SUPPLIES edge counts from the segment of the product it
    carries to the segment the customer belongs to."""
    sup = data.rel_table(RelType.SUPPLIES)
    cols = ["from_segment", "to_segment", "edges", "volume"]
    if sup.empty or "product" not in sup.columns:
        return pd.DataFrame(columns=cols)
    prod_seg = members[members["label"] == NodeLabel.PRODUCT.value][["id", "segment"]]
    node_seg = members[members["label"] != NodeLabel.PRODUCT.value][["label", "id", "segment"]]
    f = sup.merge(
        prod_seg.rename(columns={"id": "product", "segment": "from_segment"}), on="product"
    )
    f = f.merge(
        node_seg.rename(columns={"label": "dst_label", "id": "dst", "segment": "to_segment"}),
        on=["dst_label", "dst"],
    )
    f = f[f["from_segment"] != f["to_segment"]]
    if f.empty:
        return pd.DataFrame(columns=cols)
    vol = f["volume"] if "volume" in f.columns else pd.Series(np.nan, index=f.index)
    g = f.assign(volume=vol).groupby(["from_segment", "to_segment"])
    out = g.agg(edges=("src", "size"), volume=("volume", lambda v: v.sum(min_count=1)))
    return out.reset_index()
