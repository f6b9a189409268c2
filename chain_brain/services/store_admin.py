"""Use cases around the store itself: open, initialise, report status, export snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from chain_brain.store import GraphStore, Scope
from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData
from graph_schema.migrations import SCHEMA_VERSION

__all__ = ["StoreStatus", "store_status", "export_snapshot", "ExportFormat"]

ExportFormat = Literal["csv", "parquet", "graphml"]


@dataclass
class StoreStatus:
    uri: str
    schema_version: int | None
    code_schema_version: int
    counts: dict[str, int]
    runs: int

    @property
    def nodes(self) -> int:
        return sum(v for k, v in self.counts.items() if not k.isupper())

    @property
    def relationships(self) -> int:
        return sum(v for k, v in self.counts.items() if k.isupper())


def store_status(store: GraphStore) -> StoreStatus:
    """Schema version and counts of nodes per label and relationships per type."""
    return StoreStatus(
        uri=store.uri,
        schema_version=store.schema_version(),
        code_schema_version=SCHEMA_VERSION,
        counts=store.counts(),
        runs=len(store.list_runs()),
    )


def _table_name(kind: str, src: str | None = None, dst: str | None = None) -> str:
    return kind if src is None else f"{kind}__{src}__{dst}"


def export_snapshot(
    store: GraphStore, out: str | Path, *, fmt: ExportFormat = "csv", scope: Scope | None = None
) -> list[Path]:
    """Write a snapshot: CSV or Parquet (one file per label and relationship type in the
    folder ``out``) or GraphML (one file).  Returns the files written."""
    if fmt not in ("csv", "parquet", "graphml"):
        raise ValidationError(f"Unknown export format {fmt!r}; expected csv, parquet or graphml.")
    data = store.snapshot(scope)
    out = Path(out)
    if fmt == "graphml":
        return [_write_graphml(data, out)]
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    tables: list[tuple[str, pd.DataFrame]] = [(nf.label.value, nf.data) for nf in data.nodes if len(nf)]
    tables += [
        (_table_name(rf.type.value, rf.src_label.value, rf.dst_label.value), rf.data)
        for rf in data.rels
        if len(rf)
    ]
    for name, table in tables:
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            table.to_csv(path, index=False)
        else:
            table.to_parquet(path, index=False)
        written.append(path)
    return written


def _write_graphml(data: GraphData, out: Path) -> Path:
    import networkx as nx

    g = nx.MultiDiGraph()
    for nf in data.nodes:
        for rec in nf.data.to_dict("records"):
            node = f"{nf.label.value}:{rec.pop('id')}"
            g.add_node(node, label=nf.label.value, **_graphml_safe(rec))
    for rf in data.rels:
        for rec in rf.data.to_dict("records"):
            a = f"{rf.src_label.value}:{rec.pop('src')}"
            b = f"{rf.dst_label.value}:{rec.pop('dst')}"
            edge_key = f"{rf.type.value}:{rec.pop('key', '')}"
            g.add_edge(a, b, key=edge_key, type=rf.type.value, **_graphml_safe(rec))
    if out.suffix != ".graphml":
        out = out.with_suffix(".graphml")
    out.parent.mkdir(parents=True, exist_ok=True)
    nx.write_graphml(g, out)
    return out


def _graphml_safe(rec: dict[str, object]) -> dict[str, object]:
    clean: dict[str, object] = {}
    for k, v in rec.items():
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            continue
        if isinstance(v, (list, tuple)):
            v = "; ".join(map(str, v))
        elif hasattr(v, "item"):
            v = v.item()  # type: ignore[union-attr]
        clean[k] = v
    return clean
