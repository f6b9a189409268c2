"""Resolve the firms of one incoming batch against each other and against the firms a store
already holds; and the log that takes such a resolution back.

A load with resolution works on two inputs: the validated batch (:class:`GraphData`) and the
firms (and relationships) the store holds now.  Every stored firm and every new firm of the
batch become one record of :func:`resolve_firms`, stored firms first, so that a cluster
holding a stored firm keeps that firm's id.  Two rules keep what is already committed
intact:

* a stored firm is never absorbed: merge rows joining two stored firms are dropped, and a
  batch cluster that would join several stored firms is not merged into any of them (the
  batch records of such a cluster still merge among themselves);
* every fact the merge changes is logged: the absorbed firm rows, the canonical firm rows as
  they stood before their ``aliases`` grew, and the original rows of every re-pointed
  relationship.  A re-pointed relationship is written with the snapshot of its load plus
  :data:`RESOLVED_SUFFIX`, so that the store's ``delete_snapshot`` removes exactly the
  re-pointed facts when the merge is taken back (:func:`undo_batch`).  A re-pointed row that
  repeats a relationship stated directly (in the batch or already in the store) is not
  tagged: that fact existed without the merge.

Everything here is pure (frames in, frames out); the service
:mod:`chain_brain.services.loading` reads the store, writes the result and keeps the log as
a run of kind ``resolution``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from graph_schema.errors import ValidationError
from graph_schema.frames import LINE, GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, RelType
from ingest.resolution.graph import apply_resolution
from ingest.resolution.resolver import MERGE_COLUMNS, ResolutionResult, keep_merges, resolve_firms

__all__ = ["RESOLVED_SUFFIX", "BatchResolution", "resolve_batch", "undo_batch"]

#: Appended to the snapshot of a relationship whose endpoint a merge re-pointed.
RESOLVED_SUFFIX = "#resolved"
_RECORD_COLUMNS = ("id", "name", "name_en", "country")
_RELS_PREFIX = "rels:"
_KEYS = ("src", "dst", "key")


@dataclass
class BatchResolution:
    """A batch with its firms resolved, and the log that undoes it.

    Attributes
    ----------
    graph : GraphData
        The batch to write: absorbed firm rows gone, their names in the canonical rows'
        ``aliases``, every firm reference re-pointed, repeated relationships collapsed.
    merges : pandas.DataFrame
        The applied merge rows (:data:`MERGE_COLUMNS`: ids, score, lexical and semantic
        scores, shared tokens, removed legal suffixes, method).
    absorbed : pandas.DataFrame
        The firm rows that were merged away, as read, plus ``canonical_id``.
    canonical : pandas.DataFrame
        The rows of the firms that absorbed others, as they stood before the merge.
    rels : dict of str to pandas.DataFrame
        Per relationship frame (``"rels:TYPE:Src:Dst"``), the original rows of the
        re-pointed relationships, plus ``tag`` (the snapshot the re-pointed row was written
        with, empty when untagged) and ``collapsed`` (the re-pointed row repeated another
        one and was not written).
    notes : list of str
        Choices the run made on its own.
    method : str
        ``"lexical"`` or ``"lexical+semantic"``.
    """

    graph: GraphData
    merges: pd.DataFrame
    absorbed: pd.DataFrame
    canonical: pd.DataFrame
    rels: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    method: str = "lexical"

    @property
    def n_absorbed(self) -> int:
        """Firm rows merged into another firm."""
        return len(self.absorbed)

    @property
    def n_repointed(self) -> int:
        """Relationship rows whose firm endpoint a merge changed."""
        return sum(len(t) for t in self.rels.values())

    @property
    def n_collapsed(self) -> int:
        """Re-pointed relationship rows that repeated another row and were not written."""
        return sum(int(t["collapsed"].sum()) for t in self.rels.values())

    def collapsed_by_entity(self) -> dict[str, int]:
        """Collapsed rows per report entity ``TYPE(Src->Dst)``."""
        out: dict[str, int] = {}
        for name, t in self.rels.items():
            _, rtype, src, dst = name.split(":")
            n = int(t["collapsed"].sum())
            if n:
                out[f"{rtype}({src}->{dst})"] = n
        return out

    @property
    def tags(self) -> list[str]:
        """Snapshots carried by the re-pointed relationships (what an undo deletes)."""
        found: set[str] = set()
        for t in self.rels.values():
            found.update(v for v in t["tag"].astype(str) if v)
        return sorted(found)

    def log_tables(self) -> dict[str, pd.DataFrame]:
        """The merges and the undo log as named tables (what a stored run keeps)."""
        return {
            "merges": self.merges,
            "absorbed": self.absorbed,
            "canonical": self.canonical,
            **self.rels,
        }


def _empty_merges() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in MERGE_COLUMNS})


def _rel_name(rf: RelFrame) -> str:
    return f"{_RELS_PREFIX}{rf.type.value}:{rf.src_label.value}:{rf.dst_label.value}"


def _key_strings(data: pd.DataFrame) -> np.ndarray:
    parts = [data[c].fillna("").astype(str).to_numpy(dtype=object) for c in _KEYS]
    return (parts[0] + "\x1f" + parts[1] + "\x1f" + parts[2]).astype(object)


def _only_batch_merges(
    result: ResolutionResult, known: set[str], notes: list[str]
) -> ResolutionResult:
    """Drop merges that would absorb a stored firm (see the module docstring)."""
    m = result.merges
    lk = m["left_id"].isin(known).to_numpy()
    rk = m["right_id"].isin(known).to_numpy()
    out = keep_merges(result, ~(lk & rk))
    c = out.clusters
    per = c[c["id"].isin(known)].groupby("canonical_id").size()
    multi = set(per[per > 1].index)
    if multi:
        comp = c.set_index("id")["canonical_id"]
        m = out.merges
        in_multi = m["left_id"].map(comp).isin(multi).to_numpy()
        touches = (m["left_id"].isin(known) | m["right_id"].isin(known)).to_numpy()
        notes.append(
            f"{len(multi)} cluster(s) of batch firms match several stored firms "
            f"(e.g. {sorted(c.loc[c['canonical_id'] == min(multi), 'id'])[:4]}): "
            "not merged into any stored firm"
        )
        out = keep_merges(out, ~(in_multi & touches))
    return out


def resolve_batch(
    graph: GraphData,
    current: GraphData | None = None,
    *,
    threshold: float = 0.72,
    use_embeddings: bool | Literal["auto"] = "auto",
    progress: bool = False,
) -> BatchResolution:
    """Merge the firms of ``graph`` that name one firm, among themselves and with ``current``.

    Parameters
    ----------
    graph : GraphData
        A validated batch (one ``Firm`` frame or several); not modified.
    current : GraphData, optional
        What the store holds now (at least its ``Firm`` nodes and the relationship types of
        the batch); ``None`` for an empty store.
    threshold, use_embeddings, progress
        Passed to :func:`resolve_firms`.

    Returns
    -------
    BatchResolution

    Examples
    --------
    >>> from graph_schema.model import NodeLabel
    >>> firms = pd.DataFrame({"id": ["a", "b"], "name": ["Catcher Technology Co., Ltd.",
    ...                       "CATCHER TECHNOLOGY COMPANY LIMITED"], "source": "s",
    ...                       "snapshot": "s@1", "loaded_at": "t", "confidence": 1.0})
    >>> out = resolve_batch(GraphData([NodeFrame(NodeLabel.FIRM, firms)]), use_embeddings=False)
    >>> out.graph.node_table(NodeLabel.FIRM)[["id", "aliases"]].values.tolist()
    [['a', ['CATCHER TECHNOLOGY COMPANY LIMITED']]]
    """
    notes: list[str] = []
    firm_frames = [f.data for f in graph.nodes if f.label == NodeLabel.FIRM and len(f)]
    unchanged = BatchResolution(
        graph=graph,
        merges=_empty_merges(),
        absorbed=pd.DataFrame(),
        canonical=pd.DataFrame(),
        notes=notes,
    )
    if not firm_frames:
        return unchanged
    batch = pd.concat(firm_frames, ignore_index=True)
    batch["id"] = batch["id"].astype(str)
    batch = batch.drop_duplicates("id").reset_index(drop=True)
    known = (
        current.node_table(NodeLabel.FIRM).reset_index(drop=True)
        if current is not None
        else pd.DataFrame({"id": pd.Series(dtype=object)})
    )
    known["id"] = known["id"].astype(str)
    known_ids = set(known["id"])
    cols = [c for c in _RECORD_COLUMNS if c in batch.columns or c in known.columns]
    new = batch[~batch["id"].isin(known_ids)]
    records = pd.concat([known.reindex(columns=cols), new.reindex(columns=cols)], ignore_index=True)
    if len(records) < 2:
        return unchanged
    result = resolve_firms(
        records, threshold=threshold, use_embeddings=use_embeddings, progress=progress
    )
    notes.extend(result.notes)
    result = _only_batch_merges(result, known_ids, notes)
    mapping = result.canonical_map()
    unchanged.method = result.method
    if not mapping:
        return unchanged
    canon_ids = set(mapping.values())

    # the rows the merge reads: canonical firms that only the store holds join the batch,
    # and a frame that gains an aliases column starts from the aliases the store holds
    # one Firm frame (apply_resolution moves names into aliases within a frame): the batch's
    # firm rows plus the canonical firms only the store holds.  When the batch states no
    # aliases, every firm starts from the aliases the store holds (none for new firms).
    parts = [f.data for f in graph.nodes if f.label == NodeLabel.FIRM and len(f)]
    n_batch_frames = len(parts)
    batch_aliases = any("aliases" in p.columns for p in parts)
    only_stored = sorted(canon_ids - set(batch["id"]))
    if only_stored:
        parts.append(known[known["id"].isin(only_stored)].dropna(axis=1, how="all"))
    firm_all = pd.concat(parts, ignore_index=True)
    firm_all["id"] = firm_all["id"].astype(str)
    if n_batch_frames > 1:
        firm_all = firm_all.groupby("id", sort=False, as_index=False).first()
    if not batch_aliases:
        stored = (
            known.set_index("id")["aliases"]
            if "aliases" in known.columns
            else pd.Series(dtype=object)
        )
        firm_all["aliases"] = firm_all["id"].map(stored).to_numpy(dtype=object)
    others = [f for f in graph.nodes if f.label != NodeLabel.FIRM]
    prepared = GraphData([NodeFrame(NodeLabel.FIRM, firm_all), *others], list(graph.rels))
    firm_rows = firm_all.drop(columns=[LINE], errors="ignore")
    absorbed = firm_rows[firm_rows["id"].isin(list(mapping))].reset_index(drop=True)
    absorbed["canonical_id"] = absorbed["id"].map(mapping)
    canonical = firm_rows[firm_rows["id"].isin(canon_ids)].reset_index(drop=True)

    applied = apply_resolution(prepared, result)
    rels: list[RelFrame] = []
    logs: dict[str, pd.DataFrame] = {}
    for ri, (before, after) in enumerate(zip(prepared.rels, applied.graph.rels, strict=True)):
        pos = applied.rewritten_rels(ri)
        if not len(pos):
            rels.append(after)
            continue
        din = before.data.reset_index(drop=True)
        dout = after.data
        moved = np.zeros(len(dout), dtype=bool)
        moved[pos] = True
        # a re-pointed row repeating a row stated directly, or an earlier re-pointed one
        order = np.concatenate([np.flatnonzero(~moved), pos])
        repeats = dout[list(_KEYS)].iloc[order].duplicated(keep="first").to_numpy()
        collapsed = repeats[len(order) - len(pos) :]
        stated = _stated_keys(current, after, canon_ids)
        tagged = ~collapsed
        if stated:
            tagged &= ~pd.Series(_key_strings(dout.iloc[pos])).isin(stated).to_numpy()
        out = dout
        if "snapshot" in out.columns and tagged.any():
            mark = np.zeros(len(out), dtype=bool)
            mark[pos[tagged]] = True
            snap = out["snapshot"]
            out = out.assign(snapshot=snap.where(~mark, snap + RESOLVED_SUFFIX))
        drop = np.zeros(len(out), dtype=bool)
        drop[pos[collapsed]] = True
        rels.append(
            RelFrame(
                after.type, after.src_label, after.dst_label, out[~drop].reset_index(drop=True)
            )
        )
        log = din.iloc[pos].drop(columns=[LINE], errors="ignore").reset_index(drop=True)
        log["tag"] = (
            out["snapshot"].iloc[pos].where(tagged, "").to_numpy()
            if "snapshot" in out.columns
            else ""
        )
        log["collapsed"] = collapsed
        name = _rel_name(after)
        logs[name] = pd.concat([logs[name], log], ignore_index=True) if name in logs else log
    return BatchResolution(
        graph=GraphData(list(applied.graph.nodes), rels),
        merges=result.merges.reset_index(drop=True),
        absorbed=absorbed,
        canonical=canonical,
        rels=logs,
        notes=notes,
        method=result.method,
    )


def _stated_keys(current: GraphData | None, frame: RelFrame, canon: set[str]) -> set[str]:
    """Keys of relationships the store states directly (not re-pointed) at canonical firms."""
    if current is None:
        return set()
    found: set[str] = set()
    for rf in current.rel_frames(frame.type):
        if (rf.src_label, rf.dst_label) != (frame.src_label, frame.dst_label) or not len(rf):
            continue
        d = rf.data
        near = d["src"].astype(str).isin(canon) | d["dst"].astype(str).isin(canon)
        if "snapshot" in d.columns:
            near &= ~d["snapshot"].astype(str).str.endswith(RESOLVED_SUFFIX)
        found.update(_key_strings(d[near.to_numpy()]))
    return found


def undo_batch(tables: Mapping[str, pd.DataFrame]) -> tuple[GraphData, list[str]]:
    """What to write and which snapshots to delete to take a logged resolution back.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        :meth:`BatchResolution.log_tables` (as a stored run returns them).

    Returns
    -------
    graph : GraphData
        The absorbed firms and the canonical firms as they stood before the merge, and the
        re-pointed relationships with their original endpoints.
    tags : list of str
        Snapshots of the re-pointed relationships, to delete.

    Raises
    ------
    ValidationError
        A table is missing or names an unknown relationship type.
    """
    for name in ("absorbed", "canonical"):
        if name not in tables:
            raise ValidationError(
                f"A resolution log needs the table {name!r}; got {sorted(tables)}."
            )
    nodes: list[NodeFrame] = []
    for name in ("absorbed", "canonical"):
        data = tables[name].drop(columns=["canonical_id"], errors="ignore")
        if len(data):
            if "aliases" in data.columns:
                data = data.assign(aliases=[_as_list(v) for v in data["aliases"]])
            nodes.append(NodeFrame(NodeLabel.FIRM, data.reset_index(drop=True)))
    rels: list[RelFrame] = []
    tags: set[str] = set()
    for name, table in tables.items():
        if not name.startswith(_RELS_PREFIX):
            continue
        try:
            rtype, src, dst = name[len(_RELS_PREFIX) :].split(":")
            kind = (RelType(rtype), NodeLabel(src), NodeLabel(dst))
        except ValueError:
            raise ValidationError(
                f"Resolution log table {name!r} names no relationship frame."
            ) from None
        tags.update(v for v in table["tag"].astype(str) if v)
        data = table.drop(columns=["tag", "collapsed"]).reset_index(drop=True)
        rels.append(RelFrame(*kind, data))
    return GraphData(nodes, rels), sorted(tags)


def _as_list(value: object) -> list[str] | None:
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value]
    return None
