"""Readers of the bundled telemetry excerpts and of hand-made bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graph_schema.errors import ValidationError
from ingest.telemetry import (
    LoadThresholds,
    classify_load,
    derive_load_thresholds,
    read_garment_productivity,
    read_steel_energy,
    read_supplygraph_production,
    sample_data_dir,
)

SAMPLES = sample_data_dir()
STEEL_HEADER = (
    "date,Usage_kWh,Lagging_Current_Reactive.Power_kVarh,Leading_Current_Reactive_Power_kVarh,"
    "CO2(tCO2),Lagging_Current_Power_Factor,Leading_Current_Power_Factor,NSM,WeekStatus,"
    "Day_of_week,Load_Type\n"
)


def test_samples_carry_their_licences() -> None:
    text = (SAMPLES / "SOURCE.txt").read_text()
    assert "CC BY 4.0" in text and "arXiv:2401.15299" in text and "LGPL" in text
    assert (SAMPLES / "LICENSE.supplygraph").stat().st_size > 1000
    assert sum(p.stat().st_size for p in SAMPLES.iterdir()) < 500_000


def test_steel_sample_reads_whole_and_fixes_midnight_rows() -> None:
    r = read_steel_energy(SAMPLES / "steel_industry_data_2wk.csv")
    assert (r.n_read, r.n_loaded, r.n_rejected) == (1344, 1344, 0)
    ts = r.data["timestamp"]
    assert ts.iloc[0] == pd.Timestamp("2018-01-01 00:15")
    assert ts.iloc[-1] == pd.Timestamp("2018-01-15 00:00")  # file says 14/01/2018 00:00
    # line 97 of the file says "01/01/2018 0:00" but ends the 1st of January
    assert ts[r.data["line"] == 97].iloc[0] == pd.Timestamp("2018-01-02 00:00")
    assert (ts.diff().dropna() == pd.Timedelta(minutes=15)).all()
    assert r.data["usage_kwh"].iloc[0] == 3.17


def test_steel_bad_rows_go_to_rejects_with_line_and_reason(tmp_path: Path) -> None:
    body = (
        "01/01/2018 0:15,3.17,0,0,0,0,0,900,Weekday,Monday,Light_Load\n"
        "01/01/2018 0:30,-4,0,0,0,0,0,1800,Weekday,Monday,Light_Load\n"
        "not a date,4,0,0,0,0,0,2700,Weekday,Monday,Light_Load\n"
        "01/01/2018 0:15,5,0,0,0,0,0,900,Weekday,Monday,Light_Load\n"
        "01/01/2018 0:45,abc,0,0,0,0,0,2700,Weekday,Monday,Light_Load\n"
        "01/01/2018 1:00,60.5,0,0,0,0,0,3600,Weekday,Monday,Maximum_Load\n"
    )
    p = tmp_path / "steel.csv"
    p.write_text(STEEL_HEADER + body)
    r = read_steel_energy(p)
    assert r.n_read == 6 and r.n_loaded == 2 and r.n_rejected == 4
    assert r.rejects["line"].tolist() == [3, 4, 5, 6]
    assert r.rejects["reason"].tolist() == [
        "negative energy reading",
        "unparseable date (want DD/MM/YYYY H:MM)",
        "repeated timestamp (first kept)",
        "not a number",
    ]
    assert r.data["usage_kwh"].tolist() == [3.17, 60.5]


def test_thresholds_split_a_bimodal_load() -> None:
    th = derive_load_thresholds([3.0] * 60 + [2.0] * 20 + [50.0] * 10 + [100.0] * 10)
    assert th.baseline == 3.0
    assert 3.0 < th.running < 50.0
    assert th.down == 0.75
    assert th.rated == pytest.approx(np.quantile([50.0] * 10 + [100.0] * 10, 0.99))


def test_thresholds_on_the_steel_sample_fall_in_the_valley() -> None:
    r = read_steel_energy(SAMPLES / "steel_industry_data_2wk.csv")
    u = r.data["usage_kwh"].to_numpy()
    th = derive_load_thresholds(u)
    state, util = classify_load(u, th)
    assert th.down < th.baseline < th.running < th.rated
    # few readings lie near the running threshold, many near the idle baseline
    near_cut = ((u > th.running / 1.5) & (u < th.running * 1.5)).mean()
    near_base = ((u > th.baseline / 1.5) & (u < th.baseline * 1.5)).mean()
    assert near_cut < 0.05 < 0.5 < near_base
    assert (state == 0).mean() == pytest.approx((u > th.running).mean())
    assert util.min() == 0.0 and util.max() == 1.0


def test_classify_load_known_values() -> None:
    th = LoadThresholds(down=1.0, running=10.0, baseline=2.0, rated=52.0)
    state, util = classify_load([0.0, 1.0, 5.0, 10.0, 12.0, 52.0, 99.0], th)
    assert state.tolist() == [2, 2, 1, 1, 0, 0, 0]
    assert util.tolist() == [0.0, 0.0, 0.0, 0.0, 0.2, 1.0, 1.0]


def test_thresholds_refuse_bad_input() -> None:
    with pytest.raises(ValidationError, match="constant"):
        derive_load_thresholds([5.0, 5.0, 5.0])
    with pytest.raises(ValidationError, match="non-negative"):
        derive_load_thresholds([-1.0, 5.0, 50.0])
    with pytest.raises(ValidationError, match="rated"):
        LoadThresholds(down=0.0, running=10.0, baseline=1.0, rated=5.0)


def test_garment_sample_efficiency() -> None:
    r = read_garment_productivity(SAMPLES / "garments_worker_productivity_600.csv")
    assert (r.n_read, r.n_loaded, r.n_rejected) == (600, 600, 0)
    first = r.data.iloc[0]
    assert first["department"] == "sewing" and first["team_no"] == 8
    assert first["efficiency"] == pytest.approx(0.940725424 / 0.8)
    assert set(r.data["department"]) == {"sewing", "finishing"}


def test_garment_bad_rows(tmp_path: Path) -> None:
    p = tmp_path / "g.csv"
    p.write_text(
        "date,quarter,department,day,team_no,targeted_productivity,smv,wip,over_time,incentive,"
        "idle_time,idle_men,no_of_style_change,no_of_workers,actual_productivity\n"
        "1/1/2015,Quarter1,sweing,Thursday,8,0.8,26.16,1108,7080,98,0,0,0,59,0.6\n"
        "1/1/2015,Quarter1,finishing ,Thursday,1,0,3.94,,960,0,0,0,0,8,0.88\n"
        "1/1/2015,Quarter1,sweing,Thursday,2,0.8,26.16,1108,7080,98,0,0,0,59,2.4\n"
        "1/1/2015,Quarter1,sweing,Thursday,8,0.7,26.16,1108,7080,98,0,0,0,59,0.5\n"
        "1/1/2015,Quarter1,cutting,Thursday,3,0.7,26.16,1108,7080,98,0,0,0,59,0.5\n"
    )
    r = read_garment_productivity(p)
    assert r.n_loaded == 1 and r.data["efficiency"].iloc[0] == pytest.approx(0.75)
    assert r.rejects.set_index("line")["reason"].to_dict() == {
        3: "target <= 0",
        4: "impossible productivity (> 1.5)",
        5: "repeated (date, department, team) key",
        6: "unknown department",
    }


def test_supplygraph_attribution_keeps_product_totals() -> None:
    prod = SAMPLES / "supplygraph_production_unit.csv"
    r = read_supplygraph_production(prod, SAMPLES / "supplygraph_nodes_plant_storage.csv")
    raw = pd.read_csv(prod)
    assert r.data["date"].nunique() == 221
    assert r.rejects["reason"].tolist() == ["repeated product column"]
    assert r.rejects["column"].tolist() == ["POP001L12P.1"]
    shares = r.data.groupby(["date", "product"])["plant_share"].sum()
    assert np.allclose(shares, 1.0)
    kept = sorted(r.data["product"].unique())
    by_day = r.data.groupby("date")["realised_output"].sum().to_numpy()
    assert np.allclose(by_day, raw[kept].sum(axis=1).to_numpy())
    a = r.data[(r.data["product"] == "SOS008L02P") & (r.data["date"] == "2023-01-02")]
    assert a["units"].tolist() == [1014.0] * len(a) and len(a) >= 1


def test_supplygraph_bad_values(tmp_path: Path) -> None:
    prod = tmp_path / "p.csv"
    prod.write_text(
        "Date,A,B,C\n"
        "2023-01-01 00:00:00,10,5,1\n"
        "2023-01-02 00:00:00,-3,x,1\n"
        "2023-01-02 00:00:00,7,7,1\n"
    )
    plants = tmp_path / "n.csv"
    plants.write_text("Node,Plant,Storage Location\nA,1,9\nA,2,9\nB,1,9\nA,1,8\n")
    r = read_supplygraph_production(prod, plants)
    reasons = set(zip(r.rejects["line"], r.rejects["column"], r.rejects["reason"], strict=True))
    assert reasons == {
        (1, "C", "product has no plant in the plant table"),
        (3, "A", "negative production"),
        (3, "B", "not a number"),
        (4, "Date", "repeated date (first kept)"),
    }
    assert r.data[r.data["product"] == "A"]["realised_output"].tolist() == [5.0, 5.0]
    assert r.data[r.data["product"] == "B"]["realised_output"].tolist() == [5.0]
