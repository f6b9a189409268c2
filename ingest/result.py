"""What an ingest run returns: validated frames, rejects and a run report.

:func:`build_result` is the one place where adapters and mappings hand their raw frames to
:func:`graph_schema.frames.validate_graph`: frames of the same label (or relationship type and
endpoint labels) are concatenated first, so duplicates across frames are merged or rejected
like duplicates within one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from graph_schema.frames import (
    LINE,
    REJECT_COLUMNS,
    GraphData,
    NodeFrame,
    RelFrame,
    validate_graph,
    with_provenance,
)

__all__ = [
    "EntityCounts",
    "RunReport",
    "IngestResult",
    "build_result",
    "write_rejects",
    "combine_results",
    "Progress",
]


class Progress(Protocol):
    """What adapters call to report progress: a ``tqdm`` bar fits (``update(n)``)."""

    def update(self, n: float | None = 1) -> bool | None: ...


@dataclass
class EntityCounts:
    """Rows of one entity (node label or ``TYPE(Src->Dst)``) through validation."""

    read: int = 0
    loaded: int = 0
    merged: int = 0
    rejected: int = 0


@dataclass
class RunReport:
    """Counts of one ingest run: source rows read, and per entity read/loaded/merged/rejected."""

    source: str
    rows_read: int
    entities: dict[str, EntityCounts] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.entities.values())

    @property
    def loaded(self) -> int:
        return sum(c.loaded for c in self.entities.values())

    @property
    def read(self) -> int:
        return sum(c.read for c in self.entities.values())

    @property
    def reject_share(self) -> float:
        """Rejected entity rows divided by entity rows read (0 when nothing was read)."""
        return self.rejected / self.read if self.read else 0.0

    def exceeds(self, max_reject_share: float) -> bool:
        """True when more than ``max_reject_share`` (0..1) of the entity rows were rejected."""
        if not 0.0 <= max_reject_share <= 1.0:
            from ingest.errors import IngestError

            raise IngestError(f"max_reject_share must lie in [0, 1]; got {max_reject_share}.")
        return self.reject_share > max_reject_share

    def table(self) -> pd.DataFrame:
        """The per-entity counts as a table (one row per entity)."""
        return pd.DataFrame(
            [
                {
                    "entity": k,
                    "read": c.read,
                    "loaded": c.loaded,
                    "merged": c.merged,
                    "rejected": c.rejected,
                }
                for k, c in sorted(self.entities.items())
            ],
            columns=["entity", "read", "loaded", "merged", "rejected"],
        )


@dataclass
class IngestResult:
    """Validated graph frames, the rejects table, the run report and side tables.

    ``tables`` holds data that is not part of the graph model but travels with a load, e.g.
    SCMS lead-time statistics per edge or the BEA industry flow table, keyed by a name.
    """

    graph: GraphData
    rejects: pd.DataFrame
    report: RunReport
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _entity(frame: NodeFrame | RelFrame) -> str:
    if isinstance(frame, NodeFrame):
        return frame.label.value
    return f"{frame.type.value}({frame.src_label.value}->{frame.dst_label.value})"


def _combine(graph: GraphData) -> GraphData:
    nodes: dict[str, list[pd.DataFrame]] = {}
    rels: dict[tuple[str, str, str], list[pd.DataFrame]] = {}
    for nf in graph.nodes:
        nodes.setdefault(nf.label.value, []).append(nf.data)
    for rf in graph.rels:
        rels.setdefault((rf.type.value, rf.src_label.value, rf.dst_label.value), []).append(rf.data)
    out = GraphData()
    for label, parts in nodes.items():
        data = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        out.nodes.append(NodeFrame(label, data))  # type: ignore[arg-type]
    for (t, s, d), parts in rels.items():
        data = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        out.rels.append(RelFrame(t, s, d, data))  # type: ignore[arg-type]
    return out


def _drop_identical(data: pd.DataFrame) -> pd.DataFrame:
    """Drop node rows identical to an earlier row in every column but the line number.

    Validation would merge them anyway (keeping the first); doing it first spares checking
    each copy, which matters when every edge row also names its two endpoint nodes.
    """
    cols = [c for c in data.columns if c != LINE]
    if len(data) < 2 or not cols:
        return data
    try:
        dup = data.duplicated(cols, keep="first").to_numpy(dtype=bool)
    except TypeError:  # list-valued cells (aliases) are not hashable: leave it to validation
        return data
    return data[~dup] if dup.any() else data


def build_result(
    raw: GraphData,
    *,
    source: str,
    rows_read: int,
    confidence: float = 1.0,
    snapshot: str | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
    check_endpoints: bool = True,
) -> IngestResult:
    """Fill provenance, validate every frame and count what happened.

    Parameters
    ----------
    raw
        Frames as the adapter built them (``_line`` columns kept where known).
    source
        Provenance source name used where a row has none.
    rows_read
        Data rows read from the source file(s).
    confidence
        Provenance confidence used where a row has none.
    check_endpoints
        Reject relationships whose endpoints are not nodes of this load.
    """
    combined = _combine(raw)
    prov = GraphData()
    premerged: dict[str, tuple[int, int]] = {}
    for nf in combined.nodes:
        data, n_read = _drop_identical(nf.data), len(nf.data)
        premerged[nf.label.value] = (n_read, n_read - len(data))
        data = with_provenance(data, source=source, snapshot=snapshot, confidence=confidence)
        prov.nodes.append(NodeFrame(nf.label, data))
    for rf in combined.rels:
        data = with_provenance(rf.data, source=source, snapshot=snapshot, confidence=confidence)
        prov.rels.append(RelFrame(rf.type, rf.src_label, rf.dst_label, data))
    validated = validate_graph(prov, check_endpoints=check_endpoints)
    report = RunReport(source=source, rows_read=rows_read)
    rej_counts = validated.rejects["entity"].value_counts().to_dict()
    for before, after in zip(prov, validated.data, strict=True):
        name = _entity(before)
        rejected = int(rej_counts.get(name, 0))
        n_read, n_pre = premerged.get(name, (len(before), 0))
        report.entities[name] = EntityCounts(
            read=n_read,
            loaded=len(after),
            merged=n_pre + len(before) - len(after) - rejected,
            rejected=rejected,
        )
    return IngestResult(validated.data, validated.rejects, report, dict(tables or {}))


def combine_results(results: Iterable[IngestResult], *, source: str) -> IngestResult:
    """Concatenate several results (frames, rejects, counts and side tables) into one."""
    graph = GraphData()
    rejects: list[pd.DataFrame] = []
    report = RunReport(source=source, rows_read=0)
    tables: dict[str, pd.DataFrame] = {}
    for r in results:
        graph.extend(r.graph)
        rejects.append(r.rejects)
        report.rows_read += r.report.rows_read
        for name, c in r.report.entities.items():
            acc = report.entities.setdefault(name, EntityCounts())
            acc.read += c.read
            acc.loaded += c.loaded
            acc.merged += c.merged
            acc.rejected += c.rejected
        tables.update(r.tables)
    nonempty = [r for r in rejects if len(r)]
    all_rejects = (
        pd.concat(nonempty, ignore_index=True)
        if nonempty
        else pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})
    )
    return IngestResult(graph, all_rejects, report, tables)


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> Path:
    """Write the rejects table as UTF-8 CSV with the columns of ``REJECT_COLUMNS``; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = rejects.reindex(columns=REJECT_COLUMNS)
    out.to_csv(path, index=False, encoding="utf-8")
    return path
