"""Cut a snapshot down to one chain, one region, or a firm's supply neighbourhood.

One pure function, shared by every store backend, so the scoping rules live in one place:

* **as_of** keeps only temporal relationships valid on that day: ``valid_from <= as_of``
  and (``valid_to`` empty or ``as_of <= valid_to``); both ends are inclusive days.
* **chain** keeps the chain, its segments (``PART_OF``), their members (``IN_SEGMENT``),
  the firms and plants that make the chain's products (``PRODUCES``), the firms operating
  those plants (``OPERATES``), both ends of every ``SUPPLIES`` edge that carries a chain
  product, and the supply among all of those.
* **region** keeps the firms and plants ``LOCATED_IN`` the region, any region ``PART_OF``
  it (transitively) or, for a country id, the country.
* **focus** keeps the firm or plant and everything ``tiers`` supply hops upstream
  (``direction="up"``), downstream (``"down"``) or both; a firm stands together with the
  plants it operates.

Scopes combine by intersection.  Every scoped snapshot also keeps the context nodes the kept
supply nodes point at (products, regions, countries, industries, segments) and the
relationships between kept nodes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

import numpy as np
import pandas as pd

from chain_brain.store.base import Scope
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame
from graph_schema.model import NODE_SCHEMAS, REL_SCHEMAS, NodeLabel, RelType, node_schema

__all__ = [
    "ScopeReader",
    "apply_scope",
    "check_node_column",
    "check_rel_column",
    "filter_as_of",
    "read_scoped",
]

_SUPPLY_LABELS = (NodeLabel.FIRM, NodeLabel.PLANT)
Key = tuple[str, str]  # (label, id)


def filter_as_of(data: GraphData, as_of: str) -> GraphData:
    """Keep only relationships valid on ``as_of`` (ISO date); nodes are kept."""
    if len(as_of) < 10 or as_of[4] != "-":
        raise ValidationError(f"as_of must be an ISO date YYYY-MM-DD, got {as_of!r}.")
    rels = []
    for rf in data.rels:
        d = rf.data
        if "valid_from" in d.columns or "valid_to" in d.columns:
            vf = d["valid_from"] if "valid_from" in d.columns else pd.Series(None, index=d.index)
            vt = d["valid_to"] if "valid_to" in d.columns else pd.Series(None, index=d.index)
            ok = (vf.isna() | (vf.astype(str) <= as_of)) & (vt.isna() | (as_of <= vt.astype(str)))
            d = d[ok.to_numpy()]
        rels.append(RelFrame(rf.type, rf.src_label, rf.dst_label, d.reset_index(drop=True)))
    return GraphData(list(data.nodes), rels)


def _edges(data: GraphData, rel_type: RelType) -> list[tuple[RelFrame, pd.DataFrame]]:
    return [(rf, rf.data) for rf in data.rel_frames(rel_type)]


def _ids(data: GraphData, label: NodeLabel) -> set[str]:
    return set(data.node_table(label)["id"].astype(str))


def _chain_members(data: GraphData, chain: str) -> set[Key]:
    if chain not in _ids(data, NodeLabel.CHAIN):
        raise NotFoundError(f"Chain {chain!r} does not exist in the store.")
    keep: set[Key] = {(NodeLabel.CHAIN.value, chain)}
    segments: set[str] = set()
    for rf, d in _edges(data, RelType.PART_OF):
        if rf.src_label is NodeLabel.CHAIN_SEGMENT and rf.dst_label is NodeLabel.CHAIN:
            segments |= set(d.loc[d["dst"] == chain, "src"])
    seg_table = data.node_table(NodeLabel.CHAIN_SEGMENT)
    segments |= set(seg_table.loc[seg_table.get("chain", pd.Series(dtype=str)) == chain, "id"])
    keep |= {(NodeLabel.CHAIN_SEGMENT.value, s) for s in segments}
    products: set[str] = set()
    for rf, d in _edges(data, RelType.IN_SEGMENT):
        members = d.loc[d["dst"].isin(segments), "src"]
        keep |= {(rf.src_label.value, m) for m in members}
        if rf.src_label is NodeLabel.PRODUCT:
            products |= set(members)
    for rf, d in _edges(data, RelType.PRODUCES):
        makers = d.loc[d["dst"].isin(products), "src"]
        keep |= {(rf.src_label.value, m) for m in makers}
    plants = {i for lab, i in keep if lab == NodeLabel.PLANT.value}
    for _, d in _edges(data, RelType.OPERATES):
        keep |= {(NodeLabel.FIRM.value, f) for f in d.loc[d["dst"].isin(plants), "src"]}
    for rf, d in _edges(data, RelType.SUPPLIES):
        if "product" not in d.columns:
            continue
        trade = d[d["product"].isin(products)]
        keep |= {(rf.src_label.value, m) for m in trade["src"]}
        keep |= {(rf.dst_label.value, m) for m in trade["dst"]}
    return keep


def _region_members(data: GraphData, region: str) -> set[Key]:
    regions = {region}
    is_country = region in _ids(data, NodeLabel.COUNTRY)
    if not is_country and region not in _ids(data, NodeLabel.REGION):
        raise NotFoundError(f"Region or country {region!r} does not exist in the store.")
    part_of = [d for rf, d in _edges(data, RelType.PART_OF) if rf.src_label is NodeLabel.REGION]
    if part_of:
        links = pd.concat(part_of, ignore_index=True)[["src", "dst"]]
        frontier = {region}
        while frontier:
            children = set(links.loc[links["dst"].isin(frontier), "src"]) - regions
            regions |= children
            frontier = children
    keep: set[Key] = set()
    for rf, d in _edges(data, RelType.LOCATED_IN):
        inside = d.loc[d["dst"].isin(regions), "src"]
        keep |= {(rf.src_label.value, m) for m in inside}
    for label in _SUPPLY_LABELS:  # nodes carrying the region or country as a property
        t = data.node_table(label)
        for col in ("region", "country"):
            if col in t.columns:
                keep |= {(label.value, i) for i in t.loc[t[col].isin(regions), "id"]}
    keep |= {(NodeLabel.COUNTRY.value if is_country else NodeLabel.REGION.value, region)}
    return keep


def _neighbourhood(data: GraphData, focus: str, tiers: int, direction: str) -> set[Key]:
    start: Key | None = None
    for label in _SUPPLY_LABELS:
        if focus in _ids(data, label):
            start = (label.value, focus)
            break
    if start is None:
        raise NotFoundError(f"Firm or plant {focus!r} does not exist in the store.")
    # a firm and the plants it operates count as one supply entity
    group: dict[Key, set[Key]] = {}
    for _, d in _edges(data, RelType.OPERATES):
        for firm, plant in zip(d["src"], d["dst"], strict=True):
            f, p = (NodeLabel.FIRM.value, firm), (NodeLabel.PLANT.value, plant)
            group.setdefault(f, {f}).add(p)
            group.setdefault(p, {p}).add(f)
    up: dict[Key, set[Key]] = {}
    down: dict[Key, set[Key]] = {}
    for rf, d in _edges(data, RelType.SUPPLIES):
        s_lab, t_lab = rf.src_label.value, rf.dst_label.value
        for s, t in zip(d["src"].to_numpy(), d["dst"].to_numpy(), strict=True):
            up.setdefault((t_lab, t), set()).add((s_lab, s))
            down.setdefault((s_lab, s), set()).add((t_lab, t))
    keep: set[Key] = set(group.get(start, {start}))
    for adj, wanted in ((up, ("up", "both")), (down, ("down", "both"))):
        if direction not in wanted:
            continue
        frontier = set(group.get(start, {start}))
        seen = set(frontier)
        for _ in range(tiers):
            nxt: set[Key] = set()
            for node in frontier:
                for nb in adj.get(node, ()):
                    nxt |= group.get(nb, {nb})
            frontier = nxt - seen
            seen |= frontier
            if not frontier:
                break
        keep |= seen
    return keep


def _induced(data: GraphData, keep: set[Key]) -> GraphData:
    """Kept nodes, the context nodes they point at, and the relationships among them."""
    keep = set(keep)
    for rf in data.rels:  # context: relationships leaving a kept node to a non-supply node
        if rf.type is RelType.SUPPLIES or rf.dst_label in _SUPPLY_LABELS:
            continue
        src_ids = {i for lab, i in keep if lab == rf.src_label.value}
        if not src_ids:
            continue
        d = rf.data
        keep |= {(rf.dst_label.value, t) for t in d.loc[d["src"].isin(src_ids), "dst"]}
    by_label: dict[str, set[str]] = {}
    for lab, i in keep:
        by_label.setdefault(lab, set()).add(i)
    nodes = []
    for nf in data.nodes:
        ids = by_label.get(nf.label.value, set())
        nodes.append(NodeFrame(nf.label, nf.data[nf.data["id"].isin(ids)].reset_index(drop=True)))
    rels = []
    for rf in data.rels:
        d = rf.data
        src_ok = d["src"].isin(by_label.get(rf.src_label.value, set())).to_numpy()
        dst_ok = d["dst"].isin(by_label.get(rf.dst_label.value, set())).to_numpy()
        sub = d[np.logical_and(src_ok, dst_ok)].reset_index(drop=True)
        rels.append(RelFrame(rf.type, rf.src_label, rf.dst_label, sub))
    return GraphData(nodes, rels)


def apply_scope(data: GraphData, scope: Scope | None) -> GraphData:
    """Return the part of ``data`` that ``scope`` selects (see the module docstring)."""
    if scope is None:
        return data
    if scope.as_of is not None:
        data = filter_as_of(data, scope.as_of)
    if scope.is_whole:
        return data
    selections: list[set[Key]] = []
    if scope.chain is not None:
        selections.append(_chain_members(data, scope.chain))
    if scope.region is not None:
        selections.append(_region_members(data, scope.region))
    if scope.focus is not None:
        selections.append(_neighbourhood(data, scope.focus, scope.tiers, scope.direction))
    keep = set.intersection(*selections) if len(selections) > 1 else selections[0]
    return _induced(data, keep)


# ----------------------------------------------------------------------------- backend push-down

EdgeRow = tuple[str, str, str, str]  # (src label, src id, dst label, dst id)


def check_node_column(label: NodeLabel, column: str) -> None:
    """Refuse a node property a :class:`ScopeReader` is asked to select on, unless the
    schema has it (column names are spliced into queries, so only schema names pass)."""
    if column not in node_schema(label).prop_names:
        raise ValidationError(f"{label.value} has no property {column!r}.")


def check_rel_column(rel_type: RelType, column: str) -> None:
    """As :func:`check_node_column` for ``src``, ``dst`` or a relationship property."""
    if column not in ("src", "dst", *REL_SCHEMAS[rel_type].prop_names):
        raise ValidationError(f"{rel_type.value} has no column {column!r}.")


class ScopeReader(Protocol):
    """The few indexed look-ups a backend offers so that :func:`read_scoped` can select a
    scope without reading the whole graph.  Every relationship look-up honours ``as_of``
    exactly like :func:`filter_as_of` (temporal types only)."""

    def has_node(self, label: NodeLabel, node_id: str) -> bool:
        """Whether a node of ``label`` with ``node_id`` exists."""
        ...

    def ids_where(self, label: NodeLabel, column: str, values: Collection[str]) -> set[str]:
        """Ids of ``label`` nodes whose property ``column`` is one of ``values``."""
        ...

    def edges(
        self,
        rel_type: RelType,
        src_label: NodeLabel,
        dst_label: NodeLabel,
        column: str,
        values: Collection[str],
    ) -> list[EdgeRow]:
        """Ends of the ``src_label -rel_type-> dst_label`` relationships whose ``column``
        (``src``, ``dst`` or a relationship property) is one of ``values``."""
        ...

    def nodes(self, label: NodeLabel, ids: Collection[str]) -> pd.DataFrame:
        """The canonical (typed) rows of the nodes ``ids`` of ``label``."""
        ...

    def rels_between(
        self,
        rel_type: RelType,
        src_label: NodeLabel,
        src_ids: Collection[str],
        dst_label: NodeLabel,
        dst_ids: Collection[str],
    ) -> RelFrame | None:
        """The canonical frame of the ``src_label -rel_type-> dst_label`` relationships
        from ``src_ids`` to ``dst_ids`` (None when there is none)."""
        ...


def _pairs(rel_type: RelType) -> list[tuple[NodeLabel, NodeLabel]]:
    """Endpoint label pairs of a type, in the order the snapshots list their frames."""
    rs = REL_SCHEMAS[rel_type]
    return sorted(
        ((s, t) for s in rs.sources for t in rs.targets), key=lambda p: (p[0].value, p[1].value)
    )


def _find(
    reader: ScopeReader,
    rel_type: RelType,
    column: str,
    values: Collection[str],
    *,
    src: NodeLabel | None = None,
    dst: NodeLabel | None = None,
) -> list[EdgeRow]:
    if not values:
        return []
    out: list[EdgeRow] = []
    for s, t in _pairs(rel_type):
        if (src is None or s is src) and (dst is None or t is dst):
            out += reader.edges(rel_type, s, t, column, values)
    return out


def _read_chain(reader: ScopeReader, chain: str) -> set[Key]:
    if not reader.has_node(NodeLabel.CHAIN, chain):
        raise NotFoundError(f"Chain {chain!r} does not exist in the store.")
    keep: set[Key] = {(NodeLabel.CHAIN.value, chain)}
    part_of = _find(
        reader, RelType.PART_OF, "dst", [chain], src=NodeLabel.CHAIN_SEGMENT, dst=NodeLabel.CHAIN
    )
    segments = {s for _, s, _, _ in part_of}
    segments |= reader.ids_where(NodeLabel.CHAIN_SEGMENT, "chain", [chain])
    keep |= {(NodeLabel.CHAIN_SEGMENT.value, s) for s in segments}
    products: set[str] = set()
    for sl, s, _, _ in _find(reader, RelType.IN_SEGMENT, "dst", segments):
        keep.add((sl, s))
        if sl == NodeLabel.PRODUCT.value:
            products.add(s)
    keep |= {(sl, s) for sl, s, _, _ in _find(reader, RelType.PRODUCES, "dst", products)}
    plants = {i for lab, i in keep if lab == NodeLabel.PLANT.value}
    keep |= {
        (NodeLabel.FIRM.value, s) for _, s, _, _ in _find(reader, RelType.OPERATES, "dst", plants)
    }
    for sl, s, tl, t in _find(reader, RelType.SUPPLIES, "product", products):
        keep |= {(sl, s), (tl, t)}
    return keep


def _read_region(reader: ScopeReader, region: str) -> set[Key]:
    is_country = reader.has_node(NodeLabel.COUNTRY, region)
    if not is_country and not reader.has_node(NodeLabel.REGION, region):
        raise NotFoundError(f"Region or country {region!r} does not exist in the store.")
    regions = {region}
    frontier = {region}
    while frontier:
        children = {
            s
            for _, s, _, _ in _find(reader, RelType.PART_OF, "dst", frontier, src=NodeLabel.REGION)
        }
        frontier = children - regions
        regions |= frontier
    keep: set[Key] = {(sl, s) for sl, s, _, _ in _find(reader, RelType.LOCATED_IN, "dst", regions)}
    for label in _SUPPLY_LABELS:
        for col in ("region", "country"):
            if col in node_schema(label).prop_names:
                keep |= {(label.value, i) for i in reader.ids_where(label, col, regions)}
    keep.add((NodeLabel.COUNTRY.value if is_country else NodeLabel.REGION.value, region))
    return keep


def _by_label(keys: Collection[Key]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for lab, i in keys:
        out.setdefault(lab, set()).add(i)
    return out


def _grouped(reader: ScopeReader, keys: set[Key]) -> set[Key]:
    """``keys`` with each firm's plants and each plant's firms (the OPERATES groups)."""
    ids = _by_label(keys)
    out = set(keys)
    firms, plants = ids.get(NodeLabel.FIRM.value, set()), ids.get(NodeLabel.PLANT.value, set())
    out |= {
        (NodeLabel.PLANT.value, t) for _, _, _, t in _find(reader, RelType.OPERATES, "src", firms)
    }
    out |= {
        (NodeLabel.FIRM.value, s) for _, s, _, _ in _find(reader, RelType.OPERATES, "dst", plants)
    }
    return out


def _read_neighbourhood(reader: ScopeReader, focus: str, tiers: int, direction: str) -> set[Key]:
    start: Key | None = None
    for label in _SUPPLY_LABELS:
        if reader.has_node(label, focus):
            start = (label.value, focus)
            break
    if start is None:
        raise NotFoundError(f"Firm or plant {focus!r} does not exist in the store.")
    first = _grouped(reader, {start})
    keep = set(first)
    for name, near, far in (("up", "dst", "src"), ("down", "src", "dst")):
        if direction not in (name, "both"):
            continue
        frontier, seen = set(first), set(first)
        for _ in range(tiers):
            found: set[Key] = set()
            for lab, ids in _by_label(frontier).items():
                rows = _find(reader, RelType.SUPPLIES, near, ids, **{near: NodeLabel(lab)})
                found |= {(sl, s) if far == "src" else (tl, t) for sl, s, tl, t in rows}
            frontier = _grouped(reader, found) - seen
            seen |= frontier
            if not frontier:
                break
        keep |= seen
    return keep


def read_scoped(reader: ScopeReader, scope: Scope) -> GraphData:
    """Select ``scope`` through indexed look-ups of ``reader``; equals
    ``apply_scope(whole snapshot, scope)`` except that relationship frames left empty are
    omitted.  ``scope`` must not be whole (read everything and use :func:`apply_scope`)."""
    if scope.as_of is not None and (len(scope.as_of) < 10 or scope.as_of[4] != "-"):
        raise ValidationError(f"as_of must be an ISO date YYYY-MM-DD, got {scope.as_of!r}.")
    if scope.is_whole:
        raise ValidationError("read_scoped needs a chain, region or focus scope.")
    selections: list[set[Key]] = []
    if scope.chain is not None:
        selections.append(_read_chain(reader, scope.chain))
    if scope.region is not None:
        selections.append(_read_region(reader, scope.region))
    if scope.focus is not None:
        selections.append(_read_neighbourhood(reader, scope.focus, scope.tiers, scope.direction))
    keep = set.intersection(*selections) if len(selections) > 1 else selections[0]
    # context nodes, in the frame order of a whole snapshot (a node added by one frame can
    # be the source of a later one, exactly as in _induced)
    by_label = _by_label(keep)
    for rel_type in REL_SCHEMAS:
        if rel_type is RelType.SUPPLIES:
            continue
        for s, t in _pairs(rel_type):
            if t in _SUPPLY_LABELS:
                continue
            rows = _find(reader, rel_type, "src", by_label.get(s.value, set()), src=s, dst=t)
            if rows:
                by_label.setdefault(t.value, set()).update(d for _, _, _, d in rows)
    nodes = [
        NodeFrame(label, reader.nodes(label, sorted(by_label.get(label.value, ()))))
        for label in NODE_SCHEMAS
    ]
    rels: list[RelFrame] = []
    for rel_type in REL_SCHEMAS:
        for s, t in _pairs(rel_type):
            src_ids, dst_ids = by_label.get(s.value), by_label.get(t.value)
            if src_ids and dst_ids:
                rf = reader.rels_between(rel_type, s, sorted(src_ids), t, sorted(dst_ids))
                if rf is not None and len(rf.data):
                    rels.append(rf)
    return GraphData(nodes, rels)
