"""Benchmark: update and forecast 10,000 plant twins, against a per-twin Python loop.

Run: ``python benchmarks/bench_twins.py [--plants 10000] [--days 28]``.  Prints a
table of wall times and the ratio naive / vectorised, both measured in this run.
Synthetic load: idle baseline ~3 kWh, production ~40-130 kWh, random stops.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from tqdm import tqdm

from chain_brain.twins.events import TelemetryBatch
from chain_brain.twins.fleet import TwinFleet
from chain_brain.twins.forecast import fleet_time_to_recover, forecast_capacity
from ingest.telemetry import LoadThresholds

TH = LoadThresholds(down=1.0, running=10.0, baseline=3.0, rated=130.0)


def synthetic_day(rng: np.random.Generator, n: int, day: pd.Timestamp) -> TelemetryBatch:
    """96 x n readings: each plant runs at its own rate with a random stop."""
    rate = rng.uniform(40.0, 130.0, n)
    v = rate[None, :] * rng.uniform(0.9, 1.0, (96, n))
    stop_at = rng.integers(0, 96, n)
    stop_len = rng.integers(0, 40, n)
    t = np.arange(96)[:, None]
    stopped = (t >= stop_at) & (t < stop_at + stop_len)
    v = np.where(stopped, rng.uniform(2.0, 4.0, (96, n)), v)
    v[rng.random((96, n)) < 0.001] = 0.5
    ids = np.array([f"P{i:05d}" for i in range(n)], dtype=object)
    ts = pd.date_range(day, periods=96, freq="15min").to_numpy()
    return TelemetryBatch(ts, ids, np.full(n, "U0", dtype=object), v)


def naive_update(batch: TelemetryBatch, state: dict[str, dict]) -> None:
    """Per twin, per reading Python loop: state, daily availability/performance, history."""
    for j, pid in enumerate(batch.plant_ids):
        tw = state[pid]
        run = 0
        usum = 0.0
        prev = tw["state"]
        for t in range(len(batch.timestamps)):
            x = float(batch.values[t, j])
            if x != x:
                continue
            if x < 0 or x > 3 * TH.rated:
                raise ValueError(pid)
            s = 0 if x > TH.running else (2 if x <= TH.down else 1)
            if s == 0:
                run += 1
                usum += min(max((x - TH.baseline) / (TH.rated - TH.baseline), 0.0), 1.0)
            if s != prev:
                tw["history"].append((batch.timestamps[t], prev, s))
                prev = s
        tw["state"] = prev
        tw["obs"].append((run / 96.0, usum / run if run else float("nan")))


def naive_forecast(state: dict[str, dict], horizon: int = 12) -> list[tuple]:
    """Per twin: weekly blocks, quantiles, then per week of the horizon."""
    out = []
    for pid, tw in state.items():
        f = [a * (p if p == p else 0.0) for a, p in tw["obs"]]
        weekly = [sum(f[i : i + 7]) / 7 for i in range(0, len(f) - 6, 7)]
        if len(weekly) < 2:  # the fleet's rule: daily samples until two full weeks
            weekly = f
        q = np.quantile(weekly, [0.1, 0.5, 0.9])
        for w in range(horizon):
            out.append((pid, w + 1, *(1000.0 * q)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--plants", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=28, help="days of telemetry before the forecast")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    n = args.plants
    rng = np.random.default_rng(args.seed)
    day0 = pd.Timestamp("2024-01-01")
    batches = [synthetic_day(rng, n, day0 + pd.Timedelta(days=d)) for d in range(args.days)]

    fleet = TwinFleet.uniform(n, thresholds=TH)
    naive = {p: {"state": 0, "history": [], "obs": []} for p in fleet.a["plant_id"]}
    upd_vec, upd_naive = [], []
    for b in tqdm(batches, desc="days", unit="day"):
        t0 = time.perf_counter()
        fleet.apply_telemetry(b)
        upd_vec.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        naive_update(b, naive)
        upd_naive.append(time.perf_counter() - t0)
    assert len(fleet.history()) == sum(len(t["history"]) for t in naive.values())

    t0 = time.perf_counter()
    fc = forecast_capacity(fleet, horizon_weeks=12)
    t_fc = time.perf_counter() - t0
    t0 = time.perf_counter()
    nv = naive_forecast(naive)
    t_fc_naive = time.perf_counter() - t0
    # same answer once outages and ramp-ups (which the naive loop ignores) are over
    late = fc.table["week"].to_numpy() >= 3
    np.testing.assert_allclose(
        fc.table["p50"].to_numpy()[late], np.array([r[3] for r in nv])[late], rtol=1e-9
    )
    t0 = time.perf_counter()
    ttr = fleet_time_to_recover(fleet, replications=200)
    t_ttr = time.perf_counter() - t0
    t0 = time.perf_counter()
    frames = fleet.to_frames()
    TwinFleet.from_frames(frames)
    t_rt = time.perf_counter() - t0

    rows = [
        (f"update 1 day ({96} x {n:,} readings), median", np.median(upd_vec), np.median(upd_naive)),
        (f"forecast {n:,} twins x 12 weeks, P10/P50/P90", t_fc, t_fc_naive),
        (f"time-to-recover DES {n:,} twins x 200 reps", t_ttr, float("nan")),
        (f"to_frames + from_frames ({len(frames.history):,} history rows)", t_rt, float("nan")),
    ]
    print(
        f"\nplants={n:,}  days={args.days}  forecast rows={len(fc.table):,}  TTR plants={len(ttr):,}"
    )
    print(f"{'task':<58} {'vectorised s':>12} {'naive loop s':>12} {'ratio':>8}")
    for name, v, b in rows:
        ratio = f"{b / v:8.1f}" if b == b else f"{'-':>8}"
        naive_s = f"{b:12.3f}" if b == b else f"{'-':>12}"
        print(f"{name:<58} {v:12.3f} {naive_s} {ratio}")


if __name__ == "__main__":
    main()
