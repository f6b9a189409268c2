"""Capacity quantiles, outage/ramp/maintenance effects, recovery simulation, effective capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chain_brain.twins.capacity import effective_capacity, fleet_from_plant_records
from chain_brain.twins.events import EventKind, TwinEvent
from chain_brain.twins.fleet import TwinFleet
from chain_brain.twins.forecast import (
    estimate_recovery_params,
    fleet_time_to_recover,
    forecast_capacity,
    simulate_recovery,
    weekly_factor_samples,
)
from chain_brain.twins.state import WEEKS_PER_YEAR, PlantTwin, Process, RampUpCurve, UnitState
from graph_schema.errors import ValidationError
from ingest.telemetry import read_garment_productivity, read_supplygraph_production, sample_data_dir

START = pd.Timestamp("2024-03-01")


def _one(nameplate: float = 1000.0, ramp: RampUpCurve | None = None) -> TwinFleet:
    u = UnitState("U", Process.EAF, "steel", nameplate, ramp_up=ramp or RampUpCurve())
    return TwinFleet.from_twins([PlantTwin("P", (u,))])


def _observe_weeks(f: TwinFleet, weekly: list[float]) -> None:
    days = pd.date_range("2024-01-01", periods=7 * len(weekly), freq="D")
    av = np.repeat(weekly, 7)
    f.observe_daily("P", "U", days, av, np.ones_like(av))


def test_weekly_quantiles_are_known_ordered_and_cover_the_data() -> None:
    f = _one()
    _observe_weeks(f, [0.5, 0.6, 0.7, 0.8])
    t = forecast_capacity(f, horizon_weeks=3, start=START).table
    assert len(t) == 3 and t["week"].tolist() == [1, 2, 3]
    q = np.quantile([0.5, 0.6, 0.7, 0.8], [0.1, 0.5, 0.9]) * 1000
    np.testing.assert_allclose(t[["p10", "p50", "p90"]].to_numpy(), np.tile(q, (3, 1)))
    assert (t["p10"] <= t["p50"]).all() and (t["p50"] <= t["p90"]).all()
    assert t["p10"].min() >= 500 and t["p90"].max() <= 800
    assert t["n_samples"].tolist() == [4, 4, 4]
    assert t["week_start"].iloc[1] == START + pd.Timedelta(days=7)


def test_few_observations_use_daily_values() -> None:
    f = _one()
    days = pd.date_range("2024-01-01", periods=10, freq="D")
    av = np.linspace(0.1, 1.0, 10)
    f.observe_daily("P", "U", days, av, np.ones(10))
    samples, counts = weekly_factor_samples(f)
    assert counts.tolist() == [10]
    t = forecast_capacity(f, horizon_weeks=1, start=START).table
    assert t["p50"].iloc[0] == pytest.approx(np.median(av) * 1000)


def test_no_observations_give_nan_and_zero_samples() -> None:
    t = forecast_capacity(_one(), horizon_weeks=2, start=START).table
    assert t["p50"].isna().all() and (t["n_samples"] == 0).all()


def test_down_unit_and_ramp_up_reduce_early_weeks() -> None:
    f = _one(ramp=RampUpCurve(days=7.0, start_fraction=0.0))
    _observe_weeks(f, [1.0, 1.0])
    f.apply_events(
        [
            TwinEvent(
                "P",
                EventKind.OUTAGE_START,
                START - pd.Timedelta(days=1),
                end=START + pd.Timedelta(days=7),
            )
        ]
    )
    t = forecast_capacity(f, horizon_weeks=3, start=START).table
    # week 1: down; week 2: linear ramp 0 -> 1, mean 0.5; week 3: full
    np.testing.assert_allclose(t["p50"].to_numpy(), [0.0, 500.0, 1000.0])


def test_maintenance_window_removes_its_share_of_a_week() -> None:
    f = _one()
    _observe_weeks(f, [0.8, 0.8])
    s = START + pd.Timedelta(days=7)
    f.apply_events([TwinEvent("P", EventKind.MAINTENANCE, s, end=s + pd.Timedelta(days=3.5))])
    t = forecast_capacity(f, horizon_weeks=3, start=START).table
    np.testing.assert_allclose(t["p50"].to_numpy(), [800.0, 400.0, 800.0])


def test_forecast_refuses_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="horizon_weeks"):
        forecast_capacity(_one(), horizon_weeks=0)
    with pytest.raises(ValidationError, match="quantiles"):
        forecast_capacity(_one(), quantiles=(0.9, 0.5, 0.1))


def test_recovery_without_variability_is_deterministic() -> None:
    r = simulate_recovery(
        [5.0, 3.0], 0.0, 0.0, [10.0, 0.0], [0.5, 1.0], target=0.95, replications=50
    )
    expected = [5.0 + 10.0 * (0.95 - 0.5) / 0.5, 3.0]
    for arr in (r.p10, r.p50, r.p90, r.mean):
        np.testing.assert_allclose(arr, expected)


def test_recovery_with_restart_failures_matches_the_geometric_mean() -> None:
    # repairs until a restart succeeds: mean number of repairs 1 / (1 - q)
    r = simulate_recovery(4.0, 0.0, 0.5, 0.0, 1.0, replications=20_000, seed=7)
    assert r.mean[0] == pytest.approx(8.0, rel=0.03)
    assert r.p10[0] == 4.0 and r.p50[0] in (4.0, 8.0) and r.p90[0] >= 12.0
    s = simulate_recovery(4.0, 0.5, 0.0, 0.0, 1.0, replications=20_000, seed=7)
    assert s.mean[0] == pytest.approx(4.0, rel=0.03)
    assert s.p10[0] < s.p50[0] < s.p90[0]
    again = simulate_recovery(4.0, 0.5, 0.0, 0.0, 1.0, replications=20_000, seed=7)
    np.testing.assert_array_equal(s.samples, again.samples)
    with pytest.raises(ValidationError):
        simulate_recovery(4.0, 0.5, 1.0)


def test_plant_recovers_when_its_slowest_unit_has() -> None:
    f = fleet_from_plant_records(
        pd.DataFrame(
            {"plant_id": ["A", "A"], "process": ["BF", "BOF"], "capacity_ttpa": [1.0, 1.0]}
        )
    )
    f.set_recovery_params("A", repair_mean_days=2.0, repair_cv=0.0, unit_id="BOF")
    f.set_recovery_params("A", repair_mean_days=9.0, repair_cv=0.0, unit_id="BF")
    t = fleet_time_to_recover(f, target=1.0)
    bf_ramp = f.a["ramp_days"][f.rows_of("A", "BF")[0]]
    assert t["ttr_p50"].iloc[0] == pytest.approx(9.0 + bf_ramp)


def test_plant_records_become_weekly_nameplates() -> None:
    f = fleet_from_plant_records(
        pd.DataFrame(
            {
                "plant_id": ["X", "X", "X", "Y"],
                "process": ["BF", "bof", "BF", "EAF"],
                "capacity_ttpa": [1000.0, 2000.0, 500.0, 365.2425],
            }
        )
    )
    tw = f.twin("X")
    assert {u.unit_id: u.product for u in tw.units} == {"BF": "pig_iron", "BOF": "crude_steel"}
    assert tw.nameplate_per_week()["pig_iron"] == pytest.approx(1_500_000 / WEEKS_PER_YEAR)
    assert f.twin("Y").nameplate_per_week() == {"crude_steel": pytest.approx(7000.0)}
    with pytest.raises(ValidationError, match="'Z'"):
        fleet_from_plant_records(
            pd.DataFrame({"plant_id": ["Z"], "process": ["BF"], "capacity_ttpa": [-5]})
        )


def test_effective_capacity_sources() -> None:
    f = fleet_from_plant_records(
        pd.DataFrame(
            {
                "plant_id": ["T", "N"],
                "process": ["EAF", "EAF"],
                "capacity_ttpa": [365.2425, 365.2425],
            }
        )
    )
    days = pd.date_range("2024-01-01", periods=28, freq="D")
    f.observe_daily("T", "EAF", days, np.full(28, 0.5), np.full(28, 0.8))
    surveyed = pd.DataFrame(
        {
            "plant_id": ["S", "T"],
            "product": ["crude_steel", "crude_steel"],
            "capacity_per_week": [123.0, 1.0],
            "ttr_days": [30.0, 1.0],
        }
    )
    out = effective_capacity(["T", "N", "S"], f, surveyed, seed=1).set_index("plant_id")
    assert out.loc["T", "source"] == "twin"
    assert out.loc["T", "capacity_per_week"] == pytest.approx(7000.0 * 0.4)
    assert out.loc["N", "source"] == "surveyed" and out.loc[
        "N", "capacity_per_week"
    ] == pytest.approx(7000.0)
    assert out.loc["S", "source"] == "surveyed" and out.loc["S", "capacity_per_week"] == 123.0
    assert out.loc["S", "ttr_days_p50"] == 30.0
    assert out.loc["T", "ttr_days_p50"] > 0
    assert list(out.index) == ["T", "N", "S"]
    with pytest.raises(ValidationError, match="'Q'"):
        effective_capacity(["Q"], f, surveyed)


def test_garment_teams_as_twins() -> None:
    r = read_garment_productivity(sample_data_dir() / "garments_worker_productivity_600.csv")
    sew = r.data[r.data["department"] == "sewing"]
    teams = sorted(sew["team_no"].unique())
    f = TwinFleet.from_twins(
        [
            PlantTwin(
                "garment",
                tuple(UnitState(f"team{t}", Process.SEWING, "garment", 100.0) for t in teams),
            )
        ]
    )
    for t, g in sew.groupby("team_no"):
        f.observe_daily("garment", f"team{t}", g["date"], np.ones(len(g)), g["efficiency"])
    samples, counts = weekly_factor_samples(f)
    t = forecast_capacity(f, horizon_weeks=2, start=pd.Timestamp("2015-04-01")).table
    assert len(t) == 2 and (t["p10"] <= t["p50"]).all() and (t["p50"] <= t["p90"]).all()
    assert t["p10"].iloc[0] >= 100.0 * np.nanmin(samples, axis=1).sum() - 1e-9
    assert t["p90"].iloc[0] <= 100.0 * np.nanmax(samples, axis=1).sum() + 1e-9


def test_supplygraph_plants_as_twins() -> None:
    d = sample_data_dir()
    r = read_supplygraph_production(
        d / "supplygraph_production_unit.csv", d / "supplygraph_nodes_plant_storage.csv"
    )
    per_plant = r.data.groupby(["plant_id", "date"], as_index=False)["realised_output"].sum()
    demonstrated = per_plant.groupby("plant_id")["realised_output"].max()
    demonstrated = demonstrated[demonstrated > 0]
    f = TwinFleet.from_twins(
        [
            PlantTwin(p, (UnitState("all", Process.FILLING, "fmcg", 7 * float(c)),))
            for p, c in demonstrated.items()
        ]
    )
    for p, g in per_plant[per_plant["plant_id"].isin(demonstrated.index)].groupby("plant_id"):
        share = (g["realised_output"] / demonstrated[p]).to_numpy()
        f.observe_daily(str(p), "all", g["date"], share, np.ones(len(g)))
    t = forecast_capacity(f, horizon_weeks=1, start=pd.Timestamp("2023-08-10")).table.set_index(
        "plant_id"
    )
    weekly_out = per_plant.assign(w=(per_plant["date"] - per_plant["date"].min()).dt.days // 7)
    for p in demonstrated.index[:5]:
        wk = weekly_out[weekly_out["plant_id"] == p].groupby("w")["realised_output"].sum()
        wk = wk[wk.index < 31]  # complete 7-day blocks of 221 days
        assert t.loc[p, "p10"] <= t.loc[p, "p50"] <= t.loc[p, "p90"]
        assert wk.min() - 1e-6 <= t.loc[p, "p50"] <= wk.max() + 1e-6


def test_row_quantiles_match_numpy_nanquantile() -> None:
    from chain_brain.twins.forecast import _row_quantiles

    rng = np.random.default_rng(3)
    x = rng.random((50, 20))
    counts = rng.integers(0, 21, 50)
    x[np.arange(20)[None, :] >= counts[:, None]] = np.nan
    q = np.array([0.1, 0.5, 0.9])
    got = _row_quantiles(x, counts, q)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        want = np.nanquantile(x, q, axis=1).T
    np.testing.assert_allclose(got, want, equal_nan=True)


def test_ring_buffer_keeps_the_latest_days_through_a_round_trip() -> None:
    u = UnitState("U", Process.EAF, "steel", 1000.0)
    f = TwinFleet.from_twins([PlantTwin("P", (u,))], obs_capacity=14)
    days = pd.date_range("2024-01-01", periods=21, freq="D")
    f.observe_daily("P", "U", days, np.repeat([0.1, 0.5, 0.9], 7), np.ones(21))
    obs = f.observations()
    assert obs["day"].tolist() == list(days[7:])
    g = TwinFleet.from_frames(f.to_frames(), obs_capacity=14)
    pd.testing.assert_frame_equal(obs, g.observations())
    t = forecast_capacity(g, horizon_weeks=1, start=START).table
    assert t["p50"].iloc[0] == pytest.approx(700.0)


def test_repair_model_is_fitted_to_down_spells() -> None:
    f = _one()
    t = pd.Timestamp("2024-01-01")
    events = []
    for start, days in [(0, 1.0), (10, 2.0), (20, 3.0)]:
        s = t + pd.Timedelta(days=start)
        events += [
            TwinEvent("P", EventKind.OUTAGE_START, s),
            TwinEvent("P", EventKind.OUTAGE_END, s + pd.Timedelta(days=days)),
        ]
    f.apply_events(events)
    fit = estimate_recovery_params(f)
    assert fit["n_spells"].tolist() == [3]
    assert fit["repair_mean_days"].iloc[0] == pytest.approx(2.0)
    assert fit["repair_cv"].iloc[0] == pytest.approx(0.5)  # sample std 1.0 / mean 2.0
    assert f.a["repair_mean_days"][0] == pytest.approx(2.0)
    assert estimate_recovery_params(_one()).empty
