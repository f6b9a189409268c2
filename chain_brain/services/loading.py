"""Loading data into a store: the bundled sample, a user's mapped file, a named dataset.

``ingest`` reads and validates (pure); this module writes the validated frames to a store in
one atomic write, keeps the rejects, retires facts that a newer snapshot of the same source
no longer states (``valid_to``), and returns a report the CLI prints and the API returns.

With ``resolve=True`` the firms of the batch are resolved against each other and against the
firms already stored (:func:`ingest.resolution.resolve_batch`) before the write; every merge
(score and evidence) and the log that takes it back are kept as a run of kind
:data:`RESOLUTION_RUN_KIND`, whose id is the report's ``resolution_run``, and
:func:`undo_merges` restores the firms and relationships as the load would have written them
without resolution.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from chain_brain.store import GraphStore, RunRecord, WriteResult
from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData, RelFrame
from graph_schema.model import REL_SCHEMAS

__all__ = [
    "LoadReport",
    "load_sample",
    "ingest_file",
    "ingest_dataset",
    "ingest_upload",
    "write_result",
    "retire_missing",
    "undo_merges",
    "RESOLUTION_RUN_KIND",
]

#: Kind of the stored runs that record a load's firm merges (see :func:`undo_merges`).
RESOLUTION_RUN_KIND = "resolution"

ProgressFn = Callable[[float, str], None]


@dataclass
class LoadReport:
    """What a load did: the ingest run report, what was written, retired and rejected."""

    source: str
    rows_read: int
    table: pd.DataFrame  # per entity: read, loaded, merged, rejected
    written: WriteResult | None
    retired: int = 0
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)
    rejects_path: Path | None = None
    dry_run: bool = False
    seconds: float = 0.0
    firms_merged: int = 0
    rels_repointed: int = 0
    resolution_run: str | None = None
    notes: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # seconds per step of the load

    @property
    def rejected(self) -> int:
        return int(self.table["rejected"].sum()) if len(self.table) else 0

    @property
    def loaded(self) -> int:
        return int(self.table["loaded"].sum()) if len(self.table) else 0

    def render(self) -> str:
        """A readable report for a terminal."""
        head = (
            f"{'validated' if self.dry_run else 'loaded'} {self.source}: {self.rows_read:,} source rows, "
            f"{self.loaded:,} facts {'valid' if self.dry_run else 'written'}, "
            f"{self.rejected:,} rejected, {self.retired:,} retired in {self.seconds:.1f} s"
        )
        if self.resolution_run is not None or self.firms_merged:
            head += (
                f"\n{self.firms_merged:,} firms merged into others by resolution, "
                f"{self.rels_repointed:,} relationships re-pointed"
                + (f" (undo: run {self.resolution_run!r})" if self.resolution_run else "")
            )
        if self.stages:
            head += "\n" + ", ".join(f"{k} {v:.1f} s" for k, v in self.stages.items())
        body = self.table.to_string(index=False) if len(self.table) else "(nothing read)"
        tail = f"\nrejects: {self.rejects_path}" if self.rejects_path else ""
        return f"{head}\n{body}{tail}"

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "loaded": self.loaded,
            "rejected": self.rejected,
            "retired": self.retired,
            "firms_merged": self.firms_merged,
            "rels_repointed": self.rels_repointed,
            "resolution_run": self.resolution_run,
            "notes": list(self.notes),
            "stages": {k: round(v, 3) for k, v in self.stages.items()},
            "dry_run": self.dry_run,
            "seconds": round(self.seconds, 3),
            "entities": self.table.to_dict("records"),
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
        }


@contextmanager
def _bar(enabled: bool, desc: str) -> Iterator[Any]:
    """A tqdm bar on stderr when ``enabled`` (rows read), else nothing."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=desc, unit=" rows", leave=False) as bar:
        yield bar


def retire_missing(
    store: GraphStore, new: GraphData, as_of: str, *, current: GraphData | None = None
) -> GraphData:
    """Relationship rows that retire facts of the same sources that ``new`` no longer states.

    For every temporal relationship type (``SUPPLIES``), an open edge (no ``valid_to``) in
    the store whose ``source`` also appears in ``new`` but which ``new`` does not contain is
    closed with ``valid_to`` = the day before ``as_of`` (ends are inclusive days).  History
    stays answerable with ``Scope(as_of=...)``.  ``current`` is the store's snapshot when the
    caller has already read it.
    """
    temporal = {t for t, s in REL_SCHEMAS.items() if s.temporal}
    new_frames = [rf for rf in new.rels if rf.type in temporal and len(rf)]
    if not new_frames:
        return GraphData()
    sources = set(pd.concat([rf.data["source"] for rf in new_frames]).dropna().astype(str))
    stated = {
        (rf.type, rf.src_label, rf.dst_label, s, d, k)
        for rf in new_frames
        for s, d, k in zip(rf.data["src"], rf.data["dst"], rf.data["key"], strict=True)
    }
    if current is None:
        current = store.snapshot()
    out: list[RelFrame] = []
    for rf in current.rels:
        if rf.type not in temporal or not len(rf):
            continue
        d = rf.data
        open_ = d["valid_to"].isna() if "valid_to" in d.columns else pd.Series(True, index=d.index)
        mine = d["source"].astype(str).isin(sources) & open_
        cand = d[mine]
        gone = [
            (rf.type, rf.src_label, rf.dst_label, s, t, k) not in stated
            for s, t, k in zip(cand["src"], cand["dst"], cand["key"], strict=True)
        ]
        retired = cand[gone]
        if len(retired):
            keep = ["src", "dst", "key", "source", "snapshot", "loaded_at", "confidence"]
            rows = retired[keep].assign(valid_to=as_of)
            out.append(RelFrame(rf.type, rf.src_label, rf.dst_label, rows.reset_index(drop=True)))
    return GraphData([], out)


def write_result(
    store: GraphStore,
    result: object,
    *,
    dry_run: bool = False,
    retire: bool = False,
    as_of: str | None = None,
    rejects_path: str | Path | None = None,
    started: float | None = None,
    resolve: bool = False,
    embeddings: bool | Literal["auto"] = False,
    threshold: float = 0.72,
    progress: bool = False,
) -> LoadReport:
    """Write an ``ingest`` result (graph, rejects, report) to ``store`` in one write.

    Parameters
    ----------
    resolve : bool
        Merge the batch's firms that name one firm, among themselves and with the stored
        firms (:func:`ingest.resolution.resolve_batch`), record the merges as a run of kind
        :data:`RESOLUTION_RUN_KIND` (not on a dry run) and count them in the report.
    embeddings, threshold
        Resolution settings (:func:`ingest.resolution.resolve_firms`).  Embeddings are off
        unless asked for (``True``, or ``"auto"``: when the extra is installed): on the
        150k-firm benchmark they cost 12 times the lexical resolve step and 0.9 GB more
        memory for no gain in precision or recall, and on the labelled pairs they add 17
        true and 14 false merges (benchmarks/README.md).
    """
    import time

    from ingest.result import IngestResult, write_rejects

    if not isinstance(result, IngestResult):
        raise ValidationError(f"Expected an ingest result, got {type(result).__name__}.")
    t0 = started if started is not None else time.perf_counter()
    stages: dict[str, float] = {}
    if started is not None:
        stages["read+validate"] = time.perf_counter() - started
    written = None
    retired = 0
    tick = time.perf_counter()
    graph, unknown = check_endpoints(store, result.graph)
    if len(unknown):
        result.rejects = pd.concat([result.rejects, unknown], ignore_index=True)
        _count_unknown(result.report, unknown)
    stages["check endpoints"] = time.perf_counter() - tick
    current: GraphData | None = None
    resolution = None
    if resolve:
        from ingest.resolution import resolve_batch

        tick = time.perf_counter()
        current = store.snapshot()
        resolution = resolve_batch(
            graph, current, threshold=threshold, use_embeddings=embeddings, progress=progress
        )
        graph = resolution.graph
        result.graph = graph  # the unresolved frames are not needed again: free them
        _count_resolution(result.report, resolution)
        stages["resolve"] = time.perf_counter() - tick
    run_id = None
    if not dry_run:
        tick = time.perf_counter()
        data = graph
        if retire:
            day = as_of or datetime.now(UTC).strftime("%Y-%m-%d")
            try:
                start = datetime.strptime(day, "%Y-%m-%d")
            except ValueError:
                raise ValidationError(
                    f"as_of must be an ISO date YYYY-MM-DD, got {day!r}."
                ) from None
            last_day = (start - timedelta(days=1)).strftime("%Y-%m-%d")
            closing = retire_missing(store, data, last_day, current=current)
            retired = closing.n_rels
            data = GraphData(list(data.nodes), [*data.rels, *closing.rels])
        written = store.write(data)
        stages["write"] = time.perf_counter() - tick
        if resolution is not None and resolution.n_absorbed:
            tick = time.perf_counter()
            run_id = _save_resolution(store, result.report.source, resolution)
            stages["save merge log"] = time.perf_counter() - tick
    path = None
    if rejects_path is not None and len(result.rejects):
        path = write_rejects(result.rejects, rejects_path)
    return LoadReport(
        source=result.report.source,
        rows_read=result.report.rows_read,
        table=result.report.table(),
        written=written,
        retired=retired,
        rejects=result.rejects,
        rejects_path=path,
        dry_run=dry_run,
        seconds=time.perf_counter() - t0,
        firms_merged=resolution.n_absorbed if resolution else 0,
        rels_repointed=resolution.n_repointed if resolution else 0,
        resolution_run=run_id,
        notes=list(resolution.notes) if resolution else [],
        stages=stages,
    )


def _count_resolution(report: Any, resolution: Any) -> None:
    """Absorbed firm rows and collapsed relationship rows count as merged, not loaded."""
    moves = {"Firm": resolution.n_absorbed, **resolution.collapsed_by_entity()}
    for entity, n in moves.items():
        counts = report.entities.get(entity)
        if counts is not None and n:
            counts.loaded -= int(n)
            counts.merged += int(n)


def _save_resolution(store: GraphStore, source: str, resolution: Any) -> str:
    """Keep the merges and their undo log as a run; its id is the load's snapshot."""
    snaps = resolution.absorbed.get("snapshot")
    base = str(snaps.iloc[0]) if snaps is not None and len(snaps) else source
    taken = {r.id for r in store.list_runs(RESOLUTION_RUN_KIND)}
    run_id, n = base, 1
    while run_id in taken:  # two loads of one source within the same second
        n += 1
        run_id = f"{base}~{n}"
    store.save_run(
        RunRecord(
            kind=RESOLUTION_RUN_KIND,
            id=run_id,
            params={"source": source, "method": resolution.method},
            summary={
                "firms_merged": resolution.n_absorbed,
                "rels_repointed": resolution.n_repointed,
                "rels_collapsed": resolution.n_collapsed,
                "tags": resolution.tags,
                "notes": list(resolution.notes),
            },
            tables=resolution.log_tables(),
        )
    )
    return run_id


def undo_merges(store: GraphStore, run_id: str) -> int:
    """Take back every firm merge of the load whose resolution run is ``run_id``.

    The absorbed firms come back with the properties the load read, the canonical firms
    get back the aliases they had, the re-pointed relationships are deleted and written
    again between their original endpoints; the run record is removed.  Facts that other
    loads wrote since then are not touched.

    Returns
    -------
    int
        Number of firms restored.

    Raises
    ------
    NotFoundError
        No resolution run has id ``run_id``.
    """
    from ingest.resolution import undo_batch

    run = store.load_run(RESOLUTION_RUN_KIND, run_id)
    restore, tags = undo_batch(run.tables)
    store.write(restore)
    for tag in tags:
        store.delete_snapshot(tag)
    store.delete_run(RESOLUTION_RUN_KIND, run_id)
    return len(run.tables["absorbed"])


def check_endpoints(store: GraphStore, graph: GraphData) -> tuple[GraphData, pd.DataFrame]:
    """Move relationships whose endpoint is neither in ``graph`` nor in ``store`` to rejects
    (reason ``unknown_<Label>``), so one bad row never blocks the rest of a load."""
    in_batch: dict[str, set[str]] = {}
    for nf in graph.nodes:
        in_batch.setdefault(nf.label.value, set()).update(nf.data["id"].astype(str))
    needed: dict[str, set[str]] = {}
    for rf in graph.rels:
        for end, label in (("src", rf.src_label), ("dst", rf.dst_label)):
            ids = set(rf.data[end].astype(str)) - in_batch.get(label.value, set())
            needed.setdefault(label.value, set()).update(ids)
    known = {
        label: in_batch.get(label, set()) | store.existing_ids(label, sorted(ids))
        for label, ids in needed.items()
    }
    rels: list[RelFrame] = []
    parts: list[pd.DataFrame] = []
    for rf in graph.rels:
        d = rf.data
        bad = np.zeros(len(d), dtype=bool)
        for end, label in (("src", rf.src_label), ("dst", rf.dst_label)):
            miss = ~d[end].astype(str).isin(known.get(label.value, set())).to_numpy() & ~bad
            if miss.any():
                rows = d[miss]
                parts.append(
                    pd.DataFrame(
                        {
                            "source": rows["source"].astype(str).to_numpy()
                            if "source" in rows
                            else "",
                            "line": rows["_line"].to_numpy() if "_line" in rows else np.nan,
                            "entity": f"{rf.type.value}({rf.src_label.value}->{rf.dst_label.value})",
                            "id": (
                                rows["src"].astype(str) + "->" + rows["dst"].astype(str)
                            ).to_numpy(),
                            "column": end,
                            "value": rows[end].astype(str).to_numpy(),
                            "reason": f"unknown_{label.value}",
                        }
                    )
                )
                bad |= miss
        rels.append(
            rf
            if not bad.any()
            else RelFrame(rf.type, rf.src_label, rf.dst_label, d[~bad].reset_index(drop=True))
        )
    rejects = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return GraphData(list(graph.nodes), rels), rejects


def _count_unknown(report: Any, unknown: pd.DataFrame) -> None:
    for entity, n in unknown.groupby("entity").size().items():
        counts = report.entities.get(entity)
        if counts is not None:
            counts.loaded -= int(n)
            counts.rejected += int(n)


def load_sample(store: GraphStore, *, progress: bool = False) -> LoadReport:
    """Load the bundled real sample (steel chain from Global Energy Monitor plants, Apple's
    supplier network) into ``store``."""
    import time

    from ingest.sample import load_sample as read_sample

    t0 = time.perf_counter()
    with _bar(progress, "reading sample") as bar:
        result = read_sample(progress=bar)
    store.init()
    return write_result(store, result, started=t0)


def ingest_file(
    store: GraphStore,
    path: str | Path,
    mapping: str | Path,
    *,
    dry_run: bool = False,
    retire: bool = False,
    as_of: str | None = None,
    rejects_path: str | Path | None = None,
    progress: bool = False,
    resolve: bool = False,
    embeddings: bool | Literal["auto"] = False,
) -> LoadReport:
    """Read ``path`` with the YAML ``mapping``, validate, and (unless ``dry_run``) write it.

    ``resolve`` merges firms that name one firm before the write (see :func:`write_result`);
    ``embeddings`` adds the semantic score (see :func:`write_result`)."""
    import time

    from ingest.run import ingest_file as read_file

    t0 = time.perf_counter()
    with _bar(progress, f"reading {Path(path).name}") as bar:
        result = read_file(Path(path), Path(mapping), progress=bar, check_endpoints=False)
    return write_result(
        store,
        result,
        dry_run=dry_run,
        retire=retire,
        as_of=as_of,
        rejects_path=rejects_path,
        started=t0,
        resolve=resolve,
        embeddings=embeddings,
        progress=progress,
    )


def ingest_dataset(
    store: GraphStore,
    name: str,
    data_dir: str | Path,
    *,
    dry_run: bool = False,
    rejects_path: str | Path | None = None,
    progress: bool = False,
    resolve: bool = False,
    embeddings: bool | Literal["auto"] = False,
) -> LoadReport:
    """Read one of the named real datasets (gem-steel, apple-suppliers, scms, ...);
    ``resolve`` and ``embeddings`` as in :func:`ingest_file`."""
    import time

    from ingest.run import ingest_dataset as read_dataset

    t0 = time.perf_counter()
    with _bar(progress, f"reading {name}") as bar:
        result = read_dataset(name, Path(data_dir), progress=bar)
    return write_result(
        store,
        result,
        dry_run=dry_run,
        rejects_path=rejects_path,
        started=t0,
        resolve=resolve,
        embeddings=embeddings,
        progress=progress,
    )


def ingest_upload(
    store: GraphStore,
    path: str | Path,
    mapping_path: str | Path,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    resolve: bool = False,
) -> LoadReport:
    """The API's ingest job: a file and its mapping, with a progress callback; ``resolve``
    as in :func:`ingest_file`."""
    if progress:
        progress(0.05, "reading")
    report = ingest_file(store, path, mapping_path, dry_run=dry_run, resolve=resolve)
    if progress:
        progress(1.0, "done")
    return report
