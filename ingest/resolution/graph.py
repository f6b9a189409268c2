"""Apply a firm resolution to a :class:`~graph_schema.frames.GraphData`, and undo it.

Applying rewrites every firm id to its canonical id: the Firm rows of absorbed records
disappear, their names join the canonical row's ``aliases`` list, and every reference to
a firm (relationship endpoints whose label is ``Firm``, ``Firm.parent``,
``Plant.operator``) points at the canonical id.  Every change is logged in the returned
:class:`AppliedResolution`, and :func:`undo_resolution` replays the log backwards, giving
back the input frames row for row.  To take back a single merge, undo, :func:`unmerge` the
pair and apply the new result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graph_schema.frames import GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel
from ingest.resolution.resolver import ResolutionResult

__all__ = ["AppliedResolution", "apply_resolution", "undo_resolution", "FIRM_REFERENCES"]

#: Node properties that hold firm ids, per label.
FIRM_REFERENCES: dict[NodeLabel, tuple[str, ...]] = {
    NodeLabel.FIRM: ("parent",),
    NodeLabel.PLANT: ("operator",),
}
_NAME_COLUMNS = ("name", "name_en")


@dataclass
class _Rewrite:
    kind: str  # "node" or "rel"
    frame: int
    column: str
    positions: np.ndarray
    old: np.ndarray


@dataclass
class _Absorbed:
    frame: int
    n_before: int
    rows: pd.DataFrame  # the removed rows, with their original positions as index


@dataclass
class AppliedResolution:
    """The resolved graph and the log that undoes it.

    Attributes
    ----------
    graph : GraphData
        Frames with firm ids rewritten to canonical ids.
    mapping : dict
        ``{absorbed id: canonical id}`` that was applied.
    n_absorbed : int
        Firm rows merged into another row.
    n_rewritten : int
        Id references (endpoints and properties) rewritten.
    """

    graph: GraphData
    mapping: dict[str, str]
    n_absorbed: int = 0
    n_rewritten: int = 0
    _rewrites: list[_Rewrite] = field(default_factory=list, repr=False)
    _absorbed: list[_Absorbed] = field(default_factory=list, repr=False)
    _renamed: list[_Rewrite] = field(default_factory=list, repr=False)

    def rewritten_rels(self, frame: int) -> np.ndarray:
        """Sorted row positions of relationship frame ``frame`` (of :attr:`graph`, the same
        rows as the input frame) whose firm endpoint was rewritten."""
        parts = [rw.positions for rw in self._rewrites if rw.kind == "rel" and rw.frame == frame]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _as_list(value: object) -> list[str]:
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    return []


def _rewrite_column(
    data: pd.DataFrame, column: str, mapping: dict[str, str]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    values = data[column].to_numpy(dtype=object)
    keys = pd.Index(list(mapping), dtype=object)
    where = keys.get_indexer(values) if len(keys) else np.full(len(values), -1)
    pos = np.flatnonzero(where >= 0)
    if len(pos):
        targets = np.asarray(list(mapping.values()), dtype=object)
        new = values.copy()
        new[pos] = targets[where[pos]]
        data = data.assign(**{column: new})
    return data, pos, values[pos]


def _absorbed_names(gone: pd.DataFrame, eff: dict[str, str]) -> dict[str, list[str]]:
    """``{canonical id: names of its absorbed rows}``: per row in order, its ``name``,
    ``name_en`` and ``aliases``, non-empty strings only."""
    canon = gone["id"].astype(str).map(eff).to_numpy(dtype=object)
    order = np.arange(len(gone))
    parts = [
        pd.DataFrame({"canon": canon, "name": gone[c].to_numpy(dtype=object), "row": order, "j": j})
        for j, c in enumerate(_NAME_COLUMNS)
        if c in gone.columns
    ]
    if "aliases" in gone.columns:
        lists = [_as_list(v) for v in gone["aliases"].to_numpy(dtype=object)]
        al = pd.DataFrame({"canon": canon, "name": lists, "row": order, "j": len(_NAME_COLUMNS)})
        parts.append(al.explode("name"))
    long = pd.concat(parts, ignore_index=True).sort_values(["row", "j"], kind="stable")
    names = long["name"].to_numpy(dtype=object)
    ok = np.fromiter(
        (isinstance(n, str) and bool(n.strip()) for n in names), dtype=bool, count=len(names)
    )
    long = long[ok]
    grouped = long.groupby("canon", sort=False)["name"].agg(list)
    return dict(zip(grouped.index.astype(str), grouped.to_numpy(), strict=True))


def apply_resolution(graph: GraphData, result: ResolutionResult) -> AppliedResolution:
    """Rewrite firm ids of ``graph`` to the canonical ids of ``result``.

    Parameters
    ----------
    graph : GraphData
        Input frames; not modified.
    result : ResolutionResult
        A resolution whose record ids are Firm node ids.

    Returns
    -------
    AppliedResolution
        The new graph plus the log used by :func:`undo_resolution`.
    """
    mapping = result.canonical_map()
    present = {
        i for f in graph.nodes if f.label == NodeLabel.FIRM for i in f.data["id"].astype(str)
    }
    # a cluster whose canonical record is not in the graph keeps its first present member
    renamed_to: dict[str, str] = {}
    eff = dict(mapping)
    groups: dict[str, list[str]] = {}
    for rid, canon in mapping.items():
        groups.setdefault(canon, []).append(rid)
    for canon, members in groups.items():
        if canon not in present:
            here = [m for m in members if m in present]
            if here:
                renamed_to[here[0]] = canon
                eff.pop(here[0], None)
    out = GraphData()
    applied = AppliedResolution(graph=out, mapping=eff)
    for fi, frame in enumerate(graph.nodes):
        data = frame.data
        if frame.label == NodeLabel.FIRM and len(data):
            data = data.reset_index(drop=True)
            ids = data["id"].astype(str)
            if renamed_to:
                data, pos, old = _rewrite_column(data, "id", renamed_to)
                if len(pos):
                    applied._renamed.append(_Rewrite("node", fi, "id", pos, old))
                ids = data["id"].astype(str)
            absorbed = ids.isin(list(eff)).to_numpy()
            if absorbed.any():
                gone = data[absorbed]
                kept = data[~absorbed].copy()
                if "aliases" not in kept.columns:
                    kept["aliases"] = None
                extra = _absorbed_names(gone, eff)
                kid = kept["id"].astype(str).to_numpy(dtype=object)
                pos = np.flatnonzero(pd.Series(kid).isin(list(extra)).to_numpy())
                old = kept["aliases"].to_numpy(dtype=object)[pos].copy()
                new_aliases = kept["aliases"].to_numpy(dtype=object).copy()
                own_cols = [kept[c].to_numpy(dtype=object) for c in _NAME_COLUMNS if c in kept]
                for p in pos:
                    own = {col[p] for col in own_cols}
                    merged = _as_list(new_aliases[p])
                    seen = set(merged)
                    for name in extra[kid[p]]:
                        if name not in own and name not in seen:
                            merged.append(name)
                            seen.add(name)
                    new_aliases[p] = merged
                kept["aliases"] = new_aliases
                applied._rewrites.append(_Rewrite("alias", fi, "aliases", pos, old))
                applied._absorbed.append(_Absorbed(fi, len(data), gone))
                applied.n_absorbed += len(gone)
                data = kept.reset_index(drop=True)
        for column in FIRM_REFERENCES.get(frame.label, ()):
            if column in data.columns:
                data, pos, old = _rewrite_column(
                    data.reset_index(drop=True), column, eff | renamed_to
                )
                if len(pos):
                    applied._rewrites.append(_Rewrite("node", fi, column, pos, old))
                    applied.n_rewritten += len(pos)
        out.nodes.append(NodeFrame(frame.label, data))
    for ri, rel in enumerate(graph.rels):
        data = rel.data.reset_index(drop=True)
        for end, label in (("src", rel.src_label), ("dst", rel.dst_label)):
            if label == NodeLabel.FIRM:
                data, pos, old = _rewrite_column(data, end, eff | renamed_to)
                if len(pos):
                    applied._rewrites.append(_Rewrite("rel", ri, end, pos, old))
                    applied.n_rewritten += len(pos)
        out.rels.append(RelFrame(rel.type, rel.src_label, rel.dst_label, data))
    return applied


def undo_resolution(applied: AppliedResolution) -> GraphData:
    """Replay the log of :func:`apply_resolution` backwards: the input graph, row for row."""
    nodes = [f.data.copy() for f in applied.graph.nodes]
    rels = [f.data.copy() for f in applied.graph.rels]
    for rw in reversed(applied._rewrites):
        target = rels if rw.kind == "rel" else nodes
        if rw.kind == "alias":
            continue
        values = target[rw.frame][rw.column].to_numpy(dtype=object).copy()
        values[rw.positions] = rw.old
        target[rw.frame][rw.column] = values
    for rw in applied._rewrites:
        if rw.kind == "alias":
            values = nodes[rw.frame]["aliases"].to_numpy(dtype=object).copy()
            values[rw.positions] = rw.old
            nodes[rw.frame]["aliases"] = values
    for ab in applied._absorbed:
        kept = nodes[ab.frame]
        kept_pos = np.setdiff1d(np.arange(ab.n_before), ab.rows.index.to_numpy())
        kept = kept.set_axis(kept_pos)
        restored = pd.concat([kept, ab.rows]).sort_index()
        if "aliases" not in ab.rows.columns and restored["aliases"].isna().all():
            restored = restored.drop(columns=["aliases"])
        nodes[ab.frame] = restored.reset_index(drop=True)
    for rw in applied._renamed:
        values = nodes[rw.frame]["id"].to_numpy(dtype=object).copy()
        values[rw.positions] = rw.old
        nodes[rw.frame]["id"] = values
    g = applied.graph
    return GraphData(
        nodes=[NodeFrame(f.label, d) for f, d in zip(g.nodes, nodes, strict=True)],
        rels=[
            RelFrame(f.type, f.src_label, f.dst_label, d) for f, d in zip(g.rels, rels, strict=True)
        ],
    )
