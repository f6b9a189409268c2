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

from chain_brain.analytics.chokepoints import ChokepointParams, find_chokepoints
from chain_brain.analytics.results import AnalysisParams, compare, run_analysis
from chain_brain.graph.chaingraph import DEFAULT_HOME_COUNTRIES, ChainGraph
from chain_brain.services.cache import cached_snapshot, view_cache
from chain_brain.store import GraphStore, RunRecord, Scope
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.frames import GraphData, RelFrame
from graph_schema.model import NodeLabel, RelType

__all__ = [
    "ANALYSIS",
    "AnalysisRequest",
    "analyse",
    "run_analysis_job",
    "latest_analysis",
    "get_analysis",
    "explain_finding",
    "explain_row",
    "compare_runs",
    "chokepoint_list",
]

ANALYSIS = "analysis"
#: Weeks in a year, as the plant twins count them (365.2425 / 7): capacities in the graph
#: are per year, twin capacities per week.
WEEKS_PER_YEAR = 365.2425 / 7
ProgressFn = Callable[[float, str], None]


@dataclass(frozen=True)
class AnalysisRequest:
    """What to analyse: a scope of the graph, the home countries, and the knobs."""

    scope: Scope = field(default_factory=Scope)
    home_countries: tuple[str, ...] = tuple(sorted(DEFAULT_HOME_COUNTRIES))
    params: AnalysisParams = field(default_factory=AnalysisParams)
    use_twins: bool = True
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
    sources = pd.DataFrame()
    if req.use_twins:
        data, sources = twin_backed(store, data)
    graph = ChainGraph.from_data(data, home_countries=req.home_countries)
    if graph.n_nodes == 0:
        raise ValidationError(f"Nothing to analyse: the snapshot for {req.scope} is empty.")
    read_s = time.perf_counter() - t0

    def report(step: str, done: int, total: int) -> None:
        if callable(progress):
            progress(0.1 + 0.85 * done / max(total, 1), step)

    result = run_analysis(graph, params=req.params, progress=True if progress is True else report)
    tables = result.to_tables()
    if len(sources):
        tables["capacity_sources"] = sources
    summary: dict[str, object] = {
        "twin_backed_plants": int(len(sources)),
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


def twin_backed(store: GraphStore, data: GraphData) -> tuple[GraphData, pd.DataFrame]:
    """Replace surveyed ``PRODUCES`` capacities of plants whose twin has observations by what
    the twin says they can make now (P50), scaling each of the plant's capacities by
    ``twin / surveyed``; return the snapshot and one row per twin-backed plant
    (``plant_id, surveyed_per_week, twin_per_week, factor, source``).  Plants without
    observations keep their surveyed figures (``source`` "surveyed" is implied)."""
    from chain_brain.services.twins import twin_capacity

    twins = twin_capacity(store)
    if twins.empty:
        return data, pd.DataFrame()
    observed = twins[twins["source"] == "twin"].set_index("plant_id")["capacity_p50"]
    frames = [
        rf for rf in data.rels if rf.type is RelType.PRODUCES and rf.src_label is NodeLabel.PLANT
    ]
    if observed.empty or not frames:
        return data, pd.DataFrame()
    prod = pd.concat([rf.data for rf in frames], ignore_index=True)
    per_product = prod.groupby(["src", "dst"])["capacity"].sum()
    surveyed = per_product.groupby(level="src").max() / WEEKS_PER_YEAR
    common = observed.index.intersection(surveyed.index[surveyed > 0])
    if common.empty:
        return data, pd.DataFrame()
    factor = (observed[common] / surveyed[common]).rename("factor")
    rels = []
    for rf in data.rels:
        if rf in frames and "capacity" in rf.data.columns:
            d = rf.data.copy()
            f = d["src"].map(factor).fillna(1.0).to_numpy(dtype=float)
            d["capacity"] = d["capacity"].to_numpy(dtype=float) * f
            rf = RelFrame(rf.type, rf.src_label, rf.dst_label, d)
        rels.append(rf)
    table = pd.DataFrame(
        {
            "plant_id": common.astype(str),
            "surveyed_per_week": surveyed[common].to_numpy(),
            "twin_per_week": observed[common].to_numpy(),
            "factor": factor.to_numpy(),
            "source": "twin",
        }
    )
    return GraphData(list(data.nodes), rels), table


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
    return explain_row(store.load_run(ANALYSIS, run_id), finding_id)


def explain_row(run: RunRecord, finding_id: str) -> dict[str, object]:
    """:func:`explain_finding` on a run already loaded (and, for the API, redacted)."""
    for name, table in run.tables.items():
        if name == "findings" or "finding_id" not in table.columns:
            continue
        hit = table[table["finding_id"].astype(str) == finding_id]
        if len(hit):
            row = hit.iloc[0]
            values = {
                k: (None if pd.isna(v) else v)
                for k, v in row.items()
                if not isinstance(v, (list, dict))
            }
            return {
                "run_id": run.id,
                "table": name,
                "finding_id": finding_id,
                "reason": str(row.get("reason", "")),
                "values": {k: _plain(v) for k, v in values.items()},
            }
    raise NotFoundError(f"No finding {finding_id!r} in analysis run {run.id!r}.")


def chokepoint_list(
    store: GraphStore,
    chain: str,
    *,
    home_countries: tuple[str, ...] | None = None,
    params: ChokepointParams | None = None,
) -> pd.DataFrame:
    """The products of ``chain`` ranked by chokepoint score, from the graph as it is now.

    The table of :func:`chain_brain.analytics.chokepoints.find_chokepoints` on the chain's
    snapshot cut to the chain's members (trading partners in other chains and their
    products are left out, as in a chain lead's analysis), highest score first.  Surveyed capacities only (stored analysis runs also
    use plant twins): the list is a function of the graph, so it is cached in
    :func:`~chain_brain.services.cache.view_cache` until the graph changes (treat it as
    read-only).  NotFoundError if the chain does not exist.
    """
    home = tuple(sorted(home_countries or DEFAULT_HOME_COUNTRIES))
    p = params or ChokepointParams()

    def compute() -> pd.DataFrame:
        from chain_brain.services.security import chain_member_keys, restrict

        data = cached_snapshot(store, Scope(chain=chain))
        chains = data.node_table(NodeLabel.CHAIN)
        if chains.empty or chain not in set(chains["id"].astype(str)):
            raise NotFoundError(f"Chain {chain!r} does not exist in the store.")
        data = restrict(data, chain_member_keys(store, chain))
        graph = ChainGraph.from_data(data, home_countries=home)
        table = find_chokepoints(graph, p)
        return table.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)

    return view_cache().get(store, "chokepoint_list", (chain, home, repr(p)), compute)


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
