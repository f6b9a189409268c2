"""The in-memory projection of a graph snapshot that every analysis runs on.

A :class:`ChainGraph` is built once from a :class:`graph_schema.frames.GraphData` snapshot.
All nodes of all labels share one integer index space; every relationship family the
analytics need becomes a few aligned numpy arrays (endpoints as node indices plus the
numeric properties).  The supply network (``SUPPLIES`` between firms and plants) is also
offered as a scipy CSR matrix and, lazily, as an :class:`igraph.Graph` (cached); both are
derived from the same edge arrays, so edge ``e`` of the igraph is row ``e`` of the arrays.

Building is vectorised (pandas ``Index.get_indexer`` and categorical codes): there is no
Python loop over nodes or edges, so a 150,000-node / 1.2M-edge snapshot projects in well
under a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.frames import GraphData
from graph_schema.model import NodeLabel, RelType

if TYPE_CHECKING:  # pragma: no cover - typing only
    import igraph as ig
    import networkx as nx

__all__ = ["ChainGraph", "LABELS", "SUPPLY_LABELS", "DEFAULT_HOME_COUNTRIES"]

#: Label order; ``ChainGraph.node_label`` holds positions in this tuple.
LABELS: tuple[NodeLabel, ...] = tuple(NodeLabel)
#: Labels that take part in the supply network.
SUPPLY_LABELS: tuple[NodeLabel, ...] = (NodeLabel.FIRM, NodeLabel.PLANT)
DEFAULT_HOME_COUNTRIES: frozenset[str] = frozenset({"CHN"})

_I = np.int32


def _num(data: pd.DataFrame, column: str, default: float = np.nan) -> np.ndarray:
    """Column ``column`` of ``data`` as float64 (``default`` where absent or missing)."""
    if column not in data.columns:
        return np.full(len(data), default, dtype=float)
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if not np.isnan(default):
        values = np.where(np.isnan(values), default, values)
    return values


def _str(data: pd.DataFrame, column: str) -> pd.Series:
    """Column ``column`` as object strings with None for missing or empty values."""
    if column not in data.columns:
        return pd.Series([None] * len(data), index=data.index, dtype=object)
    col = data[column].astype(object)
    return col.where(col.notna() & (col.astype(str).str.strip() != ""), None)


def _arrow_str(data: pd.DataFrame, column: str, *, fill_empty: bool = True) -> pa.Array:
    """Column ``column`` as an Arrow ``large_string`` array; missing, blank -> null."""
    if column not in data.columns:
        return pa.nulls(len(data), pa.large_string())
    col = data[column]
    if not isinstance(col.dtype, pd.StringDtype):
        col = col.astype(object).where(col.notna(), None).astype("string[pyarrow]")
    arr = pa.array(col)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.large_string())
    if fill_empty:
        arr = pc.utf8_trim_whitespace(arr)
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)
    return arr


def _positions(values: Any, ids: pa.Array) -> np.ndarray:
    """Position of each value in ``ids`` (-1 where absent or missing), computed by Arrow."""
    arr = _arrow_str(pd.DataFrame({"v": pd.Series(values)}), "v", fill_empty=False)
    found = pc.index_in(arr, value_set=ids)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


@dataclass(eq=False)
class ChainGraph:
    """Arrays of one snapshot: nodes, supply network, production, BOM, segments, substitutes.

    Build it with :meth:`from_data`; the fields are read-only by convention.

    Attributes
    ----------
    node_id, node_label : ndarray
        Business id and label code (position in :data:`LABELS`) of every node.
    node_country, node_region : ndarray of int32
        Position in :attr:`countries` / :attr:`regions`, -1 when unknown.
    node_operator : ndarray of int32
        Node index of the firm that operates a plant (a firm is its own operator), -1 unknown.
    node_capacity : ndarray of float
        Sum of ``PRODUCES.capacity`` of a node (0 when none is recorded).
    sup_src, sup_dst, sup_product : ndarray of int32
        ``SUPPLIES`` edges: supplier, customer, product node index (-1 when not given).
    sup_volume, sup_share, sup_lead_time : ndarray of float
        Edge volume per period (0 when missing), share (NaN) and lead time in days (NaN).
    prod_node, prod_product, prod_capacity : ndarray
        ``PRODUCES`` edges: maker, product, capacity (0 when missing).
    bom_output, bom_input, bom_quantity : ndarray
        ``REQUIRES`` edges: ``quantity`` units of ``bom_input`` per unit of ``bom_output``.
    member_node, member_segment : ndarray of int32
        ``IN_SEGMENT`` edges (member may be a product, firm, plant or industry).
    segment_chain : ndarray of int32
        Chain node index per node (only meaningful for ChainSegment nodes; -1 otherwise).
    subst_a, subst_b, subst_similarity : ndarray
        ``SUBSTITUTES`` edges (symmetric; each stored once as given).
    """

    node_label: np.ndarray
    label_offset: dict[NodeLabel, int]
    label_count: dict[NodeLabel, int]
    countries: np.ndarray
    regions: np.ndarray
    node_country: np.ndarray
    node_region: np.ndarray
    node_operator: np.ndarray
    node_capacity: np.ndarray
    sup_src: np.ndarray
    sup_dst: np.ndarray
    sup_product: np.ndarray
    sup_volume: np.ndarray
    sup_share: np.ndarray
    sup_lead_time: np.ndarray
    prod_node: np.ndarray
    prod_product: np.ndarray
    prod_capacity: np.ndarray
    bom_output: np.ndarray
    bom_input: np.ndarray
    bom_quantity: np.ndarray
    member_node: np.ndarray
    member_segment: np.ndarray
    segment_chain: np.ndarray
    segment_order: np.ndarray
    subst_a: np.ndarray
    subst_b: np.ndarray
    subst_similarity: np.ndarray
    home_countries: frozenset[str] = DEFAULT_HOME_COUNTRIES
    _ids: pa.Array = field(default_factory=lambda: pa.array([], pa.large_string()), repr=False)
    _names: pa.Array = field(default_factory=lambda: pa.array([], pa.large_string()), repr=False)
    _arrow_ids: dict[NodeLabel, pa.Array] = field(default_factory=dict, repr=False)

    @cached_property
    def node_id(self) -> np.ndarray:
        """Business id of every node (object array, built on first use)."""
        return np.asarray(self._ids.to_numpy(zero_copy_only=False), dtype=object)

    @cached_property
    def node_name(self) -> np.ndarray:
        """Display name of every node: name, name_en, name_zh or id (built on first use)."""
        return np.asarray(self._names.to_numpy(zero_copy_only=False), dtype=object)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_data(
        cls,
        data: GraphData,
        *,
        home_countries: frozenset[str] | set[str] | tuple[str, ...] = DEFAULT_HOME_COUNTRIES,
        as_of: str | None = None,
    ) -> ChainGraph:
        """Project a snapshot into arrays.

        Parameters
        ----------
        data : GraphData
            The snapshot.  Relationships whose endpoints are not among its nodes are
            rejected with a :class:`ValidationError` naming the first missing id.
        home_countries : set of str
            ISO 3166-1 alpha-3 codes counted as domestic supply (default ``{"CHN"}``).
        as_of : str, optional
            ISO date; ``SUPPLIES`` edges whose ``valid_from``/``valid_to`` exclude it are
            left out.

        Returns
        -------
        ChainGraph
        """
        home = frozenset(str(c).upper() for c in home_countries)
        codes: list[np.ndarray] = []
        offset: dict[NodeLabel, int] = {}
        count: dict[NodeLabel, int] = {}
        arrow_ids: dict[NodeLabel, pa.Array] = {}
        tables: dict[NodeLabel, pd.DataFrame] = {}
        start = 0
        for code, label in enumerate(LABELS):
            table = data.node_table(label)
            ids = _arrow_str(table, "id", fill_empty=False)
            if len(table) and pc.count_distinct(ids, mode="all").as_py() < len(ids):
                table = table.drop_duplicates("id", keep="first").reset_index(drop=True)
                ids = _arrow_str(table, "id", fill_empty=False)
            tables[label] = table
            arrow_ids[label] = ids
            offset[label], count[label] = start, len(table)
            codes.append(np.full(len(table), code, dtype=np.int8))
            start += len(table)
        n = start
        node_label = np.concatenate(codes) if codes else np.empty(0, dtype=np.int8)
        all_ids = pa.concat_arrays([arrow_ids[lab] for lab in LABELS])

        def lookup(label: NodeLabel, values: Any, what: str, strict: bool = True) -> np.ndarray:
            pos = _positions(values, arrow_ids[label])
            if strict and (pos < 0).any():
                bad = pd.Series(values).iloc[int(np.flatnonzero(pos < 0)[0])]
                raise ValidationError(
                    f"{what} refers to {label.value} {bad!r}, which is not in the snapshot."
                )
            return np.where(pos >= 0, pos + offset[label], -1).astype(_I)

        def rels(rel_type: RelType) -> list[tuple[NodeLabel, NodeLabel, pd.DataFrame]]:
            return [(f.src_label, f.dst_label, f.data) for f in data.rel_frames(rel_type) if len(f)]

        # names (first of name, name_en, name_zh, id) ---------------------------------
        all_names = pa.concat_arrays(
            [
                pc.coalesce(
                    _arrow_str(tables[lab], "name"),
                    _arrow_str(tables[lab], "name_en"),
                    _arrow_str(tables[lab], "name_zh"),
                    arrow_ids[lab],
                )
                for lab in LABELS
            ]
        )

        # countries and regions: one Arrow dictionary encoding over every source -----
        def per_node(column: str, labels: tuple[NodeLabel, ...]) -> pa.Array:
            return pa.concat_arrays(
                [
                    _arrow_str(tables[lab], column)
                    if lab in labels
                    else pa.nulls(count[lab], pa.large_string())
                    for lab in LABELS
                ]
            )

        sup_labels = (NodeLabel.FIRM, NodeLabel.PLANT)
        country_src: list[pa.Array] = [per_node("country", (*sup_labels, NodeLabel.REGION))]
        region_src: list[pa.Array] = [
            pa.concat_arrays(
                [
                    _arrow_str(tables[lab], "region")
                    if lab in sup_labels
                    else arrow_ids[lab]
                    if lab is NodeLabel.REGION
                    else pa.nulls(count[lab], pa.large_string())
                    for lab in LABELS
                ]
            )
        ]
        country_at: list[np.ndarray] = []
        region_at: list[np.ndarray] = []
        for src_label, dst_label, d in rels(RelType.LOCATED_IN):
            src = lookup(src_label, d["src"], "LOCATED_IN")
            target = _arrow_str(d, "dst")
            if dst_label is NodeLabel.COUNTRY:
                country_src.append(target)
                country_at.append(src)
            else:
                region_src.append(target)
                region_at.append(src)
        for src_label, dst_label, d in rels(RelType.PART_OF):
            if src_label is NodeLabel.REGION and dst_label is NodeLabel.COUNTRY:
                country_src.append(_arrow_str(d, "dst"))
                country_at.append(lookup(NodeLabel.REGION, d["src"], "PART_OF"))
        region_enc = pc.dictionary_encode(pa.concat_arrays(region_src))
        region_codes = np.asarray(
            region_enc.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=_I
        )
        node_region = region_codes[:n].copy()
        pos = n
        for at in region_at:
            node_region[at] = region_codes[pos : pos + len(at)]
            pos += len(at)
        country_enc = pc.dictionary_encode(pc.utf8_upper(pa.concat_arrays(country_src)))
        country_codes = np.asarray(
            country_enc.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=_I
        )
        node_country = country_codes[:n].copy()
        pos = n
        for at in country_at:
            node_country[at] = country_codes[pos : pos + len(at)]
            pos += len(at)
        # a node without a country takes its region's country
        ro, rc = offset[NodeLabel.REGION], count[NodeLabel.REGION]
        if rc:
            reg_nodes = np.arange(ro, ro + rc)
            code_country = np.full(len(region_enc.dictionary), -1, dtype=_I)
            ok = node_region[reg_nodes] >= 0
            code_country[node_region[reg_nodes][ok]] = node_country[reg_nodes][ok]
            fill = (node_country < 0) & (node_region >= 0)
            node_country[fill] = code_country[node_region[fill]]
        regions = np.asarray(region_enc.dictionary.to_pylist(), dtype=object)
        countries = np.asarray(country_enc.dictionary.to_pylist(), dtype=object)

        # operators --------------------------------------------------------------------
        node_operator = np.full(n, -1, dtype=_I)
        fo, fc = offset[NodeLabel.FIRM], count[NodeLabel.FIRM]
        node_operator[fo : fo + fc] = np.arange(fo, fo + fc, dtype=_I)
        plants = tables[NodeLabel.PLANT]
        if len(plants) and "operator" in plants.columns:
            op_pos = lookup(NodeLabel.FIRM, plants["operator"], "Plant.operator", strict=False)
            po = offset[NodeLabel.PLANT]
            node_operator[po : po + len(plants)] = op_pos
        for _s, _d, d in rels(RelType.OPERATES):
            firm = lookup(NodeLabel.FIRM, d["src"], "OPERATES")
            plant = lookup(NodeLabel.PLANT, d["dst"], "OPERATES")
            node_operator[plant] = firm

        # supplies ---------------------------------------------------------------------
        sup: dict[str, list[np.ndarray]] = {k: [] for k in ("s", "d", "p", "v", "sh", "lt")}
        for src_label, dst_label, d in rels(RelType.SUPPLIES):
            if as_of is not None:
                vf, vt = _str(d, "valid_from"), _str(d, "valid_to")
                keep = (vf.isna() | (vf.astype(str) <= as_of)) & (
                    vt.isna() | (vt.astype(str) >= as_of)
                )
                d = d[keep.to_numpy()]
            sup["s"].append(lookup(src_label, d["src"], "SUPPLIES"))
            sup["d"].append(lookup(dst_label, d["dst"], "SUPPLIES"))
            prod_col = "product" if "product" in d.columns else "key"
            prod = (
                d[prod_col] if prod_col in d.columns else pd.Series([None] * len(d), dtype=object)
            )
            sup["p"].append(lookup(NodeLabel.PRODUCT, prod, "SUPPLIES.product", strict=False))
            sup["v"].append(_num(d, "volume", 0.0))
            sup["sh"].append(_num(d, "share"))
            sup["lt"].append(_num(d, "lead_time_days"))
        cat = {k: (np.concatenate(v) if v else np.empty(0)) for k, v in sup.items()}

        # produces ---------------------------------------------------------------------
        pn, pp, pcap = [], [], []
        for src_label, _dst, d in rels(RelType.PRODUCES):
            pn.append(lookup(src_label, d["src"], "PRODUCES"))
            pp.append(lookup(NodeLabel.PRODUCT, d["dst"], "PRODUCES"))
            pcap.append(_num(d, "capacity", 0.0))
        prod_node = np.concatenate(pn).astype(_I) if pn else np.empty(0, _I)
        prod_product = np.concatenate(pp).astype(_I) if pp else np.empty(0, _I)
        prod_capacity = np.concatenate(pcap) if pcap else np.empty(0)
        node_capacity = np.bincount(prod_node, weights=prod_capacity, minlength=n).astype(float)

        # BOM --------------------------------------------------------------------------
        bo, bi, bq = [], [], []
        for _s, _d, d in rels(RelType.REQUIRES):
            bo.append(lookup(NodeLabel.PRODUCT, d["src"], "REQUIRES"))
            bi.append(lookup(NodeLabel.PRODUCT, d["dst"], "REQUIRES"))
            bq.append(_num(d, "quantity", 0.0))

        # segments ---------------------------------------------------------------------
        mn, ms = [], []
        for src_label, _d, d in rels(RelType.IN_SEGMENT):
            mn.append(lookup(src_label, d["src"], "IN_SEGMENT"))
            ms.append(lookup(NodeLabel.CHAIN_SEGMENT, d["dst"], "IN_SEGMENT"))
        segment_chain = np.full(n, -1, dtype=_I)
        segment_order = np.full(n, -1, dtype=_I)
        segs = tables[NodeLabel.CHAIN_SEGMENT]
        so = offset[NodeLabel.CHAIN_SEGMENT]
        if len(segs):
            sl = slice(so, so + len(segs))
            segment_chain[sl] = lookup(
                NodeLabel.CHAIN, _str(segs, "chain").fillna(""), "ChainSegment.chain", strict=False
            )
            segment_order[sl] = _num(segs, "order", -1.0).astype(_I)
        for src_label, dst_label, d in rels(RelType.PART_OF):
            if src_label is NodeLabel.CHAIN_SEGMENT and dst_label is NodeLabel.CHAIN:
                seg = lookup(NodeLabel.CHAIN_SEGMENT, d["src"], "PART_OF")
                segment_chain[seg] = lookup(NodeLabel.CHAIN, d["dst"], "PART_OF")

        # substitutes ------------------------------------------------------------------
        sa, sb, ss = [], [], []
        for _s, _d, d in rels(RelType.SUBSTITUTES):
            sa.append(lookup(NodeLabel.PRODUCT, d["src"], "SUBSTITUTES"))
            sb.append(lookup(NodeLabel.PRODUCT, d["dst"], "SUBSTITUTES"))
            ss.append(_num(d, "similarity", 1.0))

        def cat_i(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts).astype(_I) if parts else np.empty(0, _I)

        def cat_f(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts).astype(float) if parts else np.empty(0)

        return cls(
            node_label=node_label,
            label_offset=offset,
            label_count=count,
            countries=countries,
            regions=regions,
            node_country=node_country,
            node_region=node_region,
            node_operator=node_operator,
            node_capacity=node_capacity,
            sup_src=cat["s"].astype(_I),
            sup_dst=cat["d"].astype(_I),
            sup_product=cat["p"].astype(_I),
            sup_volume=cat["v"].astype(float),
            sup_share=cat["sh"].astype(float),
            sup_lead_time=cat["lt"].astype(float),
            prod_node=prod_node,
            prod_product=prod_product,
            prod_capacity=prod_capacity,
            bom_output=cat_i(bo),
            bom_input=cat_i(bi),
            bom_quantity=cat_f(bq),
            member_node=cat_i(mn),
            member_segment=cat_i(ms),
            segment_chain=segment_chain,
            segment_order=segment_order,
            subst_a=cat_i(sa),
            subst_b=cat_i(sb),
            subst_similarity=cat_f(ss),
            home_countries=home,
            _ids=all_ids,
            _names=all_names,
            _arrow_ids=arrow_ids,
        )

    # ------------------------------------------------------------------ lookups
    @property
    def n_nodes(self) -> int:
        return len(self.node_label)

    @property
    def n_supply_edges(self) -> int:
        return len(self.sup_src)

    def label_range(self, label: NodeLabel | str) -> np.ndarray:
        """Node indices of all nodes of ``label``."""
        label = NodeLabel(label)
        o = self.label_offset[label]
        return np.arange(o, o + self.label_count[label], dtype=_I)

    def label_of(self, node: int) -> NodeLabel:
        return LABELS[int(self.node_label[node])]

    def index_of(self, label: NodeLabel | str, node_id: str) -> int:
        """Node index of ``(label, node_id)``; :class:`NotFoundError` if absent."""
        label = NodeLabel(label)
        pos = int(_positions(pd.Series([str(node_id)]), self._arrow_ids[label])[0])
        if pos < 0:
            raise NotFoundError(f"No {label.value} with id {node_id!r} in this snapshot.")
        return int(pos) + self.label_offset[label]

    def indices_of(self, label: NodeLabel | str, node_ids: Any) -> np.ndarray:
        """Vectorised :meth:`index_of` (-1 where an id is absent)."""
        label = NodeLabel(label)
        pos = _positions(pd.Series([str(v) for v in node_ids]), self._arrow_ids[label])
        return np.where(pos >= 0, pos + self.label_offset[label], -1).astype(_I)

    def key_of(self, node: int) -> str:
        """``Label:id`` text of a node, for tables and explanations."""
        return f"{self.label_of(node).value}:{self.node_id[node]}"

    def keys_of(self, nodes: np.ndarray) -> np.ndarray:
        labels = np.array([lab.value for lab in LABELS], dtype=object)[self.node_label[nodes]]
        return labels + ":" + self.node_id[nodes].astype(object)

    def country_of(self, nodes: np.ndarray) -> np.ndarray:
        """ISO3 country per node (None where unknown)."""
        c = self.node_country[nodes]
        out = np.full(len(c), None, dtype=object)
        out[c >= 0] = self.countries[c[c >= 0]]
        return out

    def region_of(self, nodes: np.ndarray) -> np.ndarray:
        c = self.node_region[nodes]
        out = np.full(len(c), None, dtype=object)
        out[c >= 0] = self.regions[c[c >= 0]]
        return out

    def is_domestic(self, nodes: np.ndarray) -> np.ndarray:
        """Boolean per node: country known and in :attr:`home_countries`."""
        home = np.isin(self.countries, list(self.home_countries))
        c = self.node_country[nodes]
        return np.where(c >= 0, home[np.maximum(c, 0)], False)

    def plants_of(self, firm: int) -> np.ndarray:
        """Plants operated by ``firm`` (node indices)."""
        plants = self.label_range(NodeLabel.PLANT)
        return plants[self.node_operator[plants] == firm]

    # ------------------------------------------------------------------ derived structures
    @cached_property
    def supply_csr(self) -> sp.csr_matrix:
        """n x n CSR matrix of summed ``SUPPLIES`` volumes (supplier row, customer column)."""
        n = self.n_nodes
        m = sp.csr_matrix(
            (self.sup_volume, (self.sup_src, self.sup_dst)), shape=(n, n), dtype=float
        )
        m.sum_duplicates()
        return m

    @cached_property
    def supply_pattern(self) -> sp.csr_matrix:
        """n x n CSR 0/1 pattern of the supply network (parallel edges merged)."""
        n = self.n_nodes
        m = sp.csr_matrix(
            (np.ones(len(self.sup_src), dtype=np.int8), (self.sup_src, self.sup_dst)),
            shape=(n, n),
        )
        m.sum_duplicates()
        m.data[:] = 1
        return m

    @cached_property
    def igraph(self) -> ig.Graph:
        """Directed :class:`igraph.Graph` of the supply edges (edge ``e`` = array row ``e``)."""
        import igraph as ig

        edges = list(zip(self.sup_src.tolist(), self.sup_dst.tolist(), strict=True))
        return ig.Graph(n=self.n_nodes, edges=edges, directed=True)

    @property
    def product_nodes(self) -> np.ndarray:
        return self.label_range(NodeLabel.PRODUCT)

    def product_local(self, nodes: np.ndarray) -> np.ndarray:
        """Position of product nodes within :attr:`product_nodes`."""
        return np.asarray(nodes, dtype=np.int64) - self.label_offset[NodeLabel.PRODUCT]

    @cached_property
    def bom_matrix(self) -> sp.csr_matrix:
        """Technical-coefficient matrix A (products x products): A[i, j] units of input i
        per unit of output j, from ``REQUIRES`` quantities (duplicates summed)."""
        p = self.label_count[NodeLabel.PRODUCT]
        m = sp.csr_matrix(
            (
                self.bom_quantity,
                (self.product_local(self.bom_input), self.product_local(self.bom_output)),
            ),
            shape=(p, p),
        )
        m.sum_duplicates()
        return m

    # ------------------------------------------------------------------ export
    def to_networkx(self) -> nx.MultiDiGraph:
        """The supply network as a networkx ``MultiDiGraph`` keyed by node index.

        Node attributes: ``label``, ``id``, ``country``, ``region``, ``operator``,
        ``capacity``; edge attributes: ``product``, ``volume``, ``edge`` (array row).
        Only for tests and small graphs.
        """
        import networkx as nx

        g = nx.MultiDiGraph()
        for v in range(self.n_nodes):
            g.add_node(
                v,
                label=self.label_of(v).value,
                id=str(self.node_id[v]),
                country=self.country_of(np.array([v]))[0],
                region=self.region_of(np.array([v]))[0],
                operator=int(self.node_operator[v]),
                capacity=float(self.node_capacity[v]),
            )
        for e in range(self.n_supply_edges):
            g.add_edge(
                int(self.sup_src[e]),
                int(self.sup_dst[e]),
                product=int(self.sup_product[e]),
                volume=float(self.sup_volume[e]),
                edge=e,
            )
        return g

    # ------------------------------------------------------------------ supply offers
    @cached_property
    def offers(self) -> pd.DataFrame:
        """One row per (supply node, product) it makes or ships.

        Columns: ``node``, ``product`` (node indices), ``capacity`` (sum of ``PRODUCES``
        capacity), ``shipped`` (sum of ``SUPPLIES`` volume carrying the product), ``weight``
        (capacity where recorded, else shipped volume: the node's supply of the product)
        and ``firm`` (operating firm, the node itself when unknown).
        """
        made = pd.DataFrame(
            {
                "node": self.prod_node,
                "product": self.prod_product,
                "capacity": self.prod_capacity,
                "shipped": 0.0,
            }
        )
        m = self.sup_product >= 0
        shipped = pd.DataFrame(
            {
                "node": self.sup_src[m],
                "product": self.sup_product[m],
                "capacity": 0.0,
                "shipped": self.sup_volume[m],
            }
        )
        df = pd.concat([made, shipped], ignore_index=True)
        df = df.groupby(["node", "product"], sort=True, as_index=False)[
            ["capacity", "shipped"]
        ].sum()
        df["weight"] = np.where(df["capacity"] > 0, df["capacity"], df["shipped"])
        node = df["node"].to_numpy()
        op = self.node_operator[node]
        df["firm"] = np.where(op >= 0, op, node).astype(_I)
        return df

    @cached_property
    def product_supply(self) -> np.ndarray:
        """Total supply (sum of offer weights) per product, aligned with :attr:`product_nodes`."""
        o = self.offers
        return np.bincount(
            self.product_local(o["product"].to_numpy()),
            weights=o["weight"].to_numpy(),
            minlength=self.label_count[NodeLabel.PRODUCT],
        )
