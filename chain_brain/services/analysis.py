"""Analysis runs: snapshot -> ChainGraph -> every analytic -> a stored, versioned run.

A run is stored in the graph store as a :class:`RunRecord` of kind ``"analysis"`` whose
tables are the ranked findings, so the API and the dashboards read the same numbers, and
two runs can be compared.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import pandas as pd

from chain_brain.analytics.results import AnalysisParams, compare, run_analysis
from chain_brain.graph.chaingraph import DEFAULT_HOME_COUNTRIES, ChainGraph
from chain_brain.store import GraphStore, RunRecord, Scope
from graph_schema.errors import NotFoundError, ValidationError

__all__ = [
    "ANALYSIS",
    "AnalysisRequest",
    "analyse",
    "run_analysis_job",
    "latest_analysis",
    "get_analysis",
    "explain_finding",
    "compare_runs",
]

ANALYSIS = "analysis"
ProgressFn = Callable[[float, str], None]


@dataclass(frozen=True)
class AnalysisRequest:
    """What to analyse: a scope of the graph, the home countries, and the knobs."""

    scope: Scope = field(default_factory=Scope)
    home_countries: tuple[str, ...] = tuple(sorted(DEFAULT_HOME_COUNTRIES))
    params: AnalysisParams = field(default_factory=AnalysisParams)
    tenant: str | None = None


def _new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def analyse(
    store: GraphStore,
    request: AnalysisRequest | None = None,
    *,
    progress: bool | ProgressFn = False,
    save: bool = True,
) -> RunRecord:
    """Analyse the scoped snapshot and (by default) store the run.

    ``progress`` is ``True`` for a terminal bar or a callback ``(fraction, message)``.
    """
    req = request or AnalysisRequest()
    t0 = time.perf_counter()
    if callable(progress):
        progress(0.0, "reading snapshot")
    data = store.snapshot(req.scope)
    graph = ChainGraph.from_data(data, home_countries=req.home_countries)
    if graph.n_nodes == 0:
        raise ValidationError(f"Nothing to analyse: the snapshot for {req.scope} is empty.")
    read_s = time.perf_counter() - t0

    def report(step: str, done: int, total: int) -> None:
        if callable(progress):
            progress(0.1 + 0.85 * done / max(total, 1), step)

    result = run_analysis(
        graph, params=req.params, progress=True if progress is True else report
    )
    tables = result.to_tables()
    summary: dict[str, object] = {
        "nodes": int(graph.n_nodes),
        "supply_edges": int(graph.n_supply_edges),
        "chokepoints": _count_flag(tables, "chokepoints", "is_chokepoint"),
        "weak_links": _count_flag(tables, "weak_links", "is_weak_link"),
        "findings": int(len(tables.get("findings", ()))),
        "seconds": round(time.perf_counter() - t0, 3),
        "snapshot_seconds": round(read_s, 3),
    }
    run = RunRecord(
        kind=ANALYSIS,
        id=_new_run_id(),
        params={
            "scope": asdict(req.scope),
            "home_countries": list(req.home_countries),
            "store": store.uri,
        },
        summary=summary,
        tables=tables,
        tenant=req.tenant,
    )
    if save:
        store.save_run(run)
    if callable(progress):
        progress(1.0, "done")
    return run


def _count_flag(tables: dict[str, pd.DataFrame], name: str, flag: str) -> int:
    t = tables.get(name)
    if t is None or flag not in t.columns:
        return 0
    return int(t[flag].astype(bool).sum())


def run_analysis_job(
    store: GraphStore,
    scope: Scope | None = None,
    params: AnalysisParams | None = None,
    progress: ProgressFn | None = None,
    *,
    home_countries: tuple[str, ...] | None = None,
    tenant: str | None = None,
) -> RunRecord:
    """The API's analysis job: :func:`analyse` with a progress callback."""
    req = AnalysisRequest(
        scope=scope or Scope(),
        params=params or AnalysisParams(),
        home_countries=home_countries or tuple(sorted(DEFAULT_HOME_COUNTRIES)),
        tenant=tenant,
    )
    return analyse(store, req, progress=progress or False)


def get_analysis(store: GraphStore, run_id: str) -> RunRecord:
    return store.load_run(ANALYSIS, run_id)


def latest_analysis(store: GraphStore, chain: str | None = None) -> RunRecord | None:
    """The newest stored analysis run (of ``chain`` when given), with its tables."""
    for run in store.list_runs(ANALYSIS):
        scope = run.params.get("scope") if isinstance(run.params, dict) else None
        run_chain = scope.get("chain") if isinstance(scope, dict) else None
        if chain is None or run_chain == chain:
            return store.load_run(ANALYSIS, run.id)
    return None


def explain_finding(store: GraphStore, run_id: str, finding_id: str) -> dict[str, object]:
    """One finding of a stored run: its table, its reason and every column of its row."""
    run = store.load_run(ANALYSIS, run_id)
    for name, table in run.tables.items():
        if name == "findings" or "finding_id" not in table.columns:
            continue
        hit = table[table["finding_id"].astype(str) == finding_id]
        if len(hit):
            row = hit.iloc[0]
            values = {k: (None if pd.isna(v) else v) for k, v in row.items() if not isinstance(v, (list, dict))}
            return {
                "run_id": run_id,
                "table": name,
                "finding_id": finding_id,
                "reason": str(row.get("reason", "")),
                "values": {k: _plain(v) for k, v in values.items()},
            }
    raise NotFoundError(f"No finding {finding_id!r} in analysis run {run_id!r}.")


def _plain(value: object) -> object:
    """numpy scalars as Python values (JSON-ready)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def compare_runs(store: GraphStore, run_a: str, run_b: str) -> dict[str, object]:
    """New and resolved chokepoints / weak links and score changes between two runs."""
    a = store.load_run(ANALYSIS, run_a)
    b = store.load_run(ANALYSIS, run_b)
    cmp = compare(a.tables, b.tables)
    return {
        "run_a": run_a,
        "run_b": run_b,
        "new_chokepoints": cmp.new_chokepoints,
        "resolved_chokepoints": cmp.resolved_chokepoints,
        "new_weak_links": cmp.new_weak_links,
        "resolved_weak_links": cmp.resolved_weak_links,
        "score_changes": cmp.score_changes,
    }
