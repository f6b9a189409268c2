"""Columnar batches of canonical nodes and relationships, and their validation.

A :class:`NodeFrame` holds many nodes of one label, a :class:`RelFrame` many relationships
of one type between one pair of labels; both wrap a pandas DataFrame whose columns are the
property keys of :mod:`graph_schema.model`.  :class:`GraphData` is a set of frames: what
ingest produces, what a store writes in one transaction and what it returns as a snapshot.

Validation lives here, once, and is lazy: :func:`validate_nodes` and :func:`validate_rels`
check every row, keep the good ones and return every failure as a row of a rejects table
(``source, line, entity, id, column, value, reason``), so nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph_schema.errors import ValidationError
from graph_schema.model import (
    PROVENANCE,
    NodeLabel,
    Prop,
    PropType,
    RelType,
    node_schema,
    rel_schema,
)

__all__ = [
    "NodeFrame",
    "RelFrame",
    "GraphData",
    "REJECT_COLUMNS",
    "PROVENANCE_COLUMNS",
    "node_columns",
    "rel_columns",
    "validate_nodes",
    "validate_rels",
    "validate_graph",
    "with_provenance",
    "empty_rejects",
    "uniform_columns",
]

REJECT_COLUMNS = ["source", "line", "entity", "id", "column", "value", "reason"]
PROVENANCE_COLUMNS = [p.name for p in PROVENANCE]
LINE = "_line"  # optional column: the line of the source file a row came from
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def uniform_columns(data: pd.DataFrame, columns: Iterable[str]) -> dict[str, object]:
    """The columns among ``columns`` holding one value in every row of ``data`` (two rows
    or more), each with that value as a plain Python value (None for a column missing in
    every row): a load's provenance, a unit.  Stores write such a column once per
    statement instead of once per row.  List columns and columns Arrow cannot hold as one
    type are left out."""
    out: dict[str, object] = {}
    if len(data) < 2:
        return out
    for c in columns:
        if c not in data.columns:
            continue
        try:
            arr = pa.array(data[c], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            continue
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if pa.types.is_nested(arr.type):
            continue
        if arr.null_count == len(arr):
            out[c] = None
        elif not arr.null_count and pc.all(pc.equal(arr, arr[0])).as_py():
            out[c] = arr[0].as_py()
    return out


def node_columns(label: NodeLabel | str) -> list[str]:
    """Columns of a canonical node table of ``label``: id, properties, provenance."""
    return ["id", *node_schema(label).prop_names, *PROVENANCE_COLUMNS]


def rel_columns(rel_type: RelType | str) -> list[str]:
    """Columns of a canonical relationship table: endpoints, key, properties, provenance."""
    return ["src", "dst", "key", *rel_schema(rel_type).prop_names, *PROVENANCE_COLUMNS]


def empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})


@dataclass
class NodeFrame:
    """Nodes of one label as a table (column ``id`` plus property columns)."""

    label: NodeLabel
    data: pd.DataFrame

    def __post_init__(self) -> None:
        self.label = NodeLabel(node_schema(self.label).label)
        if "id" not in self.data.columns:
            raise ValidationError(f"Node frame of label {self.label} has no 'id' column.")

    def __len__(self) -> int:
        return len(self.data)


@dataclass
class RelFrame:
    """Relationships of one type from ``src_label`` to ``dst_label`` as a table."""

    type: RelType
    src_label: NodeLabel
    dst_label: NodeLabel
    data: pd.DataFrame

    def __post_init__(self) -> None:
        schema = rel_schema(self.type)
        self.type = schema.type
        self.src_label = NodeLabel(node_schema(self.src_label).label)
        self.dst_label = NodeLabel(node_schema(self.dst_label).label)
        if self.src_label not in schema.sources:
            raise ValidationError(
                f"{self.type} cannot start at {self.src_label}; expected one of "
                f"{', '.join(schema.sources)}."
            )
        if self.dst_label not in schema.targets:
            raise ValidationError(
                f"{self.type} cannot end at {self.dst_label}; expected one of "
                f"{', '.join(schema.targets)}."
            )
        missing = {"src", "dst"} - set(self.data.columns)
        if missing:
            raise ValidationError(
                f"Relationship frame {self.type} lacks column(s) {sorted(missing)}."
            )
        if "key" not in self.data.columns:
            self.data = self.data.copy()
            if schema.key_prop and schema.key_prop in self.data.columns:
                self.data["key"] = self.data[schema.key_prop].fillna("").astype(str)
            else:
                self.data["key"] = ""

    def __len__(self) -> int:
        return len(self.data)


@dataclass
class GraphData:
    """A set of node and relationship frames: one load, or one snapshot read from a store."""

    nodes: list[NodeFrame] = field(default_factory=list)
    rels: list[RelFrame] = field(default_factory=list)

    def node_table(self, label: NodeLabel | str) -> pd.DataFrame:
        """All nodes of ``label`` in one table (empty table with the schema columns if none)."""
        label = NodeLabel(label)
        parts = [f.data for f in self.nodes if f.label == label and len(f)]
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in node_columns(label)})
        return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)

    def rel_table(self, rel_type: RelType | str) -> pd.DataFrame:
        """All relationships of ``rel_type`` in one table, with ``src_label`` and
        ``dst_label`` columns (an empty table with the endpoint columns if none)."""
        frames = [
            rf.data.assign(src_label=rf.src_label.value, dst_label=rf.dst_label.value)
            for rf in self.rel_frames(rel_type)
            if len(rf)
        ]
        if not frames:
            return pd.DataFrame(columns=["src", "dst", "key", "src_label", "dst_label"])
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def rel_frames(self, rel_type: RelType | str) -> list[RelFrame]:
        rel_type = RelType(rel_type)
        return [f for f in self.rels if f.type == rel_type]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.nodes:
            out[f.label.value] = out.get(f.label.value, 0) + len(f)
        for r in self.rels:
            out[r.type.value] = out.get(r.type.value, 0) + len(r)
        return out

    def __iter__(self) -> Iterator[NodeFrame | RelFrame]:
        yield from self.nodes
        yield from self.rels

    def extend(self, other: GraphData) -> None:
        self.nodes.extend(other.nodes)
        self.rels.extend(other.rels)

    @property
    def n_nodes(self) -> int:
        return sum(len(f) for f in self.nodes)

    @property
    def n_rels(self) -> int:
        return sum(len(f) for f in self.rels)


def with_provenance(
    data: pd.DataFrame,
    *,
    source: str,
    snapshot: str | None = None,
    loaded_at: str | None = None,
    confidence: float = 1.0,
) -> pd.DataFrame:
    """Return ``data`` with provenance columns filled where absent or empty."""
    if not source:
        raise ValidationError("Provenance needs a non-empty source name.")
    now = loaded_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = data.copy()
    defaults = {
        "source": source,
        "snapshot": snapshot or f"{source}@{now}",
        "loaded_at": now,
        "confidence": confidence,
    }
    for col, value in defaults.items():
        if col not in out.columns:
            out[col] = value
        else:
            out[col] = out[col].where(out[col].notna(), value)
    return out


# --------------------------------------------------------------------------- validation


def _numbered(data: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``data`` with a 1-based ``_line`` column (kept if the reader set it).

    A ``_line`` set by a reader travels with the valid rows, so a later check (endpoints
    against a store) can still name the source line; one added here is dropped again."""
    data = data.reset_index(drop=True)
    if LINE not in data.columns:
        data = data.assign(**{LINE: np.arange(1, len(data) + 1)})
    return data


def _reject_rows(
    data: pd.DataFrame, mask: np.ndarray, entity: str, column: str, reason: str, ids: pd.Series
) -> pd.DataFrame:
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return empty_rejects()
    sub = data.iloc[idx]
    line = sub[LINE] if LINE in sub.columns else pd.Series(np.nan, index=sub.index)
    source = sub["source"] if "source" in sub.columns else pd.Series("", index=sub.index)
    value = sub[column] if column in sub.columns else pd.Series("", index=sub.index)
    return pd.DataFrame(
        {
            "source": source.astype(str).to_numpy(),
            "line": line.to_numpy(),
            "entity": entity,
            "id": ids.iloc[idx].astype(str).to_numpy(),
            "column": column,
            "value": value.astype(str).to_numpy(),
            "reason": reason,
        }
    )


def _check_props(
    data: pd.DataFrame, props: Iterable[Prop], entity: str, ids: pd.Series
) -> tuple[pd.DataFrame, np.ndarray, list[pd.DataFrame]]:
    """Coerce typed columns and return (data, bad-row mask, rejects parts)."""
    bad = np.zeros(len(data), dtype=bool)
    rejects: list[pd.DataFrame] = []
    data = data.copy()

    def flag(mask: np.ndarray, column: str, reason: str) -> None:
        nonlocal bad
        mask = np.asarray(mask, dtype=bool) & ~bad
        if mask.any():
            rejects.append(_reject_rows(data, mask, entity, column, reason, ids))
            bad |= mask

    for prop in props:
        if prop.name not in data.columns:
            if prop.required:
                flag(np.ones(len(data), dtype=bool), prop.name, "missing_required")
            continue
        col = data[prop.name]
        present = col.notna().to_numpy().copy()
        trimmed = _trimmed(col) if prop.type in (PropType.STR, PropType.DATE) else None
        if trimmed is not None:
            present &= pc.fill_null(pc.not_equal(trimmed, ""), False).to_numpy(zero_copy_only=False)
        elif prop.type in (PropType.STR, PropType.DATE):
            present &= (col.astype(str).str.strip() != "").to_numpy()
        if prop.required:
            flag(~present, prop.name, "missing_required")
        if prop.type in (PropType.FLOAT, PropType.INT):
            num = pd.to_numeric(col, errors="coerce")
            flag(present & num.isna().to_numpy(), prop.name, "not_a_number")
            values = num.to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                if prop.minimum is not None:
                    flag(present & (values < prop.minimum), prop.name, "below_minimum")
                if prop.maximum is not None:
                    flag(present & (values > prop.maximum), prop.name, "above_maximum")
            data[prop.name] = (
                num.astype("Int64") if prop.type is PropType.INT else num.astype(float)
            )
        elif prop.type is PropType.DATE:
            text = col.astype(str)
            flag(present & ~text.str.match(_ISO_DATE).to_numpy(), prop.name, "not_an_iso_date")
            data[prop.name] = col.where(present, None)
        elif prop.type is PropType.LIST:
            ok = col.map(lambda v: v is None or isinstance(v, (list, tuple)) or v != v)
            flag(~ok.to_numpy(dtype=bool), prop.name, "not_a_list")
        else:
            data[prop.name] = _stripped(col, present, trimmed)
            if prop.choices:
                flag(
                    present & ~col.isin(prop.choices).to_numpy(), prop.name, "not_an_allowed_value"
                )
    return data, bad, rejects


def _trimmed(col: pd.Series) -> pa.Array | None:
    """A column of strings with surrounding white space removed, as one Arrow array
    (``utf8_trim_whitespace`` removes exactly the characters ``str.strip`` removes:
    Unicode categories Zs and bidirectional classes WS, B, S); None for any other column."""
    if not (
        isinstance(col.dtype, pd.StringDtype)
        or (col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) == "string")
    ):
        return None
    try:
        text = pa.array(col, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)):
        return None
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return pc.utf8_trim_whitespace(text)


def _stripped(col: pd.Series, present: np.ndarray, trimmed: pa.Array | None) -> pd.Series:
    """``str(v).strip()`` of every present cell, missing elsewhere, as a ``str`` column
    (pandas' Arrow-backed string dtype, as pandas 3 reads text).

    A column of strings comes trimmed by :func:`_trimmed` and stays in Arrow memory; any
    other column goes cell by cell."""
    if trimmed is not None:
        kept = pc.if_else(pa.array(present), trimmed, None)
        return pd.Series(pd.array(kept, dtype="str"), index=col.index)
    return pd.Series(
        [str(v).strip() if ok else None for v, ok in zip(col.tolist(), present, strict=True)],
        index=col.index,
        dtype="str",
    )


def _dedupe(
    data: pd.DataFrame, keys: list[str], entity: str, ids: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Collapse identical duplicates; reject every row of a key whose duplicates disagree."""
    dup = data.duplicated(keys, keep=False).to_numpy()
    if not dup.any():
        return data, empty_rejects(), 0
    value_cols = [c for c in data.columns if c not in (LINE, "loaded_at", "snapshot")]
    sub = data[dup]
    hashed = pd.util.hash_pandas_object(sub[value_cols].astype(str), index=False)
    n_variants = hashed.groupby([sub[k] for k in keys]).transform("nunique")
    conflict = np.zeros(len(data), dtype=bool)
    conflict[np.flatnonzero(dup)] = (n_variants > 1).to_numpy()
    rejects = _reject_rows(data, conflict, entity, keys[-1], "duplicate_conflict", ids)
    kept = data[~conflict]
    merged = kept.drop_duplicates(keys, keep="first")
    return merged, rejects, len(kept) - len(merged)


F = TypeVar("F", NodeFrame, RelFrame)


@dataclass
class Validated(Generic[F]):
    """Outcome of validating one frame: the good rows, the rejects and the merge count."""

    frame: F
    rejects: pd.DataFrame
    merged: int = 0


def validate_nodes(frame: NodeFrame) -> Validated[NodeFrame]:
    """Check every row of ``frame`` against its label's schema.

    Returns the valid rows (typed, provenance kept) and one reject row per failure.
    """
    schema = node_schema(frame.label)
    data = _numbered(frame.data)
    ids = data["id"].astype(str)
    entity = frame.label.value
    parts: list[pd.DataFrame] = []
    missing_id = (data["id"].isna() | (ids.str.strip() == "")).to_numpy()
    parts.append(_reject_rows(data, missing_id, entity, "id", "missing_id", ids))
    data = data[~missing_id].reset_index(drop=True)
    ids = data["id"].astype(str).str.strip()
    data["id"] = ids
    data, bad, rej = _check_props(data, (*schema.props, *PROVENANCE), entity, ids)
    parts.extend(rej)
    data = data[~bad]
    data, dup_rejects, merged = _dedupe(data, ["id"], entity, data["id"])
    parts.append(dup_rejects)
    rejects = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else empty_rejects()
    )
    if LINE not in frame.data.columns:
        data = data.drop(columns=[LINE])
    return Validated(NodeFrame(frame.label, data.reset_index(drop=True)), rejects, merged)


def validate_rels(frame: RelFrame) -> Validated[RelFrame]:
    """Check every relationship row: endpoints present, properties typed and in range."""
    schema = rel_schema(frame.type)
    data = _numbered(frame.data)
    entity = f"{frame.type.value}({frame.src_label.value}->{frame.dst_label.value})"
    ids = data["src"].astype(str) + "->" + data["dst"].astype(str)
    parts: list[pd.DataFrame] = []
    for end in ("src", "dst"):
        missing = (data[end].isna() | (data[end].astype(str).str.strip() == "")).to_numpy()
        parts.append(_reject_rows(data, missing, entity, end, "missing_endpoint", ids))
        data, ids = data[~missing].reset_index(drop=True), ids[~missing].reset_index(drop=True)
    data["src"] = data["src"].astype(str).str.strip()
    data["dst"] = data["dst"].astype(str).str.strip()
    data["key"] = data["key"].fillna("").astype(str)
    data, bad, rej = _check_props(data, (*schema.props, *PROVENANCE), entity, ids)
    parts.extend(rej)
    keep = ~bad
    if schema.temporal and {"valid_from", "valid_to"} <= set(data.columns):
        vf, vt = data["valid_from"], data["valid_to"]
        inverted = (vf.notna() & vt.notna() & (vf.astype(str) > vt.astype(str))).to_numpy() & keep
        parts.append(
            _reject_rows(data, inverted, entity, "valid_to", "valid_to_before_valid_from", ids)
        )
        keep &= ~inverted
    data = data[keep]
    data, dup_rejects, merged = _dedupe(data, ["src", "dst", "key"], entity, ids[keep])
    parts.append(dup_rejects)
    nonempty = [p for p in parts if len(p)]
    rejects = pd.concat(nonempty, ignore_index=True) if nonempty else empty_rejects()
    if LINE not in frame.data.columns:
        data = data.drop(columns=[LINE])
    out = RelFrame(frame.type, frame.src_label, frame.dst_label, data.reset_index(drop=True))
    return Validated(out, rejects, merged)


@dataclass
class GraphValidation:
    data: GraphData
    rejects: pd.DataFrame
    merged: int


def validate_graph(graph: GraphData, *, check_endpoints: bool = True) -> GraphValidation:
    """Validate every frame of ``graph``; with ``check_endpoints`` also reject relationships
    whose endpoints are not among the batch's own (valid) nodes.

    Stores check endpoints against what they already hold instead (pass ``False``).
    """
    out = GraphData()
    parts: list[pd.DataFrame] = []
    merged = 0
    for nf in graph.nodes:
        v = validate_nodes(nf)
        out.nodes.append(v.frame)
        parts.append(v.rejects)
        merged += v.merged
    known: dict[NodeLabel, set[str]] = {}
    if check_endpoints:
        for nf in out.nodes:
            known.setdefault(nf.label, set()).update(nf.data["id"].tolist())
    for rf in graph.rels:
        vr = validate_rels(rf)
        frame = vr.frame
        parts.append(vr.rejects)
        merged += vr.merged
        if check_endpoints and len(frame):
            entity = f"{frame.type.value}({frame.src_label.value}->{frame.dst_label.value})"
            d = frame.data
            ids = d["src"] + "->" + d["dst"]
            for end, label in (("src", frame.src_label), ("dst", frame.dst_label)):
                unknown = ~d[end].isin(known.get(label, set())).to_numpy()
                parts.append(_reject_rows(d, unknown, entity, end, f"unknown_{label.value}", ids))
                d, ids = d[~unknown], ids[~unknown]
            frame = RelFrame(frame.type, frame.src_label, frame.dst_label, d.reset_index(drop=True))
        out.rels.append(frame)
    nonempty = [p for p in parts if len(p)]
    rejects = pd.concat(nonempty, ignore_index=True) if nonempty else empty_rejects()
    return GraphValidation(out, rejects, merged)
