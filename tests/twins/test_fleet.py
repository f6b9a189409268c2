"""Twin fleet: hand-built telemetry with known OEE, bad batches, events, round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chain_brain.twins.events import EventKind, TelemetryBatch, TelemetryBatchError, TwinEvent
from chain_brain.twins.fleet import TwinFleet
from chain_brain.twins.forecast import forecast_capacity
from chain_brain.twins.state import (
    OEE,
    PlantTwin,
    Process,
    RampUpCurve,
    RunState,
    ShiftCalendar,
    UnitState,
)
from graph_schema.errors import NotFoundError, ValidationError
from ingest.telemetry import (
    LoadThresholds,
    classify_load,
    derive_load_thresholds,
    read_steel_energy,
    sample_data_dir,
)

TH = LoadThresholds(down=1.0, running=10.0, baseline=2.0, rated=102.0)
DAY = pd.Timestamp("2024-01-01")  # a Monday
HALF = 52.0  # utilisation 0.5


def _fleet() -> TwinFleet:
    twins = [
        PlantTwin("A", (UnitState("L1", Process.EAF, "crude_steel", 700.0, quality=0.9),)),
        PlantTwin(
            "B",
            (
                UnitState(
                    "S1",
                    Process.SEWING,
                    "garment",
                    100.0,
                    calendar=ShiftCalendar(2, 8.0, (0, 1, 2, 3, 4), start_hour=6.0),
                ),
                UnitState("S2", Process.FINISHING, "garment", 50.0),
            ),
        ),
    ]
    f = TwinFleet.from_twins(twins)
    f.set_load_thresholds(TH)
    return f


def _batch(values: np.ndarray, day: pd.Timestamp = DAY, ids=None) -> TelemetryBatch:
    ids = ids or [("A", "L1"), ("B", "S1"), ("B", "S2")]
    ts = pd.date_range(day, periods=values.shape[0], freq="15min").to_numpy()
    return TelemetryBatch(
        ts,
        np.array([p for p, _ in ids], dtype=object),
        np.array([u for _, u in ids], dtype=object),
        values.astype(float),
    )


def _day_values() -> np.ndarray:
    v = np.full((96, 3), 3.0)  # idle
    v[:72, 0] = HALF  # A/L1 runs 18 of 24 h at half rate -> A = 0.75, P = 0.5
    v[24:56, 1] = 102.0  # B/S1 runs 06:00-14:00 at full rate: 32 of 64 shift intervals
    v[:24, 1] = 102.0  # ... and 00:00-06:00, outside its calendar (does not count)
    v[40:44, 2] = 0.5  # B/S2 is down for an hour, else idle
    return v


def test_hand_built_day_gives_known_oee() -> None:
    f = _fleet()
    rep = f.apply_telemetry(_batch(_day_values()))
    assert rep.applied and rep.ok and rep.counts() == {}
    obs = f.observations().set_index("unit_id")
    assert obs.loc["L1", "availability"] == pytest.approx(0.75)
    assert obs.loc["L1", "performance"] == pytest.approx(0.5)
    assert obs.loc["S1", "availability"] == pytest.approx(0.5)
    assert obs.loc["S1", "performance"] == pytest.approx(1.0)
    assert obs.loc["S2", "availability"] == 0.0 and np.isnan(obs.loc["S2", "performance"])
    oee = f.twin("A").units[0].oee
    assert oee == OEE(0.75, 0.5, 0.9) and oee.value == pytest.approx(0.3375)


def test_state_changes_are_recorded_in_order() -> None:
    f = _fleet()
    rep = f.apply_telemetry(_batch(_day_values()))
    h = f.history()
    # L1: running -> idle at 18:00; S1: running from 00:00 to 14:00 -> idle;
    # S2: idle from the first reading, down 10:00-11:00, idle again
    assert rep.n_state_changes == len(h) == 5
    got = list(
        zip(
            h["unit_id"],
            h["timestamp"].dt.strftime("%H:%M"),
            h["from_state"],
            h["to_state"],
            strict=True,
        )
    )
    assert got == [
        ("S2", "00:00", 0, 1),
        ("S2", "10:00", 1, 2),
        ("S2", "11:00", 2, 1),
        ("S1", "14:00", 0, 1),
        ("L1", "18:00", 0, 1),
    ]
    s2 = f.twin("B").units[1]
    assert s2.state == RunState.IDLE and s2.state_since == DAY + pd.Timedelta(hours=11)
    assert s2.restart_at == DAY + pd.Timedelta(hours=11)
    assert h["seq"].tolist() == [0, 1, 2, 3, 4]
    typed = f.state_changes("B")
    assert [(c.unit_id, c.to_state) for c in typed] == [
        ("S2", RunState.IDLE),
        ("S2", RunState.DOWN),
        ("S2", RunState.IDLE),
        ("S1", RunState.IDLE),
    ]


def test_planned_downtime_is_not_planned_production_time() -> None:
    twins = [
        PlantTwin(
            "C", (UnitState("K", Process.BF, "pig_iron", 1.0, planned_downtime_h_per_week=21.0),)
        )
    ]
    f = TwinFleet.from_twins(twins)
    f.set_load_thresholds(TH)
    v = np.full((96, 1), 3.0)
    v[:63, 0] = (
        102.0  # 63 of 96 intervals; planned share 21/168 = 1/8 -> A = 63 / (96 * 7/8) = 0.75
    )
    f.apply_telemetry(_batch(v, ids=[("C", "K")]))
    assert f.observations()["availability"].iloc[0] == pytest.approx(0.75)


def test_missing_readings_carry_the_state_and_are_warned() -> None:
    f = _fleet()
    v = _day_values()
    v[70:75, 0] = np.nan  # L1 goes idle at 72 (18:00) inside the gap of readings
    rep = f.apply_telemetry(_batch(v))
    assert rep.applied and rep.counts() == {"missing": 5}
    assert rep.issues["row"].tolist() == [70, 71, 72, 73, 74]
    h = f.history()
    l1 = h[h["unit_id"] == "L1"]
    assert l1["timestamp"].tolist() == [DAY + pd.Timedelta(minutes=75 * 15)]
    obs = f.observations().set_index("unit_id")
    assert obs.loc["L1", "availability"] == pytest.approx(70 / 91)


@pytest.mark.parametrize(
    ("mutate", "kind", "row", "column"),
    [
        (lambda v, ts, ids: v.__setitem__((5, 1), -2.0), "negative", 5, 1),
        (lambda v, ts, ids: v.__setitem__((7, 2), 1e6), "impossible", 7, 2),
        (lambda v, ts, ids: ts.__setitem__(9, ts[8]), "duplicate_timestamp", 9, -1),
        (lambda v, ts, ids: ts.__setitem__(slice(9, 11), ts[[10, 9]]), "out_of_order", 10, -1),
        (lambda v, ts, ids: ids.__setitem__(2, ("Z", "S2")), "unknown_id", -1, 2),
        (lambda v, ts, ids: ids.__setitem__(2, ("A", "L1")), "duplicate_id", -1, 2),
    ],
)
def test_bad_batch_is_refused_whole_and_reported(mutate, kind, row, column) -> None:
    f = _fleet()
    f.apply_telemetry(_batch(_day_values()))
    before = f.to_frames()
    v = _day_values()
    ts = pd.date_range(DAY + pd.Timedelta(days=1), periods=96, freq="15min").to_numpy().copy()
    ids = [("A", "L1"), ("B", "S1"), ("B", "S2")]
    mutate(v, ts, ids)
    batch = TelemetryBatch(
        ts,
        np.array([p for p, _ in ids], dtype=object),
        np.array([u for _, u in ids], dtype=object),
        v,
    )
    with pytest.raises(TelemetryBatchError, match=kind) as err:
        f.apply_telemetry(batch)
    issues = err.value.report.issues
    hit = issues[issues["kind"] == kind]
    assert len(hit) == 1 and hit["row"].iloc[0] == row and hit["column"].iloc[0] == column
    assert not err.value.report.applied
    after = f.to_frames()
    pd.testing.assert_frame_equal(before.state, after.state)
    pd.testing.assert_frame_equal(before.history, after.history)
    rep = f.apply_telemetry(batch, raise_on_error=False)
    assert not rep.applied and rep.counts()[kind] == 1


def test_stale_batch_and_gap() -> None:
    f = _fleet()
    f.apply_telemetry(_batch(_day_values()))
    with pytest.raises(TelemetryBatchError, match="stale"):
        f.apply_telemetry(_batch(_day_values()))
    v = _day_values()
    ts = pd.date_range(DAY + pd.Timedelta(days=1), periods=96, freq="15min").to_numpy().copy()
    ts[50:] += np.timedelta64(45, "m")  # three intervals missing before row 50
    b = TelemetryBatch(
        ts, np.array(["A", "B", "B"], dtype=object), np.array(["L1", "S1", "S2"], dtype=object), v
    )
    rep = f.apply_telemetry(b)
    assert rep.applied and rep.counts() == {"gap": 1}
    assert rep.issues[["row", "value"]].values.tolist() == [[50, 3]]


def test_thresholds_must_be_set_before_telemetry() -> None:
    f = TwinFleet.from_twins([PlantTwin("A", (UnitState("L1", Process.EAF, "crude_steel", 1.0),))])
    with pytest.raises(TelemetryBatchError, match="no_thresholds"):
        f.apply_telemetry(_batch(np.full((4, 1), 50.0), ids=[("A", "L1")]))


def test_events_outage_and_maintenance() -> None:
    f = _fleet()
    t0 = DAY + pd.Timedelta(days=3)
    rep = f.apply_events(
        [
            TwinEvent("B", EventKind.OUTAGE_END, t0 + pd.Timedelta(days=2), cause="repaired"),
            TwinEvent("B", EventKind.OUTAGE_START, t0, end=t0 + pd.Timedelta(days=2), cause="fire"),
            TwinEvent("A", EventKind.MAINTENANCE, t0, end=t0 + pd.Timedelta(hours=6)),
        ]
    )
    assert rep.applied and rep.n_state_changes == 3
    h = f.history()
    assert h["kind"].tolist() == ["state", "state", "maintenance", "state", "state"]
    assert h["cause"].tolist() == ["fire", "fire", "", "repaired", "repaired"]
    b = f.twin("B")
    assert all(u.state == RunState.RUNNING for u in b.units)
    assert all(u.restart_at == t0 + pd.Timedelta(days=2) for u in b.units)
    # six maintenance hours on the day of the window are not scheduled time
    v = np.full((96, 1), 102.0)
    v[:24, 0] = 3.0  # idle exactly during the window: A = 72 / 72, not 72 / 96
    f.apply_telemetry(_batch(v, day=t0, ids=[("A", "L1")]))
    obs = f.observations().set_index("unit_id")
    assert obs.loc["L1", "availability"] == 1.0


def test_bad_events_change_nothing() -> None:
    f = _fleet()
    t0 = DAY + pd.Timedelta(days=3)
    f.apply_events([TwinEvent("A", EventKind.OUTAGE_START, t0)])
    before = f.to_frames()
    events = [
        TwinEvent("B", EventKind.OUTAGE_START, t0),  # valid on its own
        TwinEvent("A", EventKind.OUTAGE_END, t0 - pd.Timedelta(days=1)),  # before A went down
        TwinEvent("B", EventKind.MAINTENANCE, t0),  # no end
        TwinEvent("Q", EventKind.OUTAGE_START, t0),  # unknown plant
    ]
    with pytest.raises(TelemetryBatchError) as err:
        f.apply_events(events)
    assert err.value.report.counts() == {"bad_event": 1, "out_of_order": 1, "unknown_id": 1}
    assert sorted(err.value.report.issues["row"].tolist()) == [1, 2, 3]
    pd.testing.assert_frame_equal(before.state, f.to_frames().state)
    pd.testing.assert_frame_equal(before.history, f.to_frames().history)
    with pytest.raises(TelemetryBatchError, match="not down"):
        f.apply_events([TwinEvent("B", EventKind.OUTAGE_END, t0)])


def test_round_trip_through_frames() -> None:
    f = _fleet()
    f.apply_telemetry(_batch(_day_values()))
    f.apply_telemetry(_batch(_day_values(), day=DAY + pd.Timedelta(days=1)))
    f.apply_events(
        [
            TwinEvent(
                "A",
                EventKind.MAINTENANCE,
                DAY + pd.Timedelta(days=9),
                end=DAY + pd.Timedelta(days=10),
            )
        ]
    )
    fr = f.to_frames()
    g = TwinFleet.from_frames(fr)
    fr2 = g.to_frames()
    pd.testing.assert_frame_equal(fr.state, fr2.state)
    pd.testing.assert_frame_equal(fr.history, fr2.history)
    assert set(fr.history["kind"]) == {"state", "observation", "maintenance"}
    pd.testing.assert_frame_equal(forecast_capacity(f).table, forecast_capacity(g).table)
    assert g.twin("B") == f.twin("B")
    # the restored fleet keeps going: the next day applies, an old one is stale
    g.apply_telemetry(_batch(_day_values(), day=DAY + pd.Timedelta(days=2)))
    with pytest.raises(TelemetryBatchError, match="stale"):
        g.apply_telemetry(_batch(_day_values(), day=DAY))


def test_lookup_errors_name_the_id() -> None:
    f = _fleet()
    with pytest.raises(NotFoundError, match="'nope'"):
        f.twin("nope")
    with pytest.raises(ValidationError, match="repeated unit ids"):
        PlantTwin("X", (UnitState("a", Process.BF, "p", 1.0), UnitState("a", Process.BF, "p", 1.0)))
    with pytest.raises(ValidationError, match="planned downtime"):
        UnitState("a", Process.BF, "p", 1.0, planned_downtime_h_per_week=200.0)
    assert RampUpCurve(10.0, 0.2).fraction(5.0) == pytest.approx(0.6)


def test_steel_sample_through_a_twin_matches_a_pandas_oracle() -> None:
    r = read_steel_energy(sample_data_dir() / "steel_industry_data_2wk.csv")
    d = r.data.assign(start=r.data["timestamp"] - pd.Timedelta(minutes=15))
    th = derive_load_thresholds(d["usage_kwh"])
    f = TwinFleet.from_twins([PlantTwin("DAEWOO", (UnitState("shop", Process.EAF, "steel", 1.0),))])
    f.set_load_thresholds(th)
    long = d.assign(plant_id="DAEWOO", unit_id="shop").rename(columns={"start": "timestamp_start"})
    for _, day in long.groupby(long["timestamp_start"].dt.normalize()):
        f.apply_telemetry(
            TelemetryBatch.from_long(day, timestamp="timestamp_start", value="usage_kwh")
        )
    state, util = classify_load(d["usage_kwh"], th)
    oracle = (
        pd.DataFrame(
            {
                "day": d["start"].dt.normalize(),
                "run": state == 0,
                "u": np.where(state == 0, util, np.nan),
            }
        )
        .groupby("day")
        .agg(a=("run", "mean"), p=("u", "mean"))
    )
    obs = f.observations().set_index("day")
    assert len(obs) == 14
    np.testing.assert_allclose(obs["availability"], oracle["a"])
    np.testing.assert_allclose(obs["performance"], oracle["p"])
    assert len(f.history()) == int((np.diff(state) != 0).sum()) + int(state[0] != 0)
