"""run_analysis end to end on the toy chain: tables, explanations, export and comparison."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chain_brain.analytics.cascades import Disruption, DisruptionKind
from chain_brain.analytics.results import TABLES, AnalysisParams, compare, run_analysis
from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.graph.samples import graph_data, random_chain, toy_chain
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.model import NodeLabel, RelType


@pytest.fixture(scope="module")
def result():
    return run_analysis(ChainGraph.from_data(toy_chain()))


def test_every_table_is_ranked_and_explained(result) -> None:
    assert set(TABLES) <= set(result.tables)
    for name, t in result.tables.items():
        assert {"finding_id", "reason"} <= set(t.columns), name
        assert t["finding_id"].is_unique, name
        assert all(len(r) > 20 for r in t["reason"]), name
    assert result.tables["chokepoints"]["product_id"].iloc[0] == "chip"
    assert result.info.betweenness_exact
    assert set(result.info.seconds) == set(TABLES)


def test_explain_and_findings(result) -> None:
    text = result.explain("chokepoint:ore")
    assert "2 supplying firm(s)" in text and "HHI 0.52" in text
    with pytest.raises(NotFoundError, match="chokepoint:nothing"):
        result.explain("chokepoint:nothing")
    f = result.findings()
    assert len(f) == sum(len(t) for t in result.tables.values())
    assert set(f["table"]) == {k for k, t in result.tables.items() if len(t)}


def test_default_cascades_cover_top_firms_and_regions(result) -> None:
    t = result.tables["cascades"]
    assert (t["kind"] == "firm").sum() == 3
    assert set(t.loc[t["kind"] == "region", "target"]) <= {"HB", "JS", "WA", "TW"}
    assert len(result.cascades) == len(t)


def test_explicit_disruptions_and_progress() -> None:
    calls: list[tuple[str, int, int]] = []
    params = AnalysisParams(disruptions=(Disruption(DisruptionKind.FIRM, "C1"),), cascade_cover=0)
    r = run_analysis(
        ChainGraph.from_data(toy_chain()),
        params=params,
        progress=lambda s, i, n: calls.append((s, i, n)),
    )
    assert r.tables["cascades"]["target"].tolist() == ["C1"]
    assert r.tables["cascades"]["final_output_lost_share"].iloc[0] == pytest.approx(1.0)
    assert [c[0] for c in calls] == list(TABLES)
    assert [c[1] for c in calls] == list(range(1, len(TABLES) + 1))
    with pytest.raises(ValidationError, match="cascade_horizon"):
        AnalysisParams(cascade_horizon=0)


def test_to_tables_and_save(result, tmp_path: Path) -> None:
    tables = result.to_tables()
    assert {"findings", "run"} <= set(tables)
    assert tables["run"]["n_supply_edges"].iloc[0] == 6
    paths = result.save(tmp_path, fmt="parquet")
    back = pd.read_parquet(tmp_path / "chokepoints.parquet")
    assert back["product_id"].tolist() == result.tables["chokepoints"]["product_id"].tolist()
    assert len(paths) == len(tables)
    result.save(tmp_path / "csv")
    assert pd.read_csv(tmp_path / "csv" / "findings.csv").shape[0] == len(tables["findings"])


def test_compare_after_adding_a_second_chip_maker(result) -> None:
    data = toy_chain()
    data.extend(
        graph_data(
            {NodeLabel.FIRM: [{"id": "C2", "name": "Chip 2", "country": "CHN", "region": "JS"}]},
            [
                (
                    RelType.PRODUCES,
                    NodeLabel.FIRM,
                    NodeLabel.PRODUCT,
                    [{"src": "C2", "dst": "chip", "capacity": 500}],
                ),
                (
                    RelType.PRODUCES,
                    NodeLabel.FIRM,
                    NodeLabel.PRODUCT,
                    [{"src": "C2", "dst": "alu", "capacity": 500}],
                ),
                (
                    RelType.SUPPLIES,
                    NodeLabel.FIRM,
                    NodeLabel.FIRM,
                    [{"src": "C2", "dst": "A1", "product": "chip", "volume": 200}],
                ),
            ],
        )
    )
    params = AnalysisParams(disruptions=())
    after = run_analysis(ChainGraph.from_data(data), params=params)
    diff = compare(result, after.to_tables())
    c = after.tables["chokepoints"].set_index("product_id")
    assert c.loc["chip", "hhi_firm"] == pytest.approx(0.5)
    assert c.loc["steel", "substitution_ratio"] == pytest.approx(0.8 * 500 / 120)
    assert "steel" in diff.resolved_chokepoints  # alu now covers steel
    assert diff.new_chokepoints == ["alu"]  # now made, by one firm only
    ch = diff.score_changes.set_index("finding_id")
    assert ch.loc["chokepoint:chip", "change"] < 0
    assert ch.loc["chokepoint:alu", "status"] == "new"


def test_runs_on_a_random_chain() -> None:
    g = ChainGraph.from_data(random_chain(2_000, 12_000, seed=2))
    r = run_analysis(
        g, params=AnalysisParams(betweenness_exact_max_nodes=100, betweenness_samples=16)
    )
    assert not r.info.betweenness_exact and r.info.betweenness_sources == 16
    assert len(r.tables["weak_links"]) == 6
    assert r.tables["chokepoints"]["score"].between(0, 1).all()
