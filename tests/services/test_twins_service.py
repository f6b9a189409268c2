"""Plant twins created from the real sample, persisted in the store, fed, and read back."""

from __future__ import annotations

import pandas as pd
import pytest

from chain_brain.services import twins
from chain_brain.store import GraphStore
from chain_brain.twins import EventKind, RunState, TelemetryBatchError, TwinEvent
from chain_brain.twins.events import TelemetryBatch
from graph_schema.errors import NotFoundError

PLANT = "gem:P100000120439"  # Algerian Qatari Steel Jijel: EAF 2,200 kt/a, DRI 2,500 kt/a


def test_no_twins_yet_is_a_clear_error(sample_store: GraphStore) -> None:
    assert twins.load_fleet(sample_store) is None
    with pytest.raises(NotFoundError, match="twins create"):
        twins.fleet_overview(sample_store)
    assert twins.twin_capacity(sample_store).empty


def test_create_twins_from_gem_capacities(sample_store: GraphStore) -> None:
    summary = twins.create_twins(sample_store)
    assert summary.plants == 868
    assert summary.processes["EAF"] == 525 and summary.processes["BF"] == 349  # incl. the 3 oldest works
    units = twins.fleet_overview(sample_store)
    jijel = units[units["plant_id"] == PLANT].set_index("process")
    # nameplate per week = ttpa x 1000 / (365.2425 / 7) tonnes
    assert jijel.loc["EAF", "nameplate_per_week"] == pytest.approx(2200 * 1000 / (365.2425 / 7))
    cap = twins.twin_capacity(sample_store, [PLANT]).set_index("plant_id")
    # the larger product (DRI 2,500 kt/a) in kt per week; no telemetry yet -> surveyed
    assert cap.loc[PLANT, "capacity_p50"] == pytest.approx(2500 / (365.2425 / 7))
    assert cap.loc[PLANT, "source"] == "surveyed"
    assert cap.loc[PLANT, "ttr_p50"] > 0


def test_bad_telemetry_batch_changes_nothing(sample_store: GraphStore) -> None:
    twins.create_twins(sample_store)
    before = twins.fleet_overview(sample_store)
    times = pd.date_range("2026-01-05", periods=4, freq="15min")
    batch = TelemetryBatch.from_long(
        pd.DataFrame({"plant_id": "gem:nope", "unit_id": "EAF", "timestamp": times, "value": 5.0})
    )
    with pytest.raises(TelemetryBatchError, match="gem:nope"):
        twins.feed_telemetry(sample_store, batch)
    pd.testing.assert_frame_equal(twins.fleet_overview(sample_store), before)


def test_outage_event_is_stored(sample_store: GraphStore) -> None:
    twins.create_twins(sample_store)
    event = TwinEvent(PLANT, EventKind.OUTAGE_START, pd.Timestamp("2026-02-01T06:00"), cause="fire")
    twins.apply_events(sample_store, [event])
    state = twins.plant_state(sample_store, PLANT)
    assert {int(u["state"]) for u in state["units"]} == {int(RunState.DOWN)}
    assert state["recent_changes"], "the outage is in the history"
    with pytest.raises(NotFoundError, match="gem:nope"):
        twins.plant_state(sample_store, "gem:nope")


def test_analysis_uses_twin_capacity_where_a_twin_has_observations(sample_store: GraphStore) -> None:
    from chain_brain.services.analysis import AnalysisRequest, analyse
    from chain_brain.store import Scope
    from ingest.telemetry import read_steel_energy, sample_data_dir

    twins.create_twins(sample_store)
    readings = read_steel_energy(sample_data_dir() / "steel_industry_data_2wk.csv").data
    twins.feed_power_load(sample_store, PLANT, "EAF", readings)
    scope = Scope(chain="chain:steel")
    surveyed = analyse(sample_store, AnalysisRequest(scope=scope, use_twins=False), save=False)
    backed = analyse(sample_store, AnalysisRequest(scope=scope), save=False)
    assert surveyed.summary["twin_backed_plants"] == 0 and backed.summary["twin_backed_plants"] == 1
    row = backed.tables["capacity_sources"].set_index("plant_id").loc[PLANT]
    assert row["surveyed_per_week"] == pytest.approx(2500 / (365.2425 / 7))  # DRI, the larger
    assert 0 < row["factor"] < 1  # the observed load says the plant makes less than nameplate
    supply = {
        name: run.tables["chokepoints"].set_index("product_id").loc["steel:dri", "supply"]
        for name, run in (("surveyed", surveyed), ("twin", backed))
    }
    assert supply["surveyed"] - supply["twin"] == pytest.approx(2500 * (1 - row["factor"]))
