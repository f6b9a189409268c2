"""Pure figure builders, UI strings and monitoring services on hand-made frames with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from chain_brain.services import monitoring
from chain_brain.store import RunRecord
from chain_brain.twins import fleet_from_plant_records
from dashboards import figures, i18n
from graph_schema.frames import GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, RelType

SEGMENTS = pd.DataFrame(
    {
        "id": ["s:down", "s:up", "s:mid"],
        "name_zh": ["下", "上", "中"],
        "name_en": ["Down", "Up", "Mid"],
        "position": ["downstream", "upstream", "midstream"],
        "order": [2, 0, 1],
        "products": [1, 1, 1],
        "firms": [4, 1, 0],
        "plants": [0, 2, 3],
        "capacity": [np.nan, 1500.0, 2_500_000.0],
        "capacity_unit": ["", "kt", "kt"],
    }
)
FLOWS = pd.DataFrame(
    {
        "from_segment": ["s:up", "s:up"],
        "to_segment": ["s:mid", "s:down"],
        "edges": [10, 5],
        "volume": [np.nan, np.nan],
    }
)


def test_chain_overview_orders_segments_and_sizes_by_firms() -> None:
    fig = figures.chain_overview_figure(SEGMENTS, FLOWS, "en", badges={"s:mid": 2})
    dots = fig.data[0]
    assert list(dots.customdata) == ["s:up", "s:mid", "s:down"]  # upstream first
    assert list(dots.x) == [0.0, 1.0, 2.0]
    sizes = list(dots.marker.size)
    assert sizes[2] == pytest.approx(80.0) and sizes[1] == pytest.approx(
        24.0
    )  # 4 firms max, 0 firms min
    assert "Capacity 2.5M kt" in dots.text[1] and "Capacity - " in dots.text[2]
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 2
    widths = sorted(a.arrowwidth for a in arrows)
    assert widths == [pytest.approx(3.0), pytest.approx(5.0)]  # 1 + 4 * edges / max
    badges = [a.text for a in fig.layout.annotations if not a.showarrow]
    assert badges == ["⚠ 2 chokepoints"]


def test_chain_overview_of_nothing_says_so() -> None:
    fig = figures.chain_overview_figure(SEGMENTS.iloc[:0], FLOWS.iloc[:0], "zh")
    assert fig.layout.annotations[0].text == "暂无数据"


def test_segment_members_table_names_firms_and_plants_of_one_segment() -> None:
    members = pd.DataFrame(
        {
            "segment": ["s:up", "s:up", "s:up", "s:mid"],
            "label": ["Firm", "Product", "Plant", "Firm"],
            "id": ["f1", "p", "pl1", "f2"],
            "via": ["PRODUCES", "IN_SEGMENT", "PRODUCES", "OPERATES"],
        }
    )
    out = figures.segment_members_table(members, pd.Series({"f1": "Firm One"}), "s:up")
    assert out.to_dict("list") == {
        "label": ["Firm", "Plant"],
        "id": ["f1", "pl1"],
        "name": ["Firm One", "pl1"],
        "via": ["PRODUCES", "PRODUCES"],
    }


def test_ranked_table_sorts_by_score_filters_and_leads_with_key_columns() -> None:
    t = pd.DataFrame(
        {
            "extra": [1, 2, 3, 4],
            "score": [0.2, 0.9, np.nan, 0.5],
            "finding_id": ["a", "b", "c", "d"],
            "country": ["CHN", "AUS", "CHN", "BRA,CHN"],
        }
    )
    out = figures.ranked_table(t)
    assert list(out["finding_id"]) == ["b", "d", "a", "c"]  # NaN score last
    assert list(out.columns[:2]) == ["finding_id", "score"]
    assert list(figures.ranked_table(t, countries=["CHN"])["finding_id"]) == ["d", "a", "c"]
    assert list(figures.ranked_table(t, min_score=0.5)["finding_id"]) == ["b", "d"]


def test_records_round_floats_and_blank_missing_values() -> None:
    data, columns = figures.records(
        pd.DataFrame({"a": [1.234567, np.nan], "b": ["x", None]}), digits=2
    )
    assert data == [{"a": 1.23, "b": "x"}, {"a": None, "b": None}]
    assert columns == [{"name": "a", "id": "a"}, {"name": "b", "id": "b"}]


def test_plants_map_leaves_out_plants_without_coordinates() -> None:
    plants = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["A", "B", "C"],
            "lat": [1.0, np.nan, 3.0],
            "lon": [2.0, 5.0, 4.0],
            "country": ["X", "Y", "Z"],
            "capacity": [100.0, 50.0, 0.0],
        }
    )
    fig = figures.plants_map_figure(plants, "en")
    trace = fig.data[0]
    assert trace.type == "scattergeo"
    assert list(trace.lat) == [1.0, 3.0]
    assert list(trace.marker.size) == [pytest.approx(25.0), pytest.approx(3.0)]


def test_concentration_and_hhi_known_answers() -> None:
    frame = pd.DataFrame(
        {"country": ["A", "B", "A", None, "C"], "capacity": [30.0, 20.0, 30.0, 20.0, 0.0]}
    )
    out = monitoring.concentration(frame, "country")
    assert out.to_dict("list") == {
        "key": ["A", "(unknown)", "B"],
        "capacity": [60.0, 20.0, 20.0],
        "share": [0.6, 0.2, 0.2],
    }
    assert monitoring.hhi(out["share"]) == pytest.approx(0.36 + 0.04 + 0.04)
    fig = figures.concentration_figure(out, "t")
    assert list(fig.data[0].y) == ["B", "(unknown)", "A"]  # largest on top, ties by name
    assert list(fig.data[0].text) == ["20.0%", "20.0%", "60.0%"]


def test_tiers_figure_groups_small_countries_as_other() -> None:
    tiers = pd.DataFrame(
        {"tier": [1, 1, 1, 2], "country": ["CHN", "USA", "JPN", "CHN"], "suppliers": [5, 2, 1, 3]}
    )
    fig = figures.tiers_figure(tiers, "en", top_countries=1)
    by_name = {tr.name: (list(tr.x), list(tr.y)) for tr in fig.data}
    assert by_name == {"CHN": (["Tier 1", "Tier 2"], [5, 3]), "other": (["Tier 1"], [3])}


def test_fan_chart_band_and_nameplate_only_without_samples() -> None:
    fc = pd.DataFrame(
        {
            "week": [1, 2],
            "p10": [8.0, 7.0],
            "p50": [9.0, 9.0],
            "p90": [10.0, 10.0],
            "nameplate": [12.0, 12.0],
        }
    )
    fig = figures.fan_chart(fc, "en")
    assert [tr.name for tr in fig.data] == ["P90", "P10", "P50", "Nameplate"]
    assert fig.data[1].fill == "tonexty"
    empty = fc.assign(p10=np.nan, p50=np.nan, p90=np.nan)
    assert [tr.name for tr in figures.fan_chart(empty, "en").data] == ["Nameplate"]


def test_tts_ttr_figure_marks_nodes_needing_attention_red() -> None:
    nodes = pd.DataFrame(
        {"node": ["a", "b"], "ttr": [4.0, 1.0], "tts": [2.0, 3.0], "loss": [5.0, 0.0]}
    )
    fig = figures.tts_ttr_figure(nodes, "en")
    assert list(fig.data[1].marker.color) == ["#c0392b", "#95a5a6"]


def test_scenario_compare_aligns_nodes_of_both_runs() -> None:
    a = pd.DataFrame({"node": ["x", "y"], "loss": [3.0, 1.0]})
    b = pd.DataFrame({"node": ["y", "z"], "loss": [4.0, 2.0]})
    fig = figures.scenario_compare_figure(a, b, ("A", "B"))
    assert list(fig.data[0].x) == ["y", "x", "z"]
    assert list(fig.data[0].y) == [1.0, 3.0, 0.0] and list(fig.data[1].y) == [4.0, 0.0, 2.0]


def test_explanation_parts_and_components_figure() -> None:
    exp = {
        "finding_id": "f",
        "values": {"c_hhi": 0.4, "w_hhi": 0.3, "thr_hhi": 0.25, "flag_x": True, "n": 3},
    }
    parts = figures.explanation_parts(exp)
    assert parts == {
        "finding_id": "f",
        "components": {"hhi": 0.4},
        "weights": {"hhi": 0.3},
        "thresholds": {"hhi": 0.25},
        "flags": {"x": True},
        "data": {"n": 3},
    }
    fig = figures.components_figure(parts, "t")
    assert fig is not None and list(fig.data[0].x) == [0.4]
    assert figures.components_figure({"reason": "r"}, "t") is None
    assert ("components.hhi", "0.4") in figures.explanation_items(parts)


def test_strings_exist_in_both_languages_and_unknown_keys_raise() -> None:
    assert all(zh and en for zh, en in i18n.STRINGS.values())
    assert (
        i18n.t("page.overview", "zh") == "产业链全景"
        and i18n.t("page.overview", "en") == "Chain overview"
    )
    with pytest.raises(i18n.UnknownStringError, match="no.such.key"):
        i18n.t("no.such.key")


def _nf(label: NodeLabel, **cols: list[object]) -> NodeFrame:
    return NodeFrame(label, pd.DataFrame(cols))


def _rf(kind: RelType, a: NodeLabel, b: NodeLabel, **cols: list[object]) -> RelFrame:
    return RelFrame(kind, a, b, pd.DataFrame(cols))


def _supply_graph() -> GraphData:
    """lead (plant L) <- s1 (CHN) <- s3 (JPN); lead <- s2 (CHN); s1 and s2 ship ore, nobody
    ships coal which lead's steel requires; m1 makes coal (capacity 100, ships 30 of it)."""
    F, P, PR = NodeLabel.FIRM, NodeLabel.PLANT, NodeLabel.PRODUCT
    return GraphData(
        [
            _nf(
                F,
                id=["lead", "s1", "s2", "s3", "m1", "x"],
                name=["Lead", "S1", "S2", "S3", "M1", "X"],
                country=["CHN", "CHN", "CHN", "JPN", "AUS", "IND"],
            ),
            _nf(
                P,
                id=["L", "M"],
                name=["Lead plant", "M plant"],
                country=["CHN", "AUS"],
                lat=[30.0, -20.0],
                lon=[120.0, 130.0],
            ),
            _nf(PR, id=["steel", "ore", "coal"]),
        ],
        [
            _rf(RelType.OPERATES, F, P, src=["lead", "m1"], dst=["L", "M"], key=["", ""]),
            _rf(
                RelType.PRODUCES,
                P,
                PR,
                src=["L", "M"],
                dst=["steel", "coal"],
                key=["", ""],
                process=["BOF", "other"],
                capacity=[500.0, 100.0],
                unit=["kt", "kt"],
            ),
            _rf(
                RelType.REQUIRES,
                PR,
                PR,
                src=["steel", "steel"],
                dst=["ore", "coal"],
                key=["", ""],
                quantity=[1.5, 0.7],
            ),
            _rf(
                RelType.SUPPLIES,
                F,
                P,
                src=["s1", "s2"],
                dst=["L", "L"],
                key=["", ""],
                product=["ore", "ore"],
                volume=[10.0, 5.0],
            ),
            _rf(
                RelType.SUPPLIES,
                F,
                F,
                src=["s3", "m1", "x"],
                dst=["s1", "x", "s2"],
                key=["", "", ""],
                product=[None, "coal", "ore"],
                volume=[1.0, 30.0, 2.0],
            ),
        ],
    )


def test_supplier_tiers_walk_up_through_the_operated_plant() -> None:
    tiers = monitoring.supplier_tiers(_supply_graph(), "lead")
    assert dict(zip(tiers["id"], tiers["tier"], strict=True)) == {
        "s1": 1,
        "s2": 1,
        "s3": 2,
        "x": 2,
        "m1": 3,
        "M": 3,  # m1's plant stands with it
    }
    assert set(monitoring.supplier_tiers(_supply_graph(), "lead", max_tiers=1)["id"]) == {
        "s1",
        "s2",
    }


def test_supplier_view_exposure_risk_substitutes_and_matching() -> None:
    v = monitoring.supplier_view(_supply_graph(), "lead")
    assert v.n_suppliers == 5 and v.n_tiers == 3
    assert v.exposure.set_index("country")["suppliers"].to_dict() == {
        "CHN": 2.0,
        "AUS": 1.0,
        "IND": 1.0,
        "JPN": 1.0,
    }
    assert v.hhi == pytest.approx(0.4**2 + 3 * 0.2**2)
    risk = v.at_risk.set_index("product")["reason"].to_dict()
    assert risk == {"coal": "no known supplier", "ore": "single supplier country"}
    # m1 ships coal (to x) and x ships ore (to s2): neither supplies lead yet
    assert v.substitutes[["product", "firm"]].values.tolist() == [["coal", "m1"], ["ore", "x"]]
    assert v.matching[["product", "firm", "capacity", "committed", "spare"]].values.tolist() == [
        ["coal", "m1", 100.0, 30.0, 70.0]
    ]


def test_plant_capacity_sums_process_capacities_and_names_the_operator() -> None:
    out = monitoring.plant_capacity(_supply_graph()).set_index("id")
    assert out.loc["L", "capacity"] == 500.0 and out.loc["M", "operator"] == "m1"


def test_fleet_overview_and_forecast_from_surveyed_capacity() -> None:
    fleet = fleet_from_plant_records(
        pd.DataFrame(
            {"plant_id": ["A", "A"], "process": ["EAF", "BF"], "capacity_ttpa": [521.775, 521.775]}
        )
    )
    data = GraphData([_nf(NodeLabel.PLANT, id=["A"], name=["Plant A"], country=["CHN"])], [])
    ov = monitoring.fleet_overview(fleet, data)
    assert ov[["plant_id", "name", "units", "running"]].values.tolist() == [["A", "Plant A", 2, 2]]
    assert ov.loc[0, "nameplate_t_week"] == pytest.approx(
        20_000.0
    )  # 521.775 kt/a = 10,000 t/week each
    assert math.isnan(ov.loc[0, "utilisation"])
    fc = monitoring.plant_forecast(fleet, "A", horizon_weeks=3)
    assert list(fc["week"]) == [1, 2, 3] and fc["nameplate"].tolist() == pytest.approx(
        [20_000.0] * 3
    )
    assert fc["p50"].isna().all()  # no telemetry, no quantiles


def test_ttr_alerts_from_a_sweep_and_from_the_summary() -> None:
    nodes = pd.DataFrame(
        {
            "node": ["a", "b", "c"],
            "ttr": [4.0, 4.0, 1.0],
            "tts": [1.0, 3.5, 2.0],
            "loss": [1.0, 2.0, 0.0],
        }
    )
    swept = monitoring.ttr_alerts(RunRecord("scenario", "r", tables={"nodes": nodes}))
    assert list(swept["node"]) == ["a", "b"] and swept["gap"].tolist() == [3.0, 0.5]
    run = RunRecord(
        "scenario",
        "r",
        params={"disrupted": ["p1"]},
        summary={"ttr_weeks": 4.0, "tts_weeks": 1.5, "loss": 9.0},
    )
    assert monitoring.ttr_alerts(run)[["node", "gap"]].values.tolist() == [["p1", 2.5]]
    assert monitoring.ttr_alerts(
        RunRecord("scenario", "r", summary={"ttr_weeks": 1.0, "tts_weeks": 2.0})
    ).empty


def test_new_chokepoints_between_two_runs() -> None:
    old = RunRecord(
        "analysis",
        "a",
        tables={
            "chokepoints": pd.DataFrame({"product_id": ["x", "y"], "is_chokepoint": [True, False]})
        },
    )
    new = RunRecord(
        "analysis",
        "b",
        tables={
            "chokepoints": pd.DataFrame(
                {"product_id": ["x", "y", "z"], "is_chokepoint": [True, True, False]}
            )
        },
    )
    assert list(monitoring.new_chokepoints(new, old)["product_id"]) == ["y"]
    assert list(monitoring.new_chokepoints(new, None)["product_id"]) == ["x", "y"]


def test_figures_draw_only_trace_types_of_the_partial_plotly_bundle() -> None:
    """The browser gets a plotly.js with only the registered trace types (plus scatter,
    which its core holds): a figure builder using any other would draw nothing."""
    import re
    from pathlib import Path

    import dashboards

    root = Path(dashboards.__file__).parent
    entry = (root / "plotlyjs" / "entry.js").read_text(encoding="utf-8")
    registered = {"scatter", *re.findall(r"require\('plotly\.js/lib/(\w+)'\)", entry)} - {"core"}
    used = {
        t.lower() for t in re.findall(r"\bgo\.(\w+)\(", (root / "figures.py").read_text("utf-8"))
    }
    used -= {"figure"}
    assert registered == {"scatter", "bar", "scattergeo"}
    assert used and used <= registered, used - registered
    bundle = root / "assets" / "vendor" / "plotly-dashboards.min.js"
    from plotly.offline import get_plotlyjs_version

    # the figures are made by the Python plotly of this version: rebuild when it changes
    banner = f"/*! plotly.js {get_plotlyjs_version()} (partial bundle: scatter, bar, scattergeo)"
    assert bundle.read_text(encoding="utf-8")[:200].startswith(banner)
