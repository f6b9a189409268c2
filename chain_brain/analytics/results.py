"""One analysis run: parameters, the ranked tables with their explanations, and comparisons.

:func:`run_analysis` computes every analytic of this package on one
:class:`~chain_brain.graph.chaingraph.ChainGraph` and returns an :class:`AnalysisResult`:
ranked pandas tables (each row a finding with a ``finding_id`` and a ``reason`` built from
its components), :meth:`AnalysisResult.to_tables` for storing and exporting,
:meth:`AnalysisResult.explain` for one finding, and :func:`compare` between two runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from chain_brain.analytics.cascades import (
    CascadeResult,
    Disruption,
    DisruptionKind,
    rank_disruptions,
)
from chain_brain.analytics.chokepoints import ChokepointParams, find_chokepoints
from chain_brain.analytics.position import (
    bea_industry_positions,
    product_positions,
    read_bea_summary,
)
from chain_brain.analytics.structure import (
    estimate_betweenness,
    find_articulation_points,
    find_bridges,
    find_dominators,
    find_sole_sources,
    rank_supply_importance,
)
from chain_brain.analytics.weak_links import WeakLinkParams, find_weak_links
from chain_brain.graph.chaingraph import ChainGraph
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.model import NodeLabel

__all__ = [
    "AnalysisParams",
    "RunInfo",
    "AnalysisResult",
    "Comparison",
    "run_analysis",
    "compare",
    "TABLES",
]

#: Names of the finding tables of a run, in report order.
TABLES: tuple[str, ...] = (
    "chokepoints",
    "weak_links",
    "sole_sources",
    "dominators",
    "articulation_points",
    "bridges",
    "betweenness",
    "importance",
    "product_positions",
    "cascades",
)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class AnalysisParams:
    """Every knob of :func:`run_analysis` (thresholds and weights live in the sub-params).

    Attributes
    ----------
    betweenness_exact_max_nodes, betweenness_samples, betweenness_cutoff, betweenness_delta
        Exact Brandes betweenness up to this many active nodes, else this many sampled
        sources (error bound at confidence ``1 - delta``); optional path-length cutoff.
    top : int
        Rows kept in node-level rankings (betweenness, importance).
    cascade_horizon, cascade_cover, cascade_duration
        Periods simulated, periods of inventory cover, periods a disruption lasts.
    disruptions : tuple of Disruption, optional
        Scenarios to simulate; by default the ``cascade_firms`` most important firms and the
        ``cascade_regions`` regions with most supply capacity.
    bea_positions : bool
        Also place the BEA summary industries (bundled 2015 tables, or ``bea_data_dir``).
    """

    chokepoints: ChokepointParams = field(default_factory=ChokepointParams)
    weak_links: WeakLinkParams = field(default_factory=WeakLinkParams)
    betweenness_exact_max_nodes: int = 5_000
    betweenness_samples: int = 32
    betweenness_cutoff: int | None = None
    betweenness_delta: float = 0.1
    top: int = 1_000
    cascade_horizon: int = 12
    cascade_cover: float = 2.0
    cascade_duration: int | None = None
    disruptions: tuple[Disruption, ...] | None = None
    cascade_firms: int = 3
    cascade_regions: int = 3
    bea_positions: bool = False
    bea_data_dir: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.top < 1 or self.cascade_horizon < 1 or self.cascade_cover < 0:
            raise ValidationError(
                f"AnalysisParams needs top >= 1, cascade_horizon >= 1, cascade_cover >= 0; "
                f"got top={self.top}, cascade_horizon={self.cascade_horizon}, "
                f"cascade_cover={self.cascade_cover}."
            )


@dataclass(frozen=True)
class RunInfo:
    """What a run was computed on and how long each step took."""

    created_at: str
    n_nodes: int
    n_supply_edges: int
    home_countries: tuple[str, ...]
    betweenness_exact: bool
    betweenness_sources: int
    betweenness_error_bound: float
    seconds: dict[str, float]
    params: str


@dataclass
class AnalysisResult:
    """Ranked finding tables of one run, with explanations.

    ``tables`` maps a name of :data:`TABLES` (plus ``industry_positions`` when requested)
    to a DataFrame whose rows carry ``finding_id`` and ``reason``; ``cascades`` keeps the
    detailed result of each simulated disruption.
    """

    tables: dict[str, pd.DataFrame]
    info: RunInfo
    cascades: list[CascadeResult] = field(default_factory=list)

    def to_tables(self) -> dict[str, pd.DataFrame]:
        """All tables plus ``findings`` (one row per finding: table, id, score, reason) and
        ``run`` (one row of run information), ready to store or export."""
        out = {k: v.copy() for k, v in self.tables.items()}
        out["findings"] = self.findings()
        info = asdict(self.info)
        info["home_countries"] = ",".join(info["home_countries"])
        info["seconds"] = ";".join(f"{k}={v:.3f}" for k, v in self.info.seconds.items())
        out["run"] = pd.DataFrame([info])
        return out

    def findings(self) -> pd.DataFrame:
        """Every finding of every table: ``table``, ``finding_id``, ``score``, ``reason``."""
        parts = []
        for name, t in self.tables.items():
            if "finding_id" not in t.columns or not len(t):
                continue
            score = _score_column(name, t)
            parts.append(
                pd.DataFrame(
                    {
                        "table": name,
                        "finding_id": t["finding_id"].astype(str).to_numpy(),
                        "score": score,
                        "reason": t["reason"].astype(str).to_numpy(),
                    }
                )
            )
        if not parts:
            return pd.DataFrame(columns=["table", "finding_id", "score", "reason"])
        return pd.concat(parts, ignore_index=True)

    def explain(self, finding_id: str) -> str:
        """The explanation of one finding; :class:`NotFoundError` if no table has it."""
        for t in self.tables.values():
            if "finding_id" in t.columns:
                hit = t.loc[t["finding_id"] == finding_id, "reason"]
                if len(hit):
                    return str(hit.iloc[0])
        raise NotFoundError(f"No finding {finding_id!r} in this run.")

    def save(self, directory: Path | str, *, fmt: str = "csv") -> list[Path]:
        """Write every table of :meth:`to_tables` as ``<name>.csv`` or ``<name>.parquet``."""
        if fmt not in ("csv", "parquet"):
            raise ValidationError(f"Export format must be 'csv' or 'parquet'; got {fmt!r}.")
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, t in self.to_tables().items():
            p = d / f"{name}.{fmt}"
            if fmt == "csv":
                t.to_csv(p, index=False)
            else:
                t.to_parquet(p, index=False)
            paths.append(p)
        return paths


_SCORES = {
    "chokepoints": "score",
    "weak_links": "score",
    "sole_sources": "volume",
    "dominators": "dominated_share",
    "articulation_points": "partners",
    "bridges": "volume",
    "betweenness": "normalised",
    "importance": "importance",
    "product_positions": "upstreamness",
    "cascades": "final_output_lost_share",
}


def _score_column(name: str, t: pd.DataFrame) -> np.ndarray:
    col = _SCORES.get(name)
    if col is None or col not in t.columns:
        return np.full(len(t), np.nan)
    return pd.to_numeric(t[col], errors="coerce").to_numpy(dtype=float)


def _default_disruptions(
    graph: ChainGraph, importance: pd.DataFrame, params: AnalysisParams
) -> tuple[Disruption, ...]:
    firm_code = list(graph.label_offset).index(NodeLabel.FIRM)
    firms = importance[graph.node_label[importance["node"].to_numpy()] == firm_code]
    ids = graph.node_id[firms["node"].to_numpy()[: params.cascade_firms]]
    out = [Disruption(DisruptionKind.FIRM, str(i)) for i in ids]
    if len(graph.regions) and params.cascade_regions > 0:
        r = graph.node_region
        shipped = np.bincount(graph.sup_src, weights=graph.sup_volume, minlength=graph.n_nodes)
        ok = r >= 0
        by_region = np.bincount(r[ok], weights=shipped[ok], minlength=len(graph.regions))
        top = np.argsort(-by_region, kind="stable")[: params.cascade_regions]
        out += [
            Disruption(DisruptionKind.REGION, str(graph.regions[i]))
            for i in top
            if by_region[i] > 0
        ]
    return tuple(out)


def run_analysis(
    graph: ChainGraph,
    *,
    params: AnalysisParams | None = None,
    progress: Progress | bool | None = None,
) -> AnalysisResult:
    """Compute every analytic on ``graph`` and return the ranked, explained tables.

    Parameters
    ----------
    graph : ChainGraph
        The projection of one snapshot (built once by the caller).
    params : AnalysisParams, optional
    progress : callable or bool, optional
        ``progress(step, done, total)`` after each step, or ``True`` for a tqdm bar.

    Examples
    --------
    >>> from chain_brain.graph.samples import toy_chain
    >>> r = run_analysis(ChainGraph.from_data(toy_chain()))
    >>> r.tables["chokepoints"]["product_id"].iloc[0]
    'chip'
    >>> r.explain("sole_source:Firm:A1:chip")[:42]
    'Firm:A1 buys chip from one supplier only, '
    """
    p = params or AnalysisParams()
    steps = [*TABLES] + (["industry_positions"] if p.bea_positions else [])
    bar = None
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(steps), desc="analysis", unit="step")
    report: Progress | None = progress if callable(progress) else None
    tables: dict[str, pd.DataFrame] = {}
    seconds: dict[str, float] = {}
    cascades: list[CascadeResult] = []
    bw = None

    def step(name: str) -> None:
        if bar is not None:
            bar.set_postfix_str(name)
            bar.update(1)
        if report is not None:
            report(name, len(seconds), len(steps))

    for name in steps:
        t0 = time.perf_counter()
        if name == "chokepoints":
            tables[name] = find_chokepoints(graph, p.chokepoints)
        elif name == "weak_links":
            req = tables["chokepoints"]
            required = np.zeros(len(graph.product_nodes))
            required[graph.product_local(req["product"].to_numpy())] = req["required"].to_numpy()
            tables[name] = find_weak_links(graph, p.weak_links, required=required)
        elif name == "sole_sources":
            tables[name] = find_sole_sources(graph)
        elif name == "dominators":
            tables[name] = find_dominators(graph)
        elif name == "articulation_points":
            tables[name] = find_articulation_points(graph)
        elif name == "bridges":
            tables[name] = find_bridges(graph)
        elif name == "betweenness":
            bw = estimate_betweenness(
                graph,
                exact_max_nodes=p.betweenness_exact_max_nodes,
                n_samples=p.betweenness_samples,
                cutoff=p.betweenness_cutoff,
                delta=p.betweenness_delta,
                top=p.top,
                seed=p.seed,
            )
            tables[name] = bw.table
        elif name == "importance":
            tables[name] = rank_supply_importance(graph, top=p.top)
        elif name == "product_positions":
            tables[name] = product_positions(graph)
        elif name == "cascades":
            scenarios = p.disruptions
            if scenarios is None:
                scenarios = _default_disruptions(graph, tables["importance"], p)
            tables[name], cascades = rank_disruptions(
                graph,
                scenarios,
                horizon=p.cascade_horizon,
                cover=p.cascade_cover,
                duration=p.cascade_duration,
            )
        elif name == "industry_positions":
            tables[name] = bea_industry_positions(read_bea_summary(p.bea_data_dir))
        seconds[name] = time.perf_counter() - t0
        step(name)
    if bar is not None:
        bar.close()
    assert bw is not None
    info = RunInfo(
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        n_nodes=graph.n_nodes,
        n_supply_edges=graph.n_supply_edges,
        home_countries=tuple(sorted(graph.home_countries)),
        betweenness_exact=bw.exact,
        betweenness_sources=bw.n_sources,
        betweenness_error_bound=bw.epsilon,
        seconds=seconds,
        params=repr(p),
    )
    return AnalysisResult(tables=tables, info=info, cascades=cascades)


# --------------------------------------------------------------------------- comparison
@dataclass(frozen=True)
class Comparison:
    """Differences between two runs.

    ``new_chokepoints`` / ``resolved_chokepoints``: product ids flagged only in run b / only
    in run a; ``score_changes``: per finding present in either run, its score in a and b and
    the change, largest absolute change first.  Same for weak links.
    """

    new_chokepoints: list[str]
    resolved_chokepoints: list[str]
    new_weak_links: list[str]
    resolved_weak_links: list[str]
    score_changes: pd.DataFrame


def _as_tables(run: AnalysisResult | Mapping[str, pd.DataFrame]) -> Mapping[str, pd.DataFrame]:
    return run.tables if isinstance(run, AnalysisResult) else run


def _flagged(tables: Mapping[str, pd.DataFrame], name: str, flag: str, key: str) -> set[str]:
    t = tables.get(name)
    if t is None or not len(t):
        return set()
    return set(t.loc[t[flag].astype(bool), key].astype(str))


def compare(
    run_a: AnalysisResult | Mapping[str, pd.DataFrame],
    run_b: AnalysisResult | Mapping[str, pd.DataFrame],
) -> Comparison:
    """Compare two runs (results or their stored tables): what became or stopped being a
    chokepoint or weak link, and how every score moved."""
    a, b = _as_tables(run_a), _as_tables(run_b)
    ca = _flagged(a, "chokepoints", "is_chokepoint", "product_id")
    cb = _flagged(b, "chokepoints", "is_chokepoint", "product_id")
    wa = _flagged(a, "weak_links", "is_weak_link", "segment_id")
    wb = _flagged(b, "weak_links", "is_weak_link", "segment_id")
    parts = []
    for name in ("chokepoints", "weak_links"):
        ta, tb = a.get(name), b.get(name)
        sa = (
            ta.set_index("finding_id")["score"]
            if ta is not None and len(ta)
            else pd.Series(dtype=float)
        )
        sb = (
            tb.set_index("finding_id")["score"]
            if tb is not None and len(tb)
            else pd.Series(dtype=float)
        )
        both = pd.concat({"score_a": sa, "score_b": sb}, axis=1)
        both.index.name = "finding_id"
        both = both.reset_index()
        both.insert(0, "table", name)
        parts.append(both)
    changes = pd.concat(parts, ignore_index=True)
    changes["change"] = changes["score_b"] - changes["score_a"]
    changes["status"] = np.where(
        changes["score_a"].isna(), "new", np.where(changes["score_b"].isna(), "gone", "both")
    )
    order = np.argsort(-changes["change"].abs().fillna(np.inf).to_numpy(), kind="stable")
    changes = changes.iloc[order].reset_index(drop=True)
    return Comparison(
        new_chokepoints=sorted(cb - ca),
        resolved_chokepoints=sorted(ca - cb),
        new_weak_links=sorted(wb - wa),
        resolved_weak_links=sorted(wa - wb),
        score_changes=changes,
    )
