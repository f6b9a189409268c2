"""What-ifs end to end on the real sample and on a graph solved by hand."""

from __future__ import annotations

import pytest

from chain_brain.services.scenarios import (
    ScenarioSpec,
    compare_scenarios,
    list_scenarios,
    run_scenario,
)
from chain_brain.store import GraphStore, Scope
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.frames import GraphData
from sample_graphs import _nodes, _rels

JIJEL = "gem:P100000120439"


def mines_and_mill() -> GraphData:
    """As in test_networks: one plant (10/wk capacity) fed by two mines, 1.6 ore per steel."""
    return GraphData(
        [
            _nodes("Firm", id=["M1", "M2", "Mill"], name=["M1", "M2", "Mill"], country=["AUS", "BRA", "CHN"]),
            _nodes("Plant", id=["P"], name=["P"], country=["CHN"]),
            _nodes("Product", id=["ore", "steel"], name_en=["Ore", "Steel"]),
        ],
        [
            _rels("SUPPLIES", "Firm", "Plant", src=["M1", "M2"], dst=["P", "P"], product=["ore", "ore"]),
            _rels("OPERATES", "Firm", "Plant", src=["Mill"], dst=["P"]),
            _rels("PRODUCES", "Plant", "Product", src=["P"], dst=["steel"], capacity=[520.0]),
            _rels("REQUIRES", "Product", "Product", src=["steel"], dst=["ore"], quantity=[1.6]),
        ],
    )


def test_hand_solved_scenario_is_stored(store: GraphStore) -> None:
    store.write(mines_and_mill())
    run = run_scenario(store, ScenarioSpec(name="M1 down", disrupted=("M1",), ttr_weeks=10.0, use_twins=False))
    assert run.summary["loss"] == pytest.approx(1.0)  # worked out in test_networks
    assert run.summary["disrupted_nodes"] == 1
    impact = run.tables["impact"].set_index("node")
    assert impact.loc["P", "lost"] == pytest.approx(1.0)
    assert [r.id for r in list_scenarios(store)] == [run.id]


def test_a_firm_takes_its_plants_down(store: GraphStore) -> None:
    store.write(mines_and_mill())
    run = run_scenario(store, ScenarioSpec(disrupted=("Mill",), ttr_weeks=4.0, use_twins=False))
    # P makes nothing for 4 weeks: 4 x 8.5 demanded, 2 x 8.5 in stock -> 17 lost
    assert run.summary["loss"] == pytest.approx(17.0)
    assert run.summary["tts_weeks"] == pytest.approx(2.0)
    assert run.summary["needs_attention"] is True


def test_region_scenario_and_sweep(store: GraphStore) -> None:
    store.write(mines_and_mill())
    run = run_scenario(store, ScenarioSpec(regions=("AUS",), ttr_weeks=10.0, sweep=True, use_twins=False))
    assert run.summary["loss"] == pytest.approx(1.0)  # AUS is M1's country
    nodes = run.tables["nodes"].set_index("node")
    assert nodes.loc["P", "tts"] == pytest.approx(2.0)
    assert bool(nodes.loc["P", "needs_attention"])  # default 4 weeks to recover > 2 to survive


def test_bad_specs_name_the_value(store: GraphStore) -> None:
    store.write(mines_and_mill())
    with pytest.raises(ValidationError, match="at least one"):
        ScenarioSpec()
    with pytest.raises(ValidationError, match="ttr_weeks"):
        ScenarioSpec(disrupted=("M1",), ttr_weeks=-1)
    with pytest.raises(NotFoundError, match="ghost"):
        run_scenario(store, ScenarioSpec(disrupted=("ghost",), use_twins=False))
    with pytest.raises(NotFoundError, match="ATL"):
        run_scenario(store, ScenarioSpec(regions=("ATL",), use_twins=False))


def test_steel_plant_down_on_the_real_sample(sample_store: GraphStore) -> None:
    spec = ScenarioSpec(name="Jijel", scope=Scope(chain="chain:steel"), disrupted=(JIJEL,), ttr_weeks=6.0, use_twins=False)
    run = run_scenario(sample_store, spec)
    impact = run.tables["impact"]
    # a lone plant with no customers in the graph: only it loses, 4 of its 6 weeks
    assert list(impact["node"]) == [JIJEL]
    assert impact.loc[0, "lost_share"] == pytest.approx(4 / 6)
    other = run_scenario(sample_store, ScenarioSpec(name="Jijel 3w", scope=spec.scope, disrupted=(JIJEL,), ttr_weeks=3.0, use_twins=False))
    table = compare_scenarios(sample_store, run.id, other.id).set_index("figure")
    assert table.loc["ttr_weeks", run.id] == 6.0 and table.loc["ttr_weeks", other.id] == 3.0


def test_reallocation_plan_uses_the_other_mines_spare_capacity(store: GraphStore) -> None:
    store.write(mines_and_mill())
    run = run_scenario(store, ScenarioSpec(disrupted=("M1",), ttr_weeks=10.0, use_twins=False))
    plan = run.tables["plan"]
    # P lost 6.8 ore a week from M1; M2 (capacity 8, baseline 6.8) has 1.2 a week spare.
    # M2 is in Brazil, P in China: one period of lead time, so shipments leave in periods
    # 0..8 and arrive in 1..9; period 0 and the rest of each week stay unmet.
    assert set(plan["source"]) == {"M2"} and set(plan["sink"]) == {"P"}
    assert plan["quantity"].sum() == pytest.approx(1.2 * 9)
    assert run.tables["plan_unmet"]["quantity"].sum() == pytest.approx(6.8 * 10 - 1.2 * 9)
    assert run.summary["plan"]["lanes"] == 1


def test_no_plan_when_the_lost_supply_has_no_known_product(store: GraphStore) -> None:
    store.write(mines_and_mill())
    run = run_scenario(store, ScenarioSpec(disrupted=("Mill",), ttr_weeks=2.0, use_twins=False))
    assert "plan" not in run.tables
    assert "no customer" in run.summary["plan"]["note"]


def test_the_sweep_covers_every_firm_with_its_plants(store: GraphStore) -> None:
    data = mines_and_mill()
    second = GraphData(  # the mill's second plant, fed by M2
        [_nodes("Plant", id=["P2"], name=["P2"], country=["CHN"])],
        [
            _rels("SUPPLIES", "Firm", "Plant", src=["M2"], dst=["P2"], product=["ore"]),
            _rels("OPERATES", "Firm", "Plant", src=["Mill"], dst=["P2"]),
            _rels("PRODUCES", "Plant", "Product", src=["P2"], dst=["steel"], capacity=[260.0]),
        ],
    )
    store.write(data)
    store.write(second)
    run = run_scenario(store, ScenarioSpec(regions=("AUS",), ttr_weeks=10.0, sweep=True, use_twins=False))
    groups = run.tables["groups"].set_index("scenario")
    assert list(groups.index) == ["firm:Mill"]  # M1, M2 have no plants: node scenarios
    mill = groups.loc["firm:Mill"]
    assert mill["n_members"] == 2
    # the same disruption through the single-scenario path (the firm takes its plants down),
    # for the default 4 weeks to recover
    alone = run_scenario(store, ScenarioSpec(disrupted=("Mill",), ttr_weeks=4.0, use_twins=False))
    assert mill["loss"] == pytest.approx(alone.summary["loss"])
    assert mill["tts"] == pytest.approx(alone.summary["tts_weeks"])
    assert alone.summary["loss"] > 0
    assert set(run.tables["nodes"]["node"]) == {"M1", "M2", "P", "P2"}


def test_the_sweep_covers_every_region_on_the_real_sample(sample_store: GraphStore) -> None:
    scope = Scope(focus="apple:apple-inc", tiers=1, direction="up", as_of="2022-06-30")
    run = run_scenario(
        sample_store,
        ScenarioSpec(scope=scope, regions=("TWN",), ttr_weeks=6.0, sweep=True, use_twins=False),
    )
    groups = run.tables["groups"].set_index("scenario")
    guangdong = groups.loc["region:CHN:guangdong"]
    assert guangdong["n_members"] > 1
    alone = run_scenario(
        sample_store,
        ScenarioSpec(scope=scope, regions=("region:CHN:guangdong",), ttr_weeks=4.0, use_twins=False),
    )
    assert alone.summary["disrupted_nodes"] == guangdong["n_members"]
    assert guangdong["loss"] == pytest.approx(alone.summary["loss"])
    assert guangdong["tts"] == pytest.approx(alone.summary["tts_weeks"])
